/**
 * @module db/open
 * Opens the instance database with the pragmas every connection needs.
 */
import { Database as Sqlite } from "bun:sqlite";
import { drizzle, type BunSQLiteDatabase } from "drizzle-orm/bun-sqlite";
import * as schema from "./schema";

export type Orm = BunSQLiteDatabase<typeof schema>;

export interface Database {
  /** The raw connection, for prepared statements on hot paths (stores only). */
  readonly sqlite: Sqlite;
  /** drizzle over the same connection, for everything that is not hot. */
  readonly orm: Orm;
  readonly path: string;
  /** True when the database answers a trivial query (health checks). */
  ping(): boolean;
  /** Optimizes, checkpoints the WAL and closes; safe to call twice. */
  close(): void;
}

export interface OpenOptions {
  /** NORMAL survives a process crash (kill -9); FULL also survives power loss, at about 6x insert cost. */
  synchronous?: "NORMAL" | "FULL";
  busyTimeoutMs?: number;
}

/** File name of the database inside the data dir. */
export const DATABASE_FILE = "switchboard.db";

/** Opens (creating if needed) a SQLite file, or `:memory:`, ready for migrations. */
export function openDatabase(path: string, options: OpenOptions = {}): Database {
  const sqlite = new Sqlite(path, { create: true, strict: true });
  // auto_vacuum only takes effect on a database without tables, i.e. when it is first created;
  // INCREMENTAL lets retention jobs hand freed pages back to the file system later.
  sqlite.run("PRAGMA auto_vacuum = INCREMENTAL");
  sqlite.run("PRAGMA journal_mode = WAL");
  sqlite.run(`PRAGMA synchronous = ${options.synchronous ?? "NORMAL"}`);
  sqlite.run("PRAGMA foreign_keys = ON");
  sqlite.run(`PRAGMA busy_timeout = ${options.busyTimeoutMs ?? 5000}`);
  sqlite.run("PRAGMA temp_store = MEMORY");
  sqlite.run("PRAGMA cache_size = -16000");
  const orm = drizzle(sqlite, { schema });
  const ping = sqlite.prepare("SELECT 1");
  let closed = false;
  return {
    sqlite,
    orm,
    path,
    ping() {
      if (closed) return false;
      try {
        ping.get();
        return true;
      } catch {
        return false;
      }
    },
    close() {
      if (closed) return;
      closed = true;
      try {
        sqlite.run("PRAGMA optimize");
        sqlite.run("PRAGMA wal_checkpoint(TRUNCATE)");
      } finally {
        sqlite.close(false);
      }
    },
  };
}
