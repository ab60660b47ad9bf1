import { describe, expect, test } from "bun:test";
import { byThread } from "./report";
import { cpuTime, cpuUsed, MAIN_THREAD, type CpuTime } from "./proc";

const NAMES: Record<string, string> = { "100": MAIN_THREAD, "101": "Worker", "102": "HeapHelper", "103": "HeapHelper" };

const reading = (threads: Record<string, number>, main = "100"): CpuTime => ({
  totalUs: Object.values(threads).reduce((a, b) => a + b, 0),
  mainUs: threads[main]!,
  threads: new Map(Object.entries(threads)),
  names: new Map(Object.keys(threads).map((tid) => [tid, NAMES[tid]!])),
});

describe("cpuUsed", () => {
  test("a thread that ended between the readings does not take its earlier time out of the total", () => {
    // Thread 102 had run 500 µs before the run and was gone after it: the sums differ by less
    // than the main thread's own time.
    const before = reading({ "100": 1_000, "101": 200, "102": 500 });
    const after = reading({ "100": 1_400, "101": 250 });
    expect(after.totalUs - before.totalUs).toBeLessThan(after.mainUs - before.mainUs);
    expect(cpuUsed(before, after)).toEqual({ totalUs: 450, mainUs: 400, byName: { main: 400, Worker: 50 } });
  });

  test("a thread started during the run counts from zero", () => {
    const before = reading({ "100": 1_000 });
    const after = reading({ "100": 1_100, "103": 30 });
    expect(cpuUsed(before, after)).toEqual({ totalUs: 130, mainUs: 100, byName: { main: 100, HeapHelper: 30 } });
  });

  test("without per-thread readings (tick counts) it subtracts the totals", () => {
    expect(cpuUsed({ totalUs: 10, mainUs: 5 }, { totalUs: 40, mainUs: 25 })).toEqual({ totalUs: 30, mainUs: 20, byName: {} });
  });

  test("threads of one name are added up", () => {
    const before = reading({ "100": 0, "102": 10, "103": 20 });
    const after = reading({ "100": 5, "102": 15, "103": 40 });
    expect(cpuUsed(before, after).byName).toEqual({ main: 5, HeapHelper: 25 });
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
    expect(used.byName[MAIN_THREAD]).toBe(used.mainUs);
  });
});

describe("byThread", () => {
  test("largest first, small threads summed as other", () => {
    expect(byThread({ Worker: 11.04, main: 45.3, HeapHelper: 1.62, JITWorker: 0.2, "mi-scavenger": 0.1 })).toBe("main 45 µs, Worker 11, HeapHelper 1.6, other 0.3");
    expect(byThread({ main: 17 })).toBe("main 17 µs");
  });
});
