import { describe, expect, test } from "bun:test";
import { cpuTime, cpuUsed, type CpuTime } from "./proc";

const reading = (threads: Record<string, number>, main = "100"): CpuTime => ({
  totalUs: Object.values(threads).reduce((a, b) => a + b, 0),
  mainUs: threads[main]!,
  threads: new Map(Object.entries(threads)),
});

describe("cpuUsed", () => {
  test("a thread that ended between the readings does not take its earlier time out of the total", () => {
    // Thread 102 had run 500 µs before the run and was gone after it: the sums differ by less
    // than the main thread's own time.
    const before = reading({ "100": 1_000, "101": 200, "102": 500 });
    const after = reading({ "100": 1_400, "101": 250 });
    expect(after.totalUs - before.totalUs).toBeLessThan(after.mainUs - before.mainUs);
    expect(cpuUsed(before, after)).toEqual({ totalUs: 450, mainUs: 400 });
  });

  test("a thread started during the run counts from zero", () => {
    const before = reading({ "100": 1_000 });
    const after = reading({ "100": 1_100, "103": 30 });
    expect(cpuUsed(before, after)).toEqual({ totalUs: 130, mainUs: 100 });
  });

  test("without per-thread readings (tick counts) it subtracts the totals", () => {
    expect(cpuUsed({ totalUs: 10, mainUs: 5 }, { totalUs: 40, mainUs: 25 })).toEqual({ totalUs: 30, mainUs: 20 });
  });

  test("this process read twice: every thread's share is counted, the main thread's among them", () => {
    if (process.platform !== "linux") return; // cpuTime reads /proc
    const before = cpuTime(process.pid)!;
    expect(before.threads?.size).toBeGreaterThan(0);
    let spin = 0;
    const until = performance.now() + 20;
    while (performance.now() < until) spin++;
    const used = cpuUsed(before, cpuTime(process.pid)!);
    expect(spin).toBeGreaterThan(0);
    expect(used.mainUs).toBeGreaterThan(5_000);
    expect(used.totalUs).toBeGreaterThanOrEqual(used.mainUs);
  });
});
