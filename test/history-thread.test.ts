/**
 * The history writer thread, as `serve` runs it: records are stored by another thread through
 * its own connection, redacted the same way, `flush()` returns only once they are in the
 * database, `stop()` drains and closes it, and a thread that cannot start falls back to writing in
 * the request thread.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { createMemoryLogger } from "../src/log";
import { createHistoryThread } from "../src/modules/executions/history-thread";
import { createExecutionRecorder } from "../src/modules/executions/recorder";
import type { StoredExecution } from "../src/modules/executions/store";
import type { ExecutionRecord } from "../src/modules/executions/types";
import { ADMIN, createIdentityTestApp, tempDir, type TestApp } from "./helpers/app";

let t: TestApp;
let admin: string;
beforeAll(async () => {
  t = await createIdentityTestApp({ historyThread: true });
  admin = await t.login(ADMIN.email, ADMIN.password);
});
afterAll(() => t.close());

/** The stored records of an endpoint, read straight from its chunks: ids and steps as JSON text. */
const rowsOf = (endpointId: string) =>
  t.services.historyDb.sqlite
    .query<{ records: string }, [string]>("SELECT records FROM execution_chunks WHERE endpoint_id = ?")
    .all(endpointId)
    .flatMap((chunk) => (JSON.parse(chunk.records) as { id: string; steps: unknown }[]).map((r) => ({ id: r.id, steps: JSON.stringify(r.steps) })));

/** A fallback store that keeps what the request thread writes itself, steps parsed back. */
function fallbackStore() {
  const rows: ExecutionRecord[] = [];
  return { rows, insertRows: (batch: readonly StoredExecution[]) => void rows.push(...batch.map((r) => ({ ...r, steps: JSON.parse(r.steps) }))) };
}

