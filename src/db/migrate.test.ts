import { describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { appliedMigrations, migrate, NewerDatabaseError } from "./migrate";
import { MIGRATIONS } from "./migrations";
import { openDatabase } from "./open";

const tempDb = () => join(mkdtempSync(join(tmpdir(), "sb-mig-")), "switchboard.db");

const tables = (path: string) => {
  const db = openDatabase(path);
  const names = db.sqlite.query<{ name: string }, []>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all();
  db.close();
  return names.map((n) => n.name);
};

describe("migrate", () => {
  test("applies every embedded migration to a new file, then nothing on a second run", () => {
    const path = tempDb();
    const db = openDatabase(path);
    expect(migrate(db.sqlite)).toEqual(MIGRATIONS.map((m) => m.tag));
    const schemaBefore = db.sqlite.query("SELECT sql FROM sqlite_master ORDER BY name").all();
    expect(migrate(db.sqlite)).toEqual([]);
    expect(db.sqlite.query("SELECT sql FROM sqlite_master ORDER BY name").all()).toEqual(schemaBefore);
    db.close();
    // and again from a fresh connection to the same file
    const again = openDatabase(path);
    expect(migrate(again.sqlite)).toEqual([]);
    expect(appliedMigrations(again.sqlite)).toEqual(MIGRATIONS.map((m) => m.tag));
    again.close();
    expect(tables(path)).toContain("settings");
  });

  test("the database uses WAL, foreign keys and a busy timeout", () => {
    const db = openDatabase(tempDb());
    expect(db.sqlite.query<{ journal_mode: string }, []>("PRAGMA journal_mode").get()!.journal_mode).toBe("wal");
    expect(db.sqlite.query<{ foreign_keys: number }, []>("PRAGMA foreign_keys").get()!.foreign_keys).toBe(1);
    expect(db.sqlite.query<{ timeout: number }, []>("PRAGMA busy_timeout").get()!.timeout).toBe(5000);
    db.close();
  });

  test("a later migration is applied on top of an existing database", () => {
    const path = tempDb();
    const db = openDatabase(path);
    migrate(db.sqlite);
    const next = [...MIGRATIONS, { tag: "9999_extra", sql: "CREATE TABLE extra (id INTEGER PRIMARY KEY);\n--> statement-breakpoint\nCREATE INDEX extra_id ON extra (id);" }];
    expect(migrate(db.sqlite, next)).toEqual(["9999_extra"]);
    expect(migrate(db.sqlite, next)).toEqual([]);
    db.close();
    expect(tables(path)).toContain("extra");
  });

  test("a failing migration leaves nothing half-applied", () => {
    const db = openDatabase(tempDb());
    migrate(db.sqlite);
    const broken = [...MIGRATIONS, { tag: "9998_broken", sql: "CREATE TABLE half (id INTEGER);\n--> statement-breakpoint\nTHIS IS NOT SQL;" }];
    expect(() => migrate(db.sqlite, broken)).toThrow();
    expect(db.sqlite.query("SELECT name FROM sqlite_master WHERE name = 'half'").all()).toEqual([]);
    expect(appliedMigrations(db.sqlite)).not.toContain("9998_broken");
    db.close();
  });

  test("a database from a newer version is refused with a clear message", () => {
    const db = openDatabase(tempDb());
    migrate(db.sqlite, [...MIGRATIONS, { tag: "9999_future", sql: "CREATE TABLE future (id INTEGER)" }]);
    expect(() => migrate(db.sqlite)).toThrow(NewerDatabaseError);
    expect(() => migrate(db.sqlite)).toThrow(/newer Switchboard \(unknown migration 9999_future\)/);
    db.close();
  });

  test("the embedded migration index matches drizzle-kit's journal", () => {
    const proc = Bun.spawnSync([process.execPath, join(import.meta.dir, "..", "..", "scripts", "embed-migrations.ts"), "--check"]);
    expect(proc.stderr.toString()).toBe("");
    expect(proc.exitCode).toBe(0);
  });
});
