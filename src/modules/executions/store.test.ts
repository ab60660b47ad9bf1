import { afterEach, describe, expect, test } from "bun:test";
import { InvalidCursorError, decodeCursor, encodeCursor } from "./cursor";
import { LIST_PAGE_SQL, PRUNE_AGE_NO_ENDPOINT_SQL, PRUNE_AGE_SQL, PRUNE_THROUGH_SQL, type ExecutionsStore, type ListOptions } from "./store";
import { makeRecord, openTestStore } from "./testing";
import type { ExecutionRecord } from "./types";

const T0 = Date.UTC(2025, 0, 1);
let open: ReturnType<typeof openTestStore> | undefined;
afterEach(() => {
  open?.close();
  open = undefined;
});
const fresh = () => (open = openTestStore());

/** Every row of an endpoint, following cursors page by page. */
function walk(store: ExecutionsStore, options: Omit<ListOptions, "cursor">, between?: (page: number) => void) {
  const ids: string[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 1000; page++) {
    const result = store.listForEndpoint("acc_1", "ep_1", { ...options, cursor });
    ids.push(...result.rows.map((r) => r.id));
    expect(result.has_more).toBe(result.next_cursor !== null);
    if (!result.next_cursor) return ids;
    cursor = result.next_cursor;
    between?.(page);
  }
  throw new Error("cursor never ended");
}

const newestFirst = (records: ExecutionRecord[]) =>
  [...records].sort((a, b) => b.started_at - a.started_at || (a.id < b.id ? 1 : -1)).map((r) => r.id);

