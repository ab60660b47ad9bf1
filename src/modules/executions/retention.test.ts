import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, statSync } from "node:fs";
import { createMemoryLogger } from "../../log";
import { createRetention } from "./retention";
import { makeRecord, openTestStore } from "./testing";
import type { ExecutionRecord } from "./types";

const NOW = Date.UTC(2025, 5, 1);
const DAY = 86_400_000;
let open: ReturnType<typeof openTestStore> | undefined;
afterEach(() => {
  open?.close();
  open = undefined;
});

/** Bytes on disk: the database file plus its WAL. */
const diskBytes = (path: string) => statSync(path).size + (existsSync(`${path}-wal`) ? statSync(`${path}-wal`).size : 0);

function fill(store: ReturnType<typeof openTestStore>["store"], count: number, make: (i: number) => Partial<ExecutionRecord>) {
  for (let i = 0; i < count; i += 1000) {
    store.insertMany(Array.from({ length: Math.min(1000, count - i) }, (_, j) => makeRecord(make(i + j))));
  }
}

describe("retention", () => {
  test("prunes by age and by count, then vacuums: the file and the WAL shrink back", async () => {
    open = openTestStore();
    const { store, db, path } = open;
    expect(db.sqlite.query<{ auto_vacuum: number }, []>("PRAGMA auto_vacuum").get()!.auto_vacuum).toBe(2); // INCREMENTAL
    const big = "z".repeat(2_000);
    // 20,000 calls spread over 40 days on 4 endpoints, each with a 2 KB step result: the last 30
    // days hold 3,750 per endpoint, of which 1,000 may stay.
    fill(store, 20_000, (i) => ({
      endpoint_id: `ep_${i % 4}`,
      started_at: NOW - 40 * DAY + i * ((40 * DAY) / 20_000),
      steps: [{ index: 0, type: "transform", status: "completed", duration_ms: 1, result: { big, i } }],
    }));
    const before = diskBytes(path);
    expect(before).toBeGreaterThan(40_000_000);

    const logger = createMemoryLogger("json");
    const retention = createRetention(store, logger, { maxAgeMs: 30 * DAY, maxPerEndpoint: 1_000, batch: 500, maxBatchesPerRun: 1_000, vacuumPages: 2048, reservePages: 0, vacuumPauseMs: 0 });
    const { deleted } = await retention.runOnce(NOW);

    const left = ["ep_0", "ep_1", "ep_2", "ep_3"].map((ep) => store.countForEndpoint(ep));
    expect(left).toEqual([1_000, 1_000, 1_000, 1_000]);
    expect(deleted).toBe(16_000);
    expect(store.freePages()).toBe(0);
    const after = diskBytes(path);
    expect(existsSync(`${path}-wal`) ? statSync(`${path}-wal`).size : 0).toBe(0);
    expect(after).toBeLessThan(before / 3);
    expect(logger.lines.some((l) => l.includes("execution history pruned") && l.includes('"deleted":16000'))).toBe(true);

    // Nothing left to do: a second run deletes nothing and logs nothing.
    const lines = logger.lines.length;
    expect(await retention.runOnce(NOW)).toEqual({ deleted: 0 });
    expect(logger.lines.length).toBe(lines);
  }, 60_000);

  test("the vacuum keeps a reserve for the next writes, and gives back the rest in paced steps", async () => {
    open = openTestStore();
    const { store } = open;
    const big = "z".repeat(2_000);
    fill(store, 4_000, (i) => ({ started_at: NOW - 100 * DAY + i, steps: [{ index: 0, type: "transform", status: "completed", duration_ms: 1, result: { big, i } }] }));
    fill(store, 100, (i) => ({ started_at: NOW - i }));
    const retention = createRetention(store, createMemoryLogger(), { maxAgeMs: DAY, maxPerEndpoint: 1e6, vacuumPages: 100, reservePages: 300, vacuumPauseMs: 5 });
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 1);
    expect(await retention.runOnce(NOW)).toEqual({ deleted: 4_000 });
    clearInterval(ticker);
    // ~4,000 pages freed (4,000 rows of 2 KB, one to a page): given back in steps of 100, 300 kept.
    expect(store.freePages()).toBe(300);
    expect(ticks).toBeGreaterThan(10);
    // Below the reserve, nothing is vacuumed: the next inserts take those pages.
    fill(store, 100, (i) => ({ started_at: NOW - i, steps: [{ index: 0, type: "transform", status: "completed", duration_ms: 1, result: { big, i } }] }));
    const free = store.freePages();
    expect(free).toBeLessThan(300);
    await retention.runOnce(NOW);
    expect(store.freePages()).toBe(free);
  });

  test("a run gives back at most its steps of pages; the next run goes on", async () => {
    open = openTestStore();
    const { store } = open;
    const big = "z".repeat(2_000);
    fill(store, 4_000, (i) => ({ started_at: NOW - 100 * DAY + i, steps: [{ index: 0, type: "transform", status: "completed", duration_ms: 1, result: { big, i } }] }));
    const retention = createRetention(store, createMemoryLogger(), { maxAgeMs: DAY, maxPerEndpoint: 1e6, batch: 4_000, vacuumPages: 100, reservePages: 0, vacuumPauseMs: 0, maxBatchesPerRun: 5 });
    await retention.runOnce(NOW);
    const afterFirst = store.freePages();
    expect(afterFirst).toBeGreaterThan(1_000);
    await retention.runOnce(NOW);
    expect(store.freePages()).toBe(afterFirst - 500);
  });

  test("a run is bounded; the rest waits for the next run", async () => {
    // A record per chunk: batches of records are then batches of deletes.
    open = openTestStore({ maxChunkRecords: 1 });
    const { store } = open;
    fill(store, 3_000, (i) => ({ started_at: NOW - 100 * DAY + i }));
    const retention = createRetention(store, createMemoryLogger(), { maxAgeMs: DAY, maxPerEndpoint: 1e6, batch: 100, maxBatchesPerRun: 5 });
    expect(await retention.runOnce(NOW)).toEqual({ deleted: 500 });
    expect(store.countForEndpoint("ep_1")).toBe(2_500);
  });

  test("yields to the event loop between batches, and concurrent calls share one pass", async () => {
    // A record per chunk: batches of records are then batches of deletes.
    open = openTestStore({ maxChunkRecords: 1 });
    const { store } = open;
    fill(store, 2_000, (i) => ({ started_at: NOW - 100 * DAY + i }));
    const retention = createRetention(store, createMemoryLogger(), { maxAgeMs: DAY, maxPerEndpoint: 1e6, batch: 100 });
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 0);
    const first = retention.runOnce(NOW);
    const second = retention.runOnce(NOW);
    expect(second).toBe(first);
    expect(await first).toEqual({ deleted: 2_000 });
    clearInterval(ticker);
    // 20 delete batches with a turn of the event loop after each full one: other work ran meanwhile.
    expect(ticks).toBeGreaterThan(5);
    expect(await retention.runOnce(NOW)).toEqual({ deleted: 0 });
  });

  test("start() runs on its interval; stop() ends it", async () => {
    open = openTestStore();
    const { store } = open;
    fill(store, 10, () => ({ started_at: 1 }));
    const retention = createRetention(store, createMemoryLogger(), { maxAgeMs: DAY, maxPerEndpoint: 1e6, intervalMs: 10 });
    retention.start();
    for (let i = 0; i < 100 && store.countForEndpoint("ep_1") > 0; i++) await Bun.sleep(10);
    retention.stop();
    expect(store.countForEndpoint("ep_1")).toBe(0);
  });
});
