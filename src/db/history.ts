/**
 * @module db/history
 * The execution history lives in a database file of its own, `history.db` next to the instance
 * database (PocketBase keeps its request logs apart the same way). History is written all the
 * time by the history writer thread; in one file, every one of its transactions made a request
 * that writes (create_record, Idempotency-Key, credits) wait for the write lock, and SQLite waits
 * in sleeps of at least a millisecond. Apart, the two never wait for each other, and history
 * can grow, be pruned and be vacuumed without touching the data.
 *
 * Its schema is versioned with `PRAGMA user_version`, applied in order like the main migrations.
 */
import { dirname, join } from "node:path";
import { openDatabase, type Database, type OpenOptions } from "./open";

/** File name of the history database inside the data dir. */
export const HISTORY_FILE = "history.db";

/**
 * Inserts the rows of an `executions` table (history.db before version 3, or an instance database
 * of an older version) into `execution_chunks`, as chunks.ts lays them out: per account and
 * endpoint, a chunk per 3 s of starts and per 100 records at most. Each chunk's times are widened
 * by a second each side (5 s in all, MAX_CHUNK_SPAN_MS): these versions read the clock once for
 * the id and again for started_at, and a record is found by the time in its id (store.ts).
 */
function chunksFrom(table: string): string {
  return `INSERT INTO main.execution_chunks (account_id, endpoint_id, first_at, last_at, count, failed, records)
    SELECT account_id, endpoint_id, min(started_at) - 1000, max(started_at) + 1000, count(*), sum(status = 'failed'),
      json_group_array(json_object('id', id, 'kind', kind, 'status', status, 'http_status', http_status,
        'error_code', error_code, 'error_message', error_message, 'method', method, 'path', path,
        'client_ip', client_ip, 'key_prefix', key_prefix, 'started_at', started_at, 'duration_ms', duration_ms,
        'steps', CASE WHEN json_valid(steps) THEN json(steps) ELSE json('[]') END))
    FROM (SELECT *, started_at / 3000 AS span,
            (row_number() OVER (PARTITION BY account_id, endpoint_id, started_at / 3000 ORDER BY started_at, id) - 1) / 100 AS part
          FROM ${table})
    GROUP BY account_id, endpoint_id, span, part`;
}

/** Schema versions of history.db, in order; entry N brings user_version N to N+1. */
const HISTORY_SCHEMA: readonly string[][] = [
  [
    `CREATE TABLE IF NOT EXISTS executions (
      id text PRIMARY KEY NOT NULL,
      account_id text NOT NULL,
      endpoint_id text,
      kind text DEFAULT 'endpoint' NOT NULL,
      status text NOT NULL,
      http_status integer,
      error_code text,
      error_message text,
      method text,
      path text,
      client_ip text,
      key_prefix text,
      started_at integer NOT NULL,
      duration_ms integer NOT NULL,
      steps text NOT NULL
    )`,
    "CREATE INDEX IF NOT EXISTS executions_endpoint_started ON executions (endpoint_id, started_at)",
    "CREATE INDEX IF NOT EXISTS executions_started ON executions (started_at)",
  ],
  // The started_at index goes: age pruning walks the endpoint index instead (store.ts), and on a
  // busy endpoint every index is paid twice per row, at its insert and at its delete once the
  // endpoint is at its cap (history-cap.ts): ~1-1.5 µs of the writer's ~7-10 per row.
  ["DROP INDEX IF EXISTS executions_started"],
  // Executions move into chunks, many records per row (modules/executions/chunks.ts): the
  // history writer paid each row's table and index entries twice, at its insert and at its delete.
  [
    `CREATE TABLE IF NOT EXISTS execution_chunks (
      account_id text NOT NULL,
      endpoint_id text,
      first_at integer NOT NULL,
      last_at integer NOT NULL,
      count integer NOT NULL,
      failed integer NOT NULL,
      records text NOT NULL
    )`,
    // Pages, trims and age pruning of an endpoint, newest or oldest first.
    "CREATE INDEX IF NOT EXISTS execution_chunks_endpoint ON execution_chunks (endpoint_id, last_at)",
    // An execution by id: its id holds its start, and a chunk starts at most MAX_CHUNK_SPAN_MS before it.
    "CREATE INDEX IF NOT EXISTS execution_chunks_time ON execution_chunks (first_at, last_at)",
    chunksFrom("main.executions"),
    "DROP TABLE executions",
  ],
];

/** The history database of the instance database at `mainPath` (`:memory:` stays in memory). */
export function historyPathFor(mainPath: string): string {
  return mainPath === ":memory:" ? ":memory:" : join(dirname(mainPath), HISTORY_FILE);
}

/** Opens (creating if needed) the history database and brings its schema up to date. */
export function openHistoryDatabase(path: string, options: OpenOptions = {}): Database {
  const db = openDatabase(path, options);
  try {
    const version = (db.sqlite.query("PRAGMA user_version").get() as { user_version: number }).user_version;
    if (version > HISTORY_SCHEMA.length) {
      throw new Error(`${path} has history schema version ${version}, newer than this build knows (${HISTORY_SCHEMA.length}); upgrade Switchboard`);
    }
    for (let v = version; v < HISTORY_SCHEMA.length; v++) {
      db.sqlite.transaction(() => {
        for (const statement of HISTORY_SCHEMA[v]!) db.sqlite.run(statement);
        db.sqlite.run(`PRAGMA user_version = ${v + 1}`);
      })();
    }
  } catch (error) {
    db.close();
    throw error;
  }
  return db;
}

/**
 * Moves history written by earlier versions (into the instance database's `executions` table)
 * to history.db, so upgrading loses none. Copy first, then delete from the old table: a crash in
 * between only means the next start copies again (reads show a record stored twice once). Returns
 * how many rows moved.
 */
export function moveLegacyExecutions(main: Database, history: Database): number {
  if (main.path === ":memory:" || history.path === ":memory:") return 0;
  const legacy = main.sqlite.query("SELECT 1 AS one FROM sqlite_master WHERE type = 'table' AND name = 'executions'").get();
  if (!legacy || !main.sqlite.query("SELECT 1 AS one FROM executions LIMIT 1").get()) return 0;
  history.sqlite.run("ATTACH DATABASE ? AS legacy", [main.path]);
  try {
    const moved = history.sqlite.query<{ n: number }, []>("SELECT count(*) AS n FROM legacy.executions").get()!.n;
    history.sqlite.run(chunksFrom("legacy.executions"));
    main.sqlite.run("DELETE FROM executions");
    return moved;
  } finally {
    history.sqlite.run("DETACH DATABASE legacy");
  }
}