describe("executions store", () => {
  test("round-trips a record, optional fields and steps included", () => {
    const { store } = fresh();
    const full = makeRecord({
      status: "failed",
      http_status: 502,
      error_code: "UPSTREAM_ERROR",
      error_message: "upstream said no",
      client_ip: "2001:db8::1",
      key_prefix: "sb_AbCdEf",
      steps: [
        { index: 0, type: "send_webhook", name: "notify", status: "failed", duration_ms: 12, error: { code: "UPSTREAM_ERROR", message: "503" } },
        { index: 1, type: "transform", status: "skipped", duration_ms: 0 },
      ],
    });
    const bare = makeRecord({ endpoint_id: null });
    store.insertMany([full, bare]);
    expect(store.get("acc_1", full.id)).toEqual(full);
    expect(store.get("acc_1", bare.id)).toEqual(bare);
    expect(store.get("acc_other", full.id)).toBeUndefined();
    expect(store.get("acc_1", "exe_missing")).toBeUndefined();
  });

  test("insertMany is all or nothing", () => {
    const { store } = fresh();
    const a = makeRecord();
    store.insertMany([a]);
    expect(() => store.insertMany([makeRecord(), a])).toThrow();
    expect(store.countForEndpoint("ep_1")).toBe(1);
  });

  test("cursor pages: newest first, ties broken by id, no duplicates or gaps", () => {
    const { store } = fresh();
    // Ten per millisecond, so pages end in the middle of a tie.
    const records = Array.from({ length: 95 }, (_, i) => makeRecord({ started_at: T0 + Math.floor(i / 10) }));
    store.insertMany(records);
    for (const limit of [1, 7, 10, 50, 200]) expect(walk(store, { limit })).toEqual(newestFirst(records));
  });

  test("rows recorded between pages neither repeat nor shift the pages", () => {
    const { store } = fresh();
    const records = Array.from({ length: 60 }, (_, i) => makeRecord({ started_at: T0 + i }));
    store.insertMany(records);
    const added: ExecutionRecord[] = [];
    const seen = walk(store, { limit: 7 }, (page) => {
      // Newer calls arrive while someone pages through the history (as with live traffic).
      const batch = Array.from({ length: 5 }, (_, i) => makeRecord({ started_at: T0 + 1000 + page * 10 + i }));
      added.push(...batch);
      store.insertMany(batch);
    });
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual(newestFirst(records));
    expect(store.countForEndpoint("ep_1")).toBe(60 + added.length);
  });

  test("filters: status, from and to (inclusive), account and endpoint", () => {
    const { store } = fresh();
    const records = Array.from({ length: 40 }, (_, i) => makeRecord({ started_at: T0 + i * 1000, status: i % 3 === 0 ? "failed" : "completed" }));
    store.insertMany([
      ...records,
      makeRecord({ account_id: "acc_other", started_at: T0 }),
      makeRecord({ endpoint_id: "ep_2", started_at: T0 }),
    ]);
    const expectIds = (options: Omit<ListOptions, "cursor">, pick: (r: ExecutionRecord) => boolean) =>
      expect(walk(store, options)).toEqual(newestFirst(records.filter(pick)));
    const cases: [string, Omit<ListOptions, "cursor">, (r: ExecutionRecord) => boolean][] = [
      ["all", { limit: 6 }, () => true],
      ["failed", { limit: 4, status: "failed" }, (r) => r.status === "failed"],
      ["completed", { limit: 4, status: "completed" }, (r) => r.status === "completed"],
      ["from", { limit: 5, from: T0 + 30_000 }, (r) => r.started_at >= T0 + 30_000],
      ["to", { limit: 5, to: T0 + 9_000 }, (r) => r.started_at <= T0 + 9_000],
      ["from..to + failed", { limit: 2, from: T0 + 5_000, to: T0 + 25_000, status: "failed" }, (r) => r.status === "failed" && r.started_at >= T0 + 5_000 && r.started_at <= T0 + 25_000],
      ["empty range", { limit: 5, from: T0 + 100_000 }, () => false],
    ];
    for (const [, options, pick] of cases) expectIds(options, pick);
    expect(store.listForEndpoint("acc_other", "ep_2", { limit: 10 }).rows).toEqual([]);
    expect(store.hasForEndpoint("acc_1", "ep_2")).toBe(true);
    expect(store.hasForEndpoint("acc_other", "ep_2")).toBe(false);
  });

  test("the last full page says has_more=false", () => {
    const { store } = fresh();
    store.insertMany(Array.from({ length: 10 }, (_, i) => makeRecord({ started_at: T0 + i })));
    const page = store.listForEndpoint("acc_1", "ep_1", { limit: 10 });
    expect(page.rows).toHaveLength(10);
    expect(page).toMatchObject({ next_cursor: null, has_more: false });
  });

  const badCursors = ["", "not base64!", Buffer.from("123").toString("base64url"), Buffer.from("x.exe_1").toString("base64url"), Buffer.from("1.a b").toString("base64url"), "A".repeat(500)];
  for (const cursor of badCursors) {
    test(`bad cursor ${JSON.stringify(cursor.slice(0, 20))} throws InvalidCursorError`, () => {
      const { store } = fresh();
      expect(() => store.listForEndpoint("acc_1", "ep_1", { limit: 5, cursor })).toThrow(InvalidCursorError);
    });
  }

  test("cursor round trip", () => {
    const position = { startedAt: T0, id: "exe_01jd3x4k5m6n7p8q9r0s1t2v3w" };
    expect(decodeCursor(encodeCursor(position))).toEqual(position);
    expect(encodeCursor(position)).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  test("pages use the endpoint index", () => {
    const { db } = fresh();
    const explain = db.sqlite.prepare<{ detail: string }, (string | number | null)[]>(`EXPLAIN QUERY PLAN ${LIST_PAGE_SQL}`);
    const plan = explain.all("ep_1", "acc_1", 0, 9, 9, "x", null, 5).map((r) => r.detail).join("\n");
    // A live EXPLAIN statement keeps close()'s checkpoint from running after PRAGMA optimize.
    explain.finalize();
    expect(plan).toContain("executions_endpoint_started");
    expect(plan).not.toContain("SCAN");
  });
});

describe("pruning", () => {
  test("by age: oldest first within each endpoint, at most `batch` per call, rows without an endpoint too", () => {
    const { store, db } = fresh();
    store.insertMany(Array.from({ length: 250 }, (_, i) => makeRecord({ started_at: T0 + i, endpoint_id: `ep_${i % 3}` })));
    store.insertMany(Array.from({ length: 10 }, (_, i) => makeRecord({ started_at: T0 + i * 30, endpoint_id: null })));
    const calls: number[] = [];
    for (let n = -1; n !== 0; ) calls.push((n = store.pruneOlderThan(T0 + 200, 60)));
    // 200 old rows of the endpoints and 7 without one; the last call finds nothing more.
    expect(calls).toEqual([60, 60, 60, 27, 0]);
    const left = db.sqlite.query<{ started_at: number }, []>("SELECT started_at FROM executions ORDER BY started_at").all().map((r) => r.started_at);
    expect(left.length).toBe(53);
    expect(left.every((t) => t >= T0 + 200)).toBe(true);
    // A second pass starts from the first endpoint again.
    store.insertMany([makeRecord({ started_at: T0, endpoint_id: "ep_0" })]);
    expect(store.pruneOlderThan(T0 + 200, 60)).toBe(1);
  });

  test("by age and by count: deletes walk the endpoint index, never the table", () => {
    const { db } = fresh();
    const statements: [string, (string | number)[]][] = [
      [PRUNE_AGE_SQL, ["ep_1", T0, 10]],
      [PRUNE_AGE_NO_ENDPOINT_SQL, [T0, 10]],
      [PRUNE_THROUGH_SQL, ["ep_1", T0, 5]],
    ];
    for (const [sql, values] of statements) {
      const explain = db.sqlite.prepare<{ detail: string }, (string | number)[]>(`EXPLAIN QUERY PLAN ${sql}`);
      const plan = explain.all(...values).map((r) => r.detail).join("\n");
      explain.finalize();
      expect(plan).toContain("executions_endpoint_started");
      expect(plan).not.toContain("SCAN");
    }
  });

  test("by count: keeps the newest N of each endpoint, in batches across endpoints", () => {
    const { store } = fresh();
    const counts: Record<string, number> = { ep_a: 120, ep_b: 30, ep_c: 75 };
    const records: ExecutionRecord[] = [];
    for (const [ep, n] of Object.entries(counts)) for (let i = 0; i < n; i++) records.push(makeRecord({ endpoint_id: ep, started_at: T0 + i * 10 }));
    // Ties at the boundary: the 50th and 51st newest of ep_a share a millisecond.
    records.push(makeRecord({ endpoint_id: "ep_a", started_at: T0 + 700 }));
    store.insertMany(records);
    const calls: number[] = [];
    for (let n = -1; n !== 0; ) calls.push((n = store.pruneBeyondCount(50, 40).deleted));
    expect(calls).toEqual([40, 40, 16, 0]); // 71 + 25 over the limit
    expect([store.countForEndpoint("ep_a"), store.countForEndpoint("ep_b"), store.countForEndpoint("ep_c")]).toEqual([50, 30, 50]);
    // What is left of each endpoint is its newest.
    for (const ep of ["ep_a", "ep_c"]) {
      const oldestKept = store.listForEndpoint("acc_1", ep, { limit: 200 }).rows.at(-1)!.started_at;
      const newestOfAll = records.filter((r) => r.endpoint_id === ep).map((r) => r.started_at).sort((a, b) => b - a);
      expect(oldestKept).toBe(newestOfAll[49]!);
    }
  });

  test("by count: a call looks at `maxEndpoints` endpoints at most and the next goes on from there", () => {
    const { store } = fresh();
    const records: ExecutionRecord[] = [];
    for (let e = 0; e < 5; e++) for (let i = 0; i < 12; i++) records.push(makeRecord({ endpoint_id: `ep_${e}`, started_at: T0 + i }));
    store.insertMany(records);
    const calls = Array.from({ length: 4 }, () => store.pruneBeyondCount(10, 100, 2));
    expect(calls).toEqual([
      { deleted: 4, done: false },
      { deleted: 4, done: false },
      { deleted: 2, done: true },
      { deleted: 0, done: false },
    ]);
    expect([0, 1, 2, 3, 4].map((e) => store.countForEndpoint(`ep_${e}`))).toEqual([10, 10, 10, 10, 10]);
  });

  test("by count on a large table: each call stays small", () => {
    const { store } = fresh();
    const records: ExecutionRecord[] = [];
    for (let e = 0; e < 20; e++) for (let i = 0; i < 2_000; i++) records.push(makeRecord({ endpoint_id: `ep_${e}`, started_at: T0 + i }));
    store.insertMany(records);
    const started = performance.now();
    expect(store.pruneBeyondCount(1_500, 1_000)).toEqual({ deleted: 1_000, done: false });
    expect(performance.now() - started).toBeLessThan(500);
    let total = 1_000;
    for (let n = -1; n !== 0; ) total += n = store.pruneBeyondCount(1_500, 1_000).deleted;
    expect(total).toBe(20 * 500);
  });
});
