/**
 * @module db/returning
 * The one row of a writing statement with RETURNING.
 *
 * Always through `all()`, never `get()`: `get()` stops at the first row and the statement commits
 * when it is reset, a path on which SQLite does not run its WAL hook, so the automatic checkpoint
 * never fires. Measured: 2,000 such inserts left a 25 MB WAL through `get()` and 0.4 MB through
 * `all()`; under the create bench the WAL grew past 300 MB until some other write checkpointed it
 * all at once (a 100 ms stall).
 */
import type { SQLQueryBindings, Statement } from "bun:sqlite";

export function returningOne<Row, Params extends SQLQueryBindings[]>(statement: Statement<Row, Params>, ...params: Params): Row | undefined {
  return statement.all(...params)[0];
}
