import { afterEach, describe, expect, test } from "bun:test";
import { InvalidCursorError, decodeCursor, encodeCursor } from "./cursor";
import { MAX_CHUNK_SPAN_MS } from "./chunks";
import {
  AGE_CHUNKS_NO_ENDPOINT_SQL,
  AGE_CHUNKS_SQL,
  ID_CHUNKS_SQL,
  NEWEST_CHUNKS_SQL,
  OLDER_CHUNKS_SQL,
  PAGE_CHUNKS_SQL,
  type ExecutionsStore,
  type ExecutionsStoreOptions,
  type ListOptions,
} from "./store";
import { makeRecord, openTestStore } from "./testing";
import type { ExecutionRecord } from "./types";

const T0 = Date.UTC(2025, 0, 1);
let open: ReturnType<typeof openTestStore> | undefined;
afterEach(() => {
  open?.close();
  open = undefined;
});
const fresh = (options: ExecutionsStoreOptions = {}) => (open = openTestStore(options));
/** A store writing one record per chunk: pruning counts come out exact, as with one row per record. */
const perRecord = () => fresh({ maxChunkRecords: 1 });

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

  test("an insert is all or nothing", () => {
    const { store } = fresh();
    const a = makeRecord();
    // The second record's chunk breaks a NOT NULL constraint after the first chunk went in.
    const broken = { ...makeRecord({ endpoint_id: "ep_2" }), account_id: null as unknown as string, steps: "[]" };
    expect(() => store.insertRows([{ ...a, steps: "[]" }, broken])).toThrow();
    expect(store.countForEndpoint("ep_1")).toBe(0);
    expect(store.get("acc_1", a.id)).toBeUndefined();
  });

  test("finds a record by id among many chunks, and only by its exact id", () => {
    const { store } = fresh({ maxChunkRecords: 7 });
    // Three endpoints, 3 ms apart and interleaved: many chunks overlap the same times.
    const records = Array.from({ length: 300 }, (_, i) => makeRecord({ started_at: T0 + i * 3, endpoint_id: `ep_${i % 3}` }));
    store.insertMany(records);
    for (const r of [records[0]!, records[150]!, records[299]!]) expect(store.get("acc_1", r.id)).toEqual(r);
    const id = records[10]!.id;
    for (const near of [id.slice(0, -1), `${id}0`, id.toUpperCase(), `${id.slice(0, 4)}zzzzzzzzzz${id.slice(14)}`, "' or 1=1 --", `"id":"${id}"`, "%", ""]) {
      expect(store.get("acc_1", near)).toBeUndefined();
    }
  });

  test("a record whose id another record's result quotes is still told apart", () => {
    const { store } = fresh();
    const target = makeRecord({ started_at: T0 });
    const quoting = makeRecord({ started_at: T0, steps: [{ index: 0, type: "transform", status: "completed", duration_ms: 1, result: { id: target.id } }] });
    store.insertMany([quoting]);
    expect(store.get("acc_1", target.id)).toBeUndefined();
    store.insertMany([target]);
    expect(store.get("acc_1", target.id)).toEqual(target);
  });

  test("chunks: per endpoint, at most maxChunkRecords, spanning at most MAX_CHUNK_SPAN_MS", () => {
    const { store, db } = fresh({ maxChunkRecords: 4 });
    const records = [
      ...Array.from({ length: 10 }, (_, i) => makeRecord({ started_at: T0 + i })),
      makeRecord({ started_at: T0 + 8 + MAX_CHUNK_SPAN_MS + 1 }),
      makeRecord({ started_at: T0 + 5, endpoint_id: "ep_2", status: "failed" }),
    ];
    store.insertMany(records);
    const chunks = db.sqlite.query<{ endpoint_id: string; first_at: number; last_at: number; count: number; failed: number }, []>(
      "SELECT endpoint_id, first_at, last_at, count, failed FROM execution_chunks ORDER BY endpoint_id, first_at",
    ).all();
    expect(chunks).toEqual([
      { endpoint_id: "ep_1", first_at: T0, last_at: T0 + 3, count: 4, failed: 0 },
      { endpoint_id: "ep_1", first_at: T0 + 4, last_at: T0 + 7, count: 4, failed: 0 },
      { endpoint_id: "ep_1", first_at: T0 + 8, last_at: T0 + 9, count: 2, failed: 0 },
      { endpoint_id: "ep_1", first_at: T0 + 8 + MAX_CHUNK_SPAN_MS + 1, last_at: T0 + 8 + MAX_CHUNK_SPAN_MS + 1, count: 1, failed: 0 },
      { endpoint_id: "ep_2", first_at: T0 + 5, last_at: T0 + 5, count: 1, failed: 1 },
    ]);
  });

  test("a record stored twice is shown once", () => {
    const { store } = fresh();
    const records = Array.from({ length: 5 }, (_, i) => makeRecord({ started_at: T0 + i }));
    store.insertMany(records);
    store.insertMany(records.slice(1, 3));
    expect(walk(store, { limit: 2 })).toEqual(newestFirst(records));
  });

  test("cursor pages: newest first, ties broken by id, no duplicates or gaps", () => {
    // Ten per millisecond, so pages end in the middle of a tie; chunks of 1, 3 and 500 records.
    const records = Array.from({ length: 95 }, (_, i) => makeRecord({ started_at: T0 + Math.floor(i / 10) }));
    for (const maxChunkRecords of [1, 3, 500]) {
      const { store, close } = openTestStore({ maxChunkRecords });
      try {
        store.insertMany(records);
        for (const limit of [1, 7, 10, 50, 200]) expect(walk(store, { limit })).toEqual(newestFirst(records));
      } finally {
        close();
      }
    }
  });

  test("pages are right when chunks overlap in time (a slow call recorded after faster ones)", () => {
    const { store } = fresh({ maxChunkRecords: 5 });
    const records: ExecutionRecord[] = [];
    // Each write holds calls that started up to 3 s before the newest of the previous write.
    for (let w = 0; w < 12; w++) {
      const batch = Array.from({ length: 9 }, (_, i) => makeRecord({ started_at: T0 + w * 1000 + ((i * 1337) % 4000) - 2000 }));
      records.push(...batch);
      store.insertMany(batch);
    }
    for (const limit of [1, 4, 9, 25]) {
      expect(walk(store, { limit })).toEqual(newestFirst(records));
      expect(walk(store, { limit, from: T0 + 2500, to: T0 + 7000 })).toEqual(newestFirst(records.filter((r) => r.started_at >= T0 + 2500 && r.started_at <= T0 + 7000)));
    }
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

  test("pages and lookups by id use their index", () => {
    const { db } = fresh();
    const statements: [string, string, (string | number | null)[]][] = [
      [PAGE_CHUNKS_SQL, "execution_chunks_endpoint", ["ep_1", "acc_1", 0, 9, 9]],
      [ID_CHUNKS_SQL, "execution_chunks_time", [T0, "acc_1", "x"]],
    ];
    for (const [sql, index, values] of statements) {
      const explain = db.sqlite.prepare<{ detail: string }, (string | number | null)[]>(`EXPLAIN QUERY PLAN ${sql}`);
      const plan = explain.all(...values).map((r) => r.detail).join("\n");
      // A live EXPLAIN statement keeps close()'s checkpoint from running after PRAGMA optimize.
      explain.finalize();
      expect(plan).toContain(index);
      expect(plan).not.toContain("SCAN");
      expect(plan).not.toContain("TEMP B-TREE");
    }
  });
});