describe("history writer thread", () => {
  test("calls are stored by the thread, redacted; flush() waits for them", async () => {
    const ep = (
      await t.request("POST", "/api/v1/endpoints", {
        token: admin,
        body: { name: "thread", path: "/thread", method: "POST", actions: [{ type: "transform", config: { template: { said: "{{request.body.say}}", api_key: "{{request.body.say}}" } } }] },
      })
    ).json.data;
    const key = (await t.request("POST", "/api/v1/keys", { token: admin, body: { name: "thread" } })).json.data.key as string;
    const ids: string[] = [];
    for (let i = 0; i < 250; i++) {
      const res = await t.request("POST", "/api/v1/x/default/thread", { token: key, body: { say: i === 0 ? `token ${key} ünï` : `n${i}` } });
      expect(res.status).toBe(200);
      ids.push(res.headers.get("x-execution-id")!);
    }
    t.services.recorder.flush();
    expect(t.services.recorder.pending()).toBe(0);
    const rows = rowsOf(ep.id);
    expect(rows.length).toBe(250);
    expect(new Set(rows.map((r) => r.id))).toEqual(new Set(ids));
    const first = JSON.parse(rows.find((r) => r.id === ids[0])!.steps);
    expect(first[0].result).toEqual({ said: "token [REDACTED] ünï", api_key: "[REDACTED]" });
    expect(JSON.stringify(rows)).not.toContain(key);
    // The history API reads what the thread wrote.
    const one = await t.request("GET", `/api/v1/executions/${ids[1]}`, { token: admin });
    expect(one.json.data.steps[0].result).toEqual({ said: "n1", api_key: "[REDACTED]" });
  });

  test("a result with nothing to hide is stored as it was, odd text included; one with a key in it is scrubbed", async () => {
    const ep = (
      await t.request("POST", "/api/v1/endpoints", {
        token: admin,
        body: { name: "as-is", path: "/as-is", method: "POST", actions: [{ type: "transform", config: { template: { echo: "{{request.body.text}}", n: 7 } } }] },
      })
    ).json.data;
    const key = (await t.request("POST", "/api/v1/keys", { token: admin, body: { name: "as-is" } })).json.data.key as string;
    // Stored as it came (no `=`, token, secret key or JSON text in it), then through the full scrub.
    const odd = `say "hi"! \\ back\nline \u2028 é😀 __proto__ {not json`;
    const sql = "' or 1=1 --";
    const texts = [odd, sql, `mine: ${key}`];
    const ids: string[] = [];
    for (const text of texts) {
      const res = await t.request("POST", "/api/v1/x/default/as-is", { token: key, body: { text } });
      expect(res.status).toBe(200);
      ids.push(res.headers.get("x-execution-id")!);
    }
    t.services.recorder.flush();
    const stored = new Map(rowsOf(ep.id).map((r) => [r.id, JSON.parse(r.steps)]));
    expect(stored.get(ids[0]!)[0].result).toEqual({ echo: odd, n: 7 });
    expect(stored.get(ids[1]!)[0].result).toEqual({ echo: sql, n: 7 });
    expect(stored.get(ids[2]!)[0].result).toEqual({ echo: "mine: [REDACTED]", n: 7 });
    expect(JSON.stringify([...stored.values()])).not.toContain(key);
  });

  test("the thread holds each endpoint to its cap as it writes, keeping the newest", () => {
    const logger = createMemoryLogger();
    const store = fallbackStore();
    const thread = createHistoryThread(store, logger, { path: t.services.historyDb.path, synchronous: "NORMAL", maxBatch: 10, maxResultBytes: 4096, maxPerEndpoint: 50 });
    const recorder = createExecutionRecorder(store, logger, { sink: thread });
    const t0 = Date.now();
    const rec = (i: number): ExecutionRecord => ({ id: `exe_cap_${String(i).padStart(3, "0")}`, account_id: "acc_x", endpoint_id: "ep_capped", kind: "endpoint", status: "completed", http_status: 200, method: "GET", path: "/", started_at: t0 + i, duration_ms: 1, steps: [] });
    for (let i = 0; i < 600; i++) {
      recorder.record(rec(i), []);
      if (i % 40 === 39) recorder.flush();
    }
    recorder.stop();
    const kept = rowsOf("ep_capped").map((r) => r.id).sort();
    // At most a tenth over the cap between two trims; never fewer than the cap.
    expect(kept.length).toBeGreaterThanOrEqual(50);
    expect(kept.length).toBeLessThanOrEqual(55);
    expect(kept).toEqual(Array.from({ length: kept.length }, (_, k) => `exe_cap_${String(600 - kept.length + k).padStart(3, "0")}`));
    expect(store.rows.length).toBe(0);
  });

  test.each([true, false])("serve's history keeps each endpoint to SWITCHBOARD_HISTORY_MAX_PER_ENDPOINT under sustained calls (thread: %p)", async (historyThread) => {
    const capped = await createIdentityTestApp({ historyThread, historyMaxPerEndpoint: 20 });
    try {
      const token = await capped.login(ADMIN.email, ADMIN.password);
      const ep = (await capped.request("POST", "/api/v1/endpoints", { token, body: { name: "capped", path: "/capped", method: "POST", actions: [] } })).json.data;
      const key = (await capped.request("POST", "/api/v1/keys", { token, body: { name: "capped" } })).json.data.key as string;
      const ids: string[] = [];
      for (let i = 0; i < 120; i++) {
        const res = await capped.request("POST", "/api/v1/x/default/capped", { token: key, body: {} });
        expect(res.status).toBeLessThan(300);
        ids.push(res.headers.get("x-execution-id")!);
        if (i % 30 === 29) capped.services.recorder.flush();
      }
      capped.services.recorder.flush();
      const n = capped.services.executionsStore.countForEndpoint(ep.id);
      expect(n).toBeGreaterThanOrEqual(20);
      expect(n).toBeLessThanOrEqual(22);
      // The newest call is always kept.
      const last = await capped.request("GET", `/api/v1/executions/${ids[ids.length - 1]}`, { token });
      expect(last.status).toBe(200);
    } finally {
      capped.close();
    }
  });

  test("stop() stores what is queued and closes the thread; later records are written here", () => {
    const logger = createMemoryLogger();
    const store = fallbackStore();
    // The thread writes the real database; `store` is only the fallback and must stay unused until stop.
    const thread = createHistoryThread(store, logger, { path: t.services.historyDb.path, synchronous: "NORMAL", maxBatch: 10, maxResultBytes: 4096 });
    const recorder = createExecutionRecorder(store, logger, { sink: thread });
    const rec = (id: string): ExecutionRecord => ({ id, account_id: "acc_x", endpoint_id: "ep_stop", kind: "endpoint", status: "completed", http_status: 200, method: "GET", path: "/", started_at: Date.now(), duration_ms: 1, steps: [] });
    for (let i = 0; i < 35; i++) recorder.record(rec(`exe_stop_${i}`), []);
    recorder.stop();
    expect(rowsOf("ep_stop").length).toBe(35);
    expect(store.rows.length).toBe(0);
    recorder.record(rec("exe_after_stop"), []);
    recorder.flush();
    expect(store.rows.map((r) => r.id)).toEqual(["exe_after_stop"]);
  });

  test("records are committed by the thread within its delay, without a flush", async () => {
    const logger = createMemoryLogger();
    const store = fallbackStore();
    const thread = createHistoryThread(store, logger, { path: t.services.historyDb.path, synchronous: "NORMAL", maxBatch: 10, maxResultBytes: 4096 });
    const recorder = createExecutionRecorder(store, logger, { sink: thread });
    const rec = (id: string): ExecutionRecord => ({ id, account_id: "acc_x", endpoint_id: "ep_later", kind: "endpoint", status: "completed", http_status: 200, method: "GET", path: "/", started_at: Date.now(), duration_ms: 1, steps: [] });
    // Three slices, a few milliseconds apart: the thread holds them and commits them together.
    for (let slice = 0; slice < 3; slice++) {
      for (let i = 0; i < 4; i++) recorder.record(rec(`exe_later_${slice}_${i}`), []);
      await Bun.sleep(5);
    }
    const deadline = performance.now() + 2000;
    while (rowsOf("ep_later").length < 12 && performance.now() < deadline) await Bun.sleep(10);
    expect(rowsOf("ep_later").length).toBe(12);
    expect(store.rows.length).toBe(0);
    recorder.stop();
  });

  test("a thread that cannot open the database is reported and history is written here instead", async () => {
    const logger = createMemoryLogger();
    const store = fallbackStore();
    const thread = createHistoryThread(store, logger, { path: join(tempDir(), "missing", "dir", "x.db"), synchronous: "NORMAL", maxBatch: 10, maxResultBytes: 4096, settleTimeoutMs: 2000 });
    const recorder = createExecutionRecorder(store, logger, { sink: thread });
    const rec = (id: string): ExecutionRecord => ({ id, account_id: "acc_x", endpoint_id: "ep_fail", kind: "endpoint", status: "completed", http_status: 200, method: "GET", path: "/", started_at: Date.now(), duration_ms: 1, steps: [] });
    recorder.record(rec("exe_posted"), []);
    const started = performance.now();
    recorder.flush(); // posted to a thread that fails to open: it says so through shared memory
    expect(performance.now() - started).toBeLessThan(1500);
    expect(logger.lines.some((l) => l.includes("history writer thread failed"))).toBe(true);
    // The slice the thread could not store is written here.
    expect(store.rows.map((r) => r.id)).toEqual(["exe_posted"]);
    recorder.record(rec("exe_here"), []);
    recorder.flush();
    expect(store.rows.map((r) => r.id)).toEqual(["exe_posted", "exe_here"]);
    recorder.stop();
  });

  test("a thread that dies with slices posted to it loses none of them: they are written here, redacted", async () => {
    const logger = createMemoryLogger();
    const store = fallbackStore();
    const worker = { source: new URL("./fixtures/dying-history-worker.ts", import.meta.url), inBinary: "" };
    const thread = createHistoryThread(store, logger, { path: t.services.historyDb.path, synchronous: "NORMAL", maxBatch: 10, maxResultBytes: 4096, worker });
    const recorder = createExecutionRecorder(store, logger, { sink: thread });
    const secret = "sb_dying_thread_secret_value";
    const rec = (id: string): ExecutionRecord => ({
      id, account_id: "acc_x", endpoint_id: "ep_died", kind: "endpoint", status: "completed", http_status: 200, method: "GET", path: "/",
      started_at: Date.now(), duration_ms: 1, steps: [{ index: 0, type: "transform", status: "completed", duration_ms: 0, result: { said: `key ${secret}` } }],
    });
    for (let i = 0; i < 3; i++) recorder.record(rec(`exe_died_${i}`), [secret]);
    // The recorder's timer posts the slice; the thread throws on it and its error event arrives here.
    const deadline = performance.now() + 3000;
    while (store.rows.length < 3 && performance.now() < deadline) await Bun.sleep(10);
    expect(store.rows.map((r) => r.id)).toEqual(["exe_died_0", "exe_died_1", "exe_died_2"]);
    expect(store.rows[0]!.steps[0]!.result).toEqual({ said: "key [REDACTED]" });
    const failure = logger.lines.find((l) => l.includes("history writer thread failed"))!;
    expect(failure).toContain("rewritten_slices");
    expect(failure).not.toContain("lost_slices");
    recorder.record(rec("exe_died_after"), [secret]);
    recorder.flush();
    expect(store.rows.length).toBe(4);
    recorder.stop();
  });

  test("a thread too far behind to take more: slices the ring cannot hold are written here, none lost", () => {
    const logger = createMemoryLogger();
    const store = fallbackStore();
    const worker = { source: new URL("./fixtures/stalled-history-worker.ts", import.meta.url), inBinary: "" };
    const thread = createHistoryThread(store, logger, { path: t.services.historyDb.path, synchronous: "NORMAL", maxBatch: 10, maxResultBytes: 4096, worker, ringBytes: 4096, settleTimeoutMs: 200 });
    const rec = (id: string): ExecutionRecord => ({ id, account_id: "acc_x", endpoint_id: "ep_full", kind: "endpoint", status: "completed", http_status: 200, method: "GET", path: "/", started_at: Date.now(), duration_ms: 1, steps: [] });
    const ids = Array.from({ length: 60 }, (_, i) => `exe_full_${String(i).padStart(2, "0")}`);
    // Slices of 5 records (~1 KB each) into a 4 KB ring the thread never empties.
    for (let i = 0; i < ids.length; i += 5) thread.write(ids.slice(i, i + 5).map((id) => ({ rec: rec(id), secrets: [] })));
    const here = store.rows.map((r) => r.id);
    expect(here.length).toBeGreaterThan(0);
    expect(here.length).toBeLessThan(ids.length);
    // The ring took the first slices; everything after it filled up was written here, in order.
    expect(here).toEqual(ids.slice(ids.length - here.length));
    expect(logger.lines.filter((l) => l.includes("writing history in the request thread until it catches up")).length).toBe(1);
    thread.close();
  });

  test("a slice too large for the ring is split, and a single record that still does not fit is written here", () => {
    const logger = createMemoryLogger();
    const store = fallbackStore();
    const thread = createHistoryThread(store, logger, { path: t.services.historyDb.path, synchronous: "NORMAL", maxBatch: 10, maxResultBytes: 4096, ringBytes: 16384 });
    const rec = (id: string, size: number): ExecutionRecord => ({
      id, account_id: "acc_x", endpoint_id: "ep_split", kind: "endpoint", status: "completed", http_status: 200, method: "GET", path: "/",
      started_at: Date.now(), duration_ms: 1, steps: [{ index: 0, type: "transform", status: "completed", duration_ms: 0, result: "r".repeat(size) }],
    });
    // Eight records of ~1.2 KB: one frame of ~10 KB is over the 8 KB a frame may take; halves fit.
    const small = Array.from({ length: 8 }, (_, i) => rec(`exe_split_${i}`, 1000));
    thread.write(small.map((r) => ({ rec: r, secrets: [] })));
    // One record of 10 KB cannot be a frame: written (and truncated) here.
    thread.write([{ rec: rec("exe_split_big", 10_000), secrets: [] }]);
    thread.settle();
    expect(store.rows.map((r) => r.id)).toEqual(["exe_split_big"]);
    expect(store.rows[0]!.steps[0]!.result).toMatchObject({ truncated: true });
    expect(rowsOf("ep_split").map((r) => r.id).sort()).toEqual(small.map((r) => r.id).sort());
    thread.close();
  });
});
