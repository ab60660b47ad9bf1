/**
 * @module db/migrate
 * Applies the embedded migrations in order, each in its own transaction, recording them in
 * `_migrations`. Running it again changes nothing. A database that has a migration this build
 * does not know was written by a newer version and is refused rather than half-understood.
 */
import type { Database as Sqlite } from "bun:sqlite";
import { MIGRATIONS } from "./migrations";

export interface Migration {
  tag: string;
  sql: string;
}

/** The data dir was written by a newer Switchboard; refuse to touch it. */
export class NewerDatabaseError extends Error {
  override name = "NewerDatabaseError";
}

const BREAKPOINT = "--> statement-breakpoint";

/** Applies pending migrations and returns the tags it applied (empty when up to date). */
export function migrate(sqlite: Sqlite, migrations: readonly Migration[] = MIGRATIONS): string[] {
  sqlite.run(
    "CREATE TABLE IF NOT EXISTS _migrations (id INTEGER PRIMARY KEY, tag TEXT NOT NULL UNIQUE, applied_at INTEGER NOT NULL)",
  );
  const applied = new Set(appliedMigrations(sqlite));
  const known = new Set(migrations.map((m) => m.tag));
  const unknown = [...applied].filter((tag) => !known.has(tag));
  if (unknown.length > 0) {
    throw new NewerDatabaseError(
      `the database was written by a newer Switchboard (unknown migration ${unknown.sort().at(-1)}); run that version or newer`,
    );
  }
  const record = sqlite.prepare("INSERT INTO _migrations (tag, applied_at) VALUES (?, ?)");
  const isApplied = sqlite.prepare<{ n: number }, [string]>("SELECT count(*) AS n FROM _migrations WHERE tag = ?");
  const done: string[] = [];
  for (const migration of migrations) {
    if (applied.has(migration.tag)) continue;
    const apply = sqlite.transaction(() => {
      // Checked again under the write lock: another process may have applied it meanwhile.
      if (isApplied.get(migration.tag)!.n > 0) return false;
      for (const statement of migration.sql.split(BREAKPOINT)) {
        if (statement.trim()) sqlite.run(statement);
      }
      record.run(migration.tag, Date.now());
      return true;
    });
    // IMMEDIATE takes the write lock up front, so two processes migrating at once serialize.
    if (apply.immediate()) done.push(migration.tag);
  }
  return done;
}

/** Tags of the migrations recorded in the database, in the order they were applied. */
export function appliedMigrations(sqlite: Sqlite): string[] {
  return sqlite.query<{ tag: string }, []>("SELECT tag FROM _migrations ORDER BY id").all().map((r) => r.tag);
}