describe("pruning", () => {
  test("by age: oldest first within each endpoint, at most `batch` per call, rows without an endpoint too", () => {
    const { store, db } = perRecord();
    store.insertMany(Array.from({ length: 250 }, (_, i) => makeRecord({ started_at: T0 + i, endpoint_id: `ep_${i % 3}` })));
    store.insertMany(Array.from({ length: 10 }, (_, i) => makeRecord({ started_at: T0 + i * 30, endpoint_id: null })));
    const calls: number[] = [];
    for (let n = -1; n !== 0; ) calls.push((n = store.pruneOlderThan(T0 + 200, 60)));
    // 200 old rows of the endpoints and 7 without one; the last call finds nothing more.
    expect(calls).toEqual([60, 60, 60, 27, 0]);
    const left = db.sqlite.query<{ started_at: number }, []>("SELECT first_at AS started_at FROM execution_chunks ORDER BY first_at").all().map((r) => r.started_at);
    expect(left.length).toBe(53);
    expect(left.every((t) => t >= T0 + 200)).toBe(true);
    // A second pass starts from the first endpoint again.
    store.insertMany([makeRecord({ started_at: T0, endpoint_id: "ep_0" })]);
    expect(store.pruneOlderThan(T0 + 200, 60)).toBe(1);
  });

  test("by age and by count: the walks use the endpoint index, never the table", () => {
    const { db } = fresh();
    const statements: [string, (string | number)[]][] = [
      [AGE_CHUNKS_SQL, ["ep_1", T0]],
      [AGE_CHUNKS_NO_ENDPOINT_SQL, [T0]],
      [NEWEST_CHUNKS_SQL, ["ep_1"]],
      [OLDER_CHUNKS_SQL, ["ep_1", T0, 5]],
    ];
    for (const [sql, values] of statements) {
      const explain = db.sqlite.prepare<{ detail: string }, (string | number)[]>(`EXPLAIN QUERY PLAN ${sql}`);
      const plan = explain.all(...values).map((r) => r.detail).join("\n");
      explain.finalize();
      expect(plan).toContain("execution_chunks_endpoint");
      expect(plan).not.toContain("SCAN");
      expect(plan).not.toContain("TEMP B-TREE");
    }
  });

  test("by age: a chunk goes once its newest record is past the cutoff", () => {
    const { store } = fresh();
    store.insertMany(Array.from({ length: 10 }, (_, i) => makeRecord({ started_at: T0 + i * 100 })));
    expect(store.pruneOlderThan(T0 + 500, 100)).toBe(0);
    expect(store.countForEndpoint("ep_1")).toBe(10);
    expect(store.pruneOlderThan(T0 + 901, 100)).toBe(10);
    expect(store.countForEndpoint("ep_1")).toBe(0);
  });

  test("by count with chunks: keeps at least N and less than N plus a chunk, newest kept", () => {
    const { store } = fresh({ maxChunkRecords: 10 });
    const records = Array.from({ length: 95 }, (_, i) => makeRecord({ started_at: T0 + i }));
    for (let i = 0; i < records.length; i += 19) store.insertMany(records.slice(i, i + 19));
    // Writes of 19 make chunks of 10 and 9: newest first 9, 10, 9, 10 (38 records), then 9 more reach 40.
    expect(store.pruneEndpointBeyond("ep_1", 40, 1000)).toBe(48);
    expect(store.countForEndpoint("ep_1")).toBe(47);
    expect(walk(store, { limit: 100 })).toEqual(newestFirst(records).slice(0, 47));
    // Nothing beyond the cap is left: another trim deletes nothing, and never goes under.
    expect(store.pruneEndpointBeyond("ep_1", 40, 1000)).toBe(0);
    expect(store.pruneEndpointBeyond("ep_1", 45, 1000)).toBe(0);
    // A small batch still deletes a whole chunk, the oldest.
    expect(store.pruneEndpointBeyond("ep_1", 10, 1)).toBe(9);
    expect(walk(store, { limit: 100 })).toEqual(newestFirst(records).slice(0, 38));
  });

  test("by count: keeps the newest N of each endpoint, in batches across endpoints", () => {
    const { store } = perRecord();
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
    const { store } = perRecord();
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
    const { store } = perRecord();
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
