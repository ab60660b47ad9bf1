import { describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { newId } from "../ids";
import { createExecutionsStore } from "../modules/executions/store";
import { migrate } from "./migrate";
import { HISTORY_FILE, historyPathFor, moveLegacyExecutions, openHistoryDatabase } from "./history";
import { DATABASE_FILE, openDatabase } from "./open";

const dir = () => mkdtempSync(join(tmpdir(), "sb-history-"));
const T0 = Date.UTC(2025, 0, 1);
/** The executions table of history.db versions 1 and 2. */
const V1_TABLE =
  "CREATE TABLE executions (id text PRIMARY KEY NOT NULL, account_id text NOT NULL, endpoint_id text, kind text DEFAULT 'endpoint' NOT NULL, status text NOT NULL, http_status integer, error_code text, error_message text, method text, path text, client_ip text, key_prefix text, started_at integer NOT NULL, duration_ms integer NOT NULL, steps text NOT NULL)";
const V1_COLUMNS = "id, account_id, endpoint_id, kind, status, http_status, error_code, error_message, method, path, client_ip, key_prefix, started_at, duration_ms, steps";

describe("history database", () => {
  test("lives next to the instance database; in memory stays in memory", () => {
    expect(historyPathFor("/data/switchboard.db")).toBe(`/data/${HISTORY_FILE}`);
    expect(historyPathFor(":memory:")).toBe(":memory:");
  });

  test("gets the execution_chunks table and its indexes; opening again changes nothing", () => {
    const path = join(dir(), HISTORY_FILE);
    const first = openHistoryDatabase(path);
    const names = first.sqlite.query<{ name: string }, []>("SELECT name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY name").all().map((r) => r.name);
    expect(names).toEqual(["execution_chunks", "execution_chunks_endpoint", "execution_chunks_time"]);
    first.close();
    const again = openHistoryDatabase(path);
    expect(again.sqlite.query("PRAGMA user_version").get()).toEqual({ user_version: 3 });
    expect(again.sqlite.query("PRAGMA journal_mode").get()).toEqual({ journal_mode: "wal" });
    again.close();
  });

  for (const version of [1, 2]) {
    test(`a version ${version} history database moves its rows into chunks, every field kept`, () => {
      const path = join(dir(), HISTORY_FILE);
      const old = openDatabase(path);
      old.sqlite.run(V1_TABLE);
      old.sqlite.run("CREATE INDEX executions_endpoint_started ON executions (endpoint_id, started_at)");
      if (version === 1) old.sqlite.run("CREATE INDEX executions_started ON executions (started_at)");
      const insert = old.sqlite.prepare(`INSERT INTO executions (${V1_COLUMNS}) VALUES (${V1_COLUMNS.split(", ").map(() => "?").join(", ")})`);
      const full = ["failed", 502, "UPSTREAM_ERROR", "it said \"no\" ' or 1=1 --", "POST", "/orders/ünï", "2001:db8::1", "sb_AbCdEf", T0, 12.5, '[{"index":0,"type":"send_webhook","status":"failed","duration_ms":12,"error":{"code":"UPSTREAM_ERROR","message":"503"}}]'];
      const fullId = newId("exe", T0);
      insert.run(fullId, "acc_1", "ep_1", "endpoint", ...full);
      const bareId = newId("exe", T0 + 1);
      insert.run(bareId, "acc_1", null, "endpoint", "completed", null, null, null, null, null, null, null, T0 + 1, 1, "not json");
      // These versions read the clock twice: the id's time may be a millisecond before the start.
      const skewedId = newId("exe", T0 + 499);
      insert.run(skewedId, "acc_1", "ep_2", "endpoint", "completed", 200, null, null, "GET", "/", null, null, T0 + 500, 1, "[]");
      // 250 in one 3 s span: chunks of 100 at most.
      for (let i = 0; i < 250; i++) insert.run(newId("exe", T0 + 10 + i), "acc_1", "ep_busy", "endpoint", "completed", 200, null, null, "GET", "/", null, null, T0 + 10 + i, 1, "[]");
      old.sqlite.run(`PRAGMA user_version = ${version}`);
      old.close();

      const upgraded = openHistoryDatabase(path);
      const names = upgraded.sqlite.query<{ name: string }, []>("SELECT name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY name").all().map((r) => r.name);
      expect(names).toEqual(["execution_chunks", "execution_chunks_endpoint", "execution_chunks_time"]);
      expect(upgraded.sqlite.query("PRAGMA user_version").get()).toEqual({ user_version: 3 });
      const store = createExecutionsStore(upgraded);
      expect(store.get("acc_1", fullId)).toEqual({
        id: fullId,
        account_id: "acc_1",
        endpoint_id: "ep_1",
        kind: "endpoint",
        status: "failed",
        http_status: 502,
        error_code: "UPSTREAM_ERROR",
        error_message: "it said \"no\" ' or 1=1 --",
        method: "POST",
        path: "/orders/ünï",
        client_ip: "2001:db8::1",
        key_prefix: "sb_AbCdEf",
        started_at: T0,
        duration_ms: 12.5,
        steps: [{ index: 0, type: "send_webhook", status: "failed", duration_ms: 12, error: { code: "UPSTREAM_ERROR", message: "503" } }],
      });
      // Nulls read as absent; steps that were not JSON read as none.
      expect(store.get("acc_1", bareId)).toEqual({ id: bareId, account_id: "acc_1", endpoint_id: null, kind: "endpoint", status: "completed", http_status: 0, method: "", path: "", started_at: T0 + 1, duration_ms: 1, steps: [] });
      expect(store.get("acc_1", skewedId)).toMatchObject({ id: skewedId, endpoint_id: "ep_2", started_at: T0 + 500 });
      expect(store.countForEndpoint("ep_busy")).toBe(250);
      expect(store.listForEndpoint("acc_1", "ep_busy", { limit: 300 }).rows.map((r) => r.started_at)).toEqual(Array.from({ length: 250 }, (_, i) => T0 + 259 - i));
      const sizes = upgraded.sqlite.query<{ count: number }, []>("SELECT count FROM execution_chunks WHERE endpoint_id = 'ep_busy' ORDER BY first_at").all().map((r) => r.count);
      expect(sizes).toEqual([100, 100, 50]);
      upgraded.close();
    });
  }

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
    const ids = Array.from({ length: 5 }, (_, i) => newId("exe", T0 + i));
    ids.forEach((id, i) => insert.run(id, T0 + i));
    const history = openHistoryDatabase(historyPathFor(main.path));
    expect(moveLegacyExecutions(main, history)).toBe(5);
    const store = createExecutionsStore(history);
    expect(store.countForEndpoint("ep_1")).toBe(5);
    expect(store.get("acc_1", ids[3]!)).toMatchObject({ id: ids[3], endpoint_id: "ep_1", method: "GET", started_at: T0 + 3 });
    expect(main.sqlite.query("SELECT count(*) AS n FROM executions").get()).toEqual({ n: 0 });
    expect(moveLegacyExecutions(main, history)).toBe(0);
    expect(store.countForEndpoint("ep_1")).toBe(5);
    history.close();
    main.close();
  });
});
