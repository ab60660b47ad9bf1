import { describe, expect, test } from "bun:test";
import { chunkRecordsFor, fromChunk, MAX_CHUNK_RECORDS, toChunks, type StoredExecution } from "./chunks";
import { makeRecord } from "./testing";
import type { ExecutionRecord } from "./types";

const T0 = Date.UTC(2025, 0, 1);
const stored = (rec: ExecutionRecord): StoredExecution => ({ ...rec, steps: JSON.stringify(rec.steps) });

describe("chunks", () => {
  test("records round-trip through a chunk, nasty text included, and the rows are left as they were", () => {
    const nasty = `' or 1=1 -- "quoted" \\ back\nline \u2028\u2029 é😀 \u0000`;
    const records = [
      makeRecord({ started_at: T0, path: `/orders/${nasty}`, error_message: nasty, error_code: "X", status: "failed", http_status: 500, client_ip: "::1", key_prefix: "sb_AbCdEf" }),
      makeRecord({ started_at: T0 + 1, steps: [{ index: 0, type: "transform", status: "completed", duration_ms: 1, result: JSON.parse('{"__proto__":{"polluted":true},"constructor":{"prototype":1},"deep":[[[[{"a":null}]]]]}') }] }),
      makeRecord({ started_at: T0 + 2, steps: [] }),
    ];
    const rows = records.map(stored);
    const before = JSON.stringify(rows);
    const chunks = toChunks(rows, 10);
    expect(JSON.stringify(rows)).toBe(before);
    expect(chunks).toHaveLength(1);
    expect(chunks[0]).toMatchObject({ account_id: "acc_1", endpoint_id: "ep_1", first_at: T0, last_at: T0 + 2, count: 3, failed: 1 });
    // The chunk's columns are not repeated in each record.
    expect(chunks[0]!.records).not.toContain("acc_1");
    const back = fromChunk(chunks[0]!.records, "acc_1", "ep_1");
    expect(back).toEqual(records);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(back[1]!.steps[0]!.result)).toBe(Object.prototype);
  });

  test("starts out of order are sorted; accounts and endpoints get chunks of their own", () => {
    const rows = [
      makeRecord({ started_at: T0 + 3 }),
      makeRecord({ started_at: T0 + 1 }),
      makeRecord({ started_at: T0 + 2, account_id: "acc_2" }),
      makeRecord({ started_at: T0 + 2, endpoint_id: null }),
      makeRecord({ started_at: T0 + 2 }),
    ].map(stored);
    const chunks = toChunks(rows, 10);
    expect(chunks.map((c) => [c.account_id, c.endpoint_id, c.first_at - T0, c.last_at - T0, c.count])).toEqual([
      ["acc_1", "ep_1", 1, 3, 3],
      ["acc_2", "ep_1", 2, 2, 1],
      ["acc_1", null, 2, 2, 1],
    ]);
    expect(fromChunk(chunks[0]!.records, "acc_1", "ep_1").map((r) => r.started_at - T0)).toEqual([1, 2, 3]);
  });

  test("a chunk stays under ~256 KB of text; a record larger than that gets one of its own", () => {
    const big = "x".repeat(100_000);
    const rows = Array.from({ length: 7 }, (_, i) => stored(makeRecord({ started_at: T0 + i, steps: [{ index: 0, type: "t", status: "completed", duration_ms: 0, result: i === 3 ? big.repeat(3) : big }] })));
    const chunks = toChunks(rows, 500);
    expect(chunks.map((c) => c.count)).toEqual([2, 1, 1, 2, 1]);
    for (const c of chunks) expect(c.count === 1 || c.records.length < 256 * 1024).toBe(true);
    expect(chunks.flatMap((c) => fromChunk(c.records, c.account_id, c.endpoint_id)).map((r) => r.started_at)).toEqual(rows.map((r) => r.started_at));
  });

  test("text that is not a chunk reads as no records, never a throw", () => {
    for (const text of ["", "not json", "{}", "[1, null, \"x\", {\"id\": 3}]", "[{\"started_at\": 1}]"]) expect(fromChunk(text, "acc_1", "ep_1")).toEqual([]);
  });

  test("records per chunk: a tenth of the cap, at least 1, at most MAX_CHUNK_RECORDS", () => {
    expect([1, 10, 11, 20, 10_000, 10_000_000].map(chunkRecordsFor)).toEqual([1, 1, 2, 2, MAX_CHUNK_RECORDS, MAX_CHUNK_RECORDS]);
    expect(chunkRecordsFor(undefined)).toBe(MAX_CHUNK_RECORDS);
  });
});
