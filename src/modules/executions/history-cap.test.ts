import { afterEach, describe, expect, test } from "bun:test";
import { createMemoryLogger } from "../../log";
import { historyLogTo, writeQueued, type HistoryTarget } from "./history-batch";
import { chunkRecordsFor } from "./chunks";
import { withEndpointCap } from "./history-cap";
import type { StoredExecution } from "./store";
import { makeRecord, openTestStore } from "./testing";

let opened: ReturnType<typeof openTestStore> | undefined;
afterEach(() => opened?.close());

const T0 = 1_700_000_000_000;
let clock = 0;
/** Rows of `endpointId`, each started a millisecond after the last one made. */
function rows(endpointId: string, n: number): StoredExecution[] {
  return Array.from({ length: n }, () => {
    const rec = makeRecord({ endpoint_id: endpointId, started_at: T0 + clock++ });
    return { ...rec, steps: JSON.stringify(rec.steps) };
  });
}

/** Inserts through the target the way history-batch does: insert, then what follows it. */
function write(target: HistoryTarget, batch: StoredExecution[]) {
  target.insertRows(batch);
  target.afterInsert?.(batch);
}

/** The endpoint's ids, oldest first. */
const idsOf = (endpointId: string) =>
  opened!.store.listForEndpoint("acc_1", endpointId, { limit: 100_000 }).rows.map((r) => r.id).reverse();

/** A store whose chunks are sized for `cap` as the server's are (a tenth of it). */
const storeFor = (cap: number) => (opened = openTestStore({ maxChunkRecords: chunkRecordsFor(cap) }));

describe("withEndpointCap", () => {
  // Chunks hold a tenth of the cap (2 and 10 records here): a trim keeps the cap and less than a
  // chunk more, and the bound lets an endpoint pass the cap by a tenth (plus the write) before one.
  test.each([
    [20, 7],
    [100, 37],
  ])("cap %d, writes of %d: never more than a tenth over plus the write, at least the cap kept, the newest", (cap, perWrite) => {
    storeFor(cap);
    const target = withEndpointCap(opened!.store, cap);
    const tenth = Math.ceil(cap / 10);
    const written: string[] = [];
    for (let i = 0; i < 30; i++) {
      const batch = rows("ep_busy", perWrite);
      written.push(...batch.map((r) => r.id));
      write(target, batch);
      expect(opened!.store.countForEndpoint("ep_busy")).toBeLessThanOrEqual(cap + tenth + perWrite);
    }
    const kept = idsOf("ep_busy");
    expect(kept.length).toBeGreaterThanOrEqual(cap);
    expect(kept.length).toBeLessThanOrEqual(cap + 2 * tenth);
    expect(kept).toEqual(written.slice(-kept.length));
  });

  test("each endpoint has its own cap; one below it loses nothing", () => {
    storeFor(10);
    const target = withEndpointCap(opened!.store, 10);
    write(target, [...rows("ep_quiet", 4), ...rows("ep_busy", 50)]);
    write(target, [...rows("ep_quiet", 4), ...rows("ep_busy", 50)]);
    expect(opened!.store.countForEndpoint("ep_quiet")).toBe(8);
    expect(opened!.store.countForEndpoint("ep_busy")).toBe(10);
  });

  test("a backlog is trimmed 2,000 rows per write, not all at once", () => {
    storeFor(10);
    opened!.store.insertRows(rows("ep_old", 5000));
    const target = withEndpointCap(opened!.store, 10);
    write(target, rows("ep_old", 1));
    expect(opened!.store.countForEndpoint("ep_old")).toBe(3001);
    write(target, rows("ep_old", 1));
    expect(opened!.store.countForEndpoint("ep_old")).toBe(1002);
    write(target, rows("ep_old", 1));
    expect(opened!.store.countForEndpoint("ep_old")).toBe(10);
  });

  test("a smaller trim batch (the request thread's) drains a backlog in smaller steps", () => {
    storeFor(10);
    opened!.store.insertRows(rows("ep_old", 500));
    const target = withEndpointCap(opened!.store, 10, 200);
    const counts: number[] = [];
    for (let i = 0; i < 4; i++) {
      write(target, rows("ep_old", 1));
      counts.push(opened!.store.countForEndpoint("ep_old"));
    }
    expect(counts).toEqual([301, 102, 10, 11]);
  });

  test("rows deleted by someone else leave the bound an upper bound: nothing below the cap goes", () => {
    storeFor(10);
    const target = withEndpointCap(opened!.store, 10);
    write(target, rows("ep_1", 10));
    opened!.db.sqlite.run("DELETE FROM execution_chunks");
    for (let i = 0; i < 5; i++) write(target, rows("ep_1", 2));
    expect(opened!.store.countForEndpoint("ep_1")).toBe(10);
  });

  test("bounds are kept for 10,000 endpoints at most: past that they are forgotten and learned again", () => {
    const looked: string[] = [];
    const target = withEndpointCap({ insertRows: () => {}, pruneEndpointBeyond: (endpointId) => (looked.push(endpointId), 0) }, 100);
    const row = (endpointId: string) => ({ ...rows(endpointId, 1)[0]! });
    for (let e = 0; e < 10_000; e++) target.afterInsert!([row(`ep_${e}`)]);
    expect(looked.length).toBe(10_000);
    // Known and under the cap: no look.
    target.afterInsert!([row("ep_0")]);
    expect(looked.length).toBe(10_000);
    // One endpoint more clears them; ep_0 is looked at again on its next write.
    target.afterInsert!([row("ep_new")]);
    target.afterInsert!([row("ep_0")]);
    expect(looked.slice(-2)).toEqual(["ep_new", "ep_0"]);
  });

  test("a trim that fails is logged through history-batch and the rows stay", () => {
    opened = openTestStore();
    const store = opened.store;
    const target = withEndpointCap({ insertRows: store.insertRows, pruneEndpointBeyond: () => { throw new Error("database is locked"); } }, 1);
    const logger = createMemoryLogger();
    writeQueued(target, [makeRecord(), makeRecord()].map((rec) => ({ rec, secrets: [] })), { maxBatch: 10, maxResultBytes: 4096 }, historyLogTo(logger));
    expect(store.countForEndpoint("ep_1")).toBe(2);
    const lines = logger.lines.map((l) => JSON.parse(l) as { msg: string; error?: string });
    expect(lines).toContainEqual(expect.objectContaining({ msg: "execution history trim failed", error: "database is locked" }));
  });
});
