import { describe, expect, test } from "bun:test";
import { PAUSE_EVERY, writeExecutions, type HistoryLog, type HistoryTarget, type PendingExecution } from "./history-batch";
import type { StoredExecution } from "./store";
import { makeRecord } from "./testing";

function pending(n: number): PendingExecution[] {
  return Array.from({ length: n }, (_, i) => {
    const { steps, ...rec } = makeRecord({ started_at: 1_700_000_000_000 + i });
    return { rec, secrets: [], steps: JSON.stringify(steps) };
  });
}

const noLog: HistoryLog = () => {};

describe("writeExecutions pauses", () => {
  // What happened, in order: "p" for a pause, "i<n>" for an insert of n records.
  function run(records: number, maxBatch: number) {
    const events: string[] = [];
    const target: HistoryTarget = { insertRows: (rows: readonly StoredExecution[]) => void events.push(`i${rows.length}`) };
    writeExecutions(target, pending(records), { maxBatch, maxResultBytes: 4096, pause: () => events.push("p") }, noLog);
    return events;
  }

  test("after every PAUSE_EVERY records prepared and after every transaction", () => {
    const perBatch = [...Array<string>(5).fill("p"), "i500", "p"];
    expect(PAUSE_EVERY).toBe(100);
    expect(run(1000, 500)).toEqual([...perBatch, ...perBatch]);
    // A short last stretch of records pauses only after its transaction.
    expect(run(250, 500)).toEqual(["p", "p", "i250", "p"]);
  });

  test("every record is still written once, in order, whatever the pauses", () => {
    const written: string[] = [];
    const records = pending(333);
    const target: HistoryTarget = { insertRows: (rows) => void written.push(...rows.map((r) => r.id)) };
    writeExecutions(target, records, { maxBatch: 120, maxResultBytes: 4096, pause: () => {} }, noLog);
    expect(written).toEqual(records.map((p) => p.rec.id));
  });

  test("without a pause (the request thread's sinks) the same transactions are written", () => {
    const sizes: number[] = [];
    const target: HistoryTarget = { insertRows: (rows) => void sizes.push(rows.length) };
    writeExecutions(target, pending(1100), { maxBatch: 500, maxResultBytes: 4096 }, noLog);
    expect(sizes).toEqual([500, 500, 100]);
  });
});
