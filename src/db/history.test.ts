import { describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { migrate } from "./migrate";
import { HISTORY_FILE, historyPathFor, moveLegacyExecutions, openHistoryDatabase } from "./history";
import { DATABASE_FILE, openDatabase } from "./open";

const dir = () => mkdtempSync(join(tmpdir(), "sb-history-"));

describe("history database", () => {
  test("lives next to the instance database; in memory stays in memory", () => {
    expect(historyPathFor("/data/switchboard.db")).toBe(`/data/${HISTORY_FILE}`);
    expect(historyPathFor(":memory:")).toBe(":memory:");
  });

  test("gets the executions table and its indexes; opening again changes nothing", () => {
    const path = join(dir(), HISTORY_FILE);
    const first = openHistoryDatabase(path);
    const names = first.sqlite.query<{ name: string }, []>("SELECT name FROM sqlite_master ORDER BY name").all().map((r) => r.name);
    expect(names).toContain("executions");
    expect(names).toContain("executions_endpoint_started");
    expect(names).not.toContain("executions_started");
    first.close();
    const again = openHistoryDatabase(path);
    expect(again.sqlite.query("PRAGMA user_version").get()).toEqual({ user_version: 2 });
    expect(again.sqlite.query("PRAGMA journal_mode").get()).toEqual({ journal_mode: "wal" });
    again.close();
  });

  test("a version 1 history database loses its started_at index and keeps its rows", () => {
    const path = join(dir(), HISTORY_FILE);
    const v1 = openDatabase(path);
    v1.sqlite.run("CREATE TABLE executions (id text PRIMARY KEY NOT NULL, account_id text NOT NULL, endpoint_id text, kind text DEFAULT 'endpoint' NOT NULL, status text NOT NULL, http_status integer, error_code text, error_message text, method text, path text, client_ip text, key_prefix text, started_at integer NOT NULL, duration_ms integer NOT NULL, steps text NOT NULL)");
    v1.sqlite.run("CREATE INDEX executions_endpoint_started ON executions (endpoint_id, started_at)");
    v1.sqlite.run("CREATE INDEX executions_started ON executions (started_at)");
    v1.sqlite.run("INSERT INTO executions (id, account_id, endpoint_id, status, started_at, duration_ms, steps) VALUES ('exe_1', 'acc_1', 'ep_1', 'completed', 1, 1, '[]')");
    v1.sqlite.run("PRAGMA user_version = 1");
    v1.close();
    const upgraded = openHistoryDatabase(path);
    const indexes = upgraded.sqlite.query<{ name: string }, []>("SELECT name FROM sqlite_master WHERE type = 'index' ORDER BY name").all().map((r) => r.name);
    expect(indexes).toContain("executions_endpoint_started");
    expect(indexes).not.toContain("executions_started");
    expect(upgraded.sqlite.query("SELECT id FROM executions").all()).toEqual([{ id: "exe_1" }]);
    expect(upgraded.sqlite.query("PRAGMA user_version").get()).toEqual({ user_version: 2 });
    upgraded.close();
  });

  test("a history database from a newer version is refused", () => {
    const path = join(dir(), HISTORY_FILE);
    const db = openDatabase(path);
    db.sqlite.run("PRAGMA user_version = 99");
    db.close();
    expect(() => openHistoryDatabase(path)).toThrow(/newer than this build/);
  });

  test("history kept in the instance database by earlier versions moves over, once", () => {
    const data = dir();
    const main = openDatabase(join(data, DATABASE_FILE));
    migrate(main.sqlite);
    const insert = main.sqlite.prepare(
      "INSERT INTO executions (id, account_id, endpoint_id, kind, status, http_status, method, path, started_at, duration_ms, steps) VALUES (?, 'acc_1', 'ep_1', 'endpoint', 'completed', 200, 'GET', '/', ?, 1, '[]')",
    );
    for (let i = 0; i < 5; i++) insert.run(`exe_${i}`, 1_700_000_000_000 + i);
    const history = openHistoryDatabase(historyPathFor(main.path));
    history.sqlite.run("INSERT INTO executions (id, account_id, kind, status, started_at, duration_ms, steps) VALUES ('exe_0', 'acc_1', 'endpoint', 'completed', 1, 1, '[]')");
    expect(moveLegacyExecutions(main, history)).toBe(4); // exe_0 was already there (a crash between copy and delete)
    expect(history.sqlite.query("SELECT count(*) AS n FROM executions").get()).toEqual({ n: 5 });
    expect(main.sqlite.query("SELECT count(*) AS n FROM executions").get()).toEqual({ n: 0 });
    expect(moveLegacyExecutions(main, history)).toBe(0);
    history.close();
    main.close();
  });
});
