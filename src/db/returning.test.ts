import { expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { mkdtempSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { returningOne } from "./returning";

test("writes with RETURNING through returningOne keep the WAL checkpointed", () => {
  const path = join(mkdtempSync(join(tmpdir(), "sb-returning-")), "x.db");
  const db = new Database(path);
  db.run("PRAGMA journal_mode = WAL");
  db.run("PRAGMA wal_autocheckpoint = 100");
  db.run("CREATE TABLE t (x, pad)");
  const insert = db.prepare<{ x: number }, [number]>("INSERT INTO t VALUES (?, randomblob(3000)) RETURNING x");
  for (let i = 0; i < 2000; i++) expect(returningOne(insert, i)).toEqual({ x: i });
  // 2,000 inserts of ~3 KB are ~6 MB of pages: a checkpointed WAL stays near 100 pages.
  expect(statSync(`${path}-wal`).size).toBeLessThan(1_000_000);
  expect(returningOne(db.prepare<{ x: number }, [number]>("UPDATE t SET x = x WHERE x = ? RETURNING x"), -1)).toBeUndefined();
  db.close();
});
