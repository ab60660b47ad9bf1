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

const COLUMNS = "id, account_id, endpoint_id, kind, status, http_status, error_code, error_message, method, path, client_ip, key_prefix, started_at, duration_ms, steps";

/**
 * Moves history written by earlier versions (into the instance database's `executions` table)
 * to history.db, so upgrading loses none. Copy first (ids already there are skipped), then delete
 * from the old table: a crash in between only means the next start copies again. Returns how
 * many rows moved.
 */
export function moveLegacyExecutions(main: Database, history: Database): number {
  if (main.path === ":memory:" || history.path === ":memory:") return 0;
  const legacy = main.sqlite.query("SELECT 1 AS one FROM sqlite_master WHERE type = 'table' AND name = 'executions'").get();
  if (!legacy || !main.sqlite.query("SELECT 1 AS one FROM executions LIMIT 1").get()) return 0;
  history.sqlite.run("ATTACH DATABASE ? AS legacy", [main.path]);
  try {
    const moved = history.sqlite.run(`INSERT OR IGNORE INTO main.executions (${COLUMNS}) SELECT ${COLUMNS} FROM legacy.executions`).changes;
    main.sqlite.run("DELETE FROM executions");
    return moved;
  } finally {
    history.sqlite.run("DETACH DATABASE legacy");
  }
}
