import { describe, expect, test } from "bun:test";
import { createThreadLoad } from "./thread-load";

describe("thread load", () => {
  function gauge() {
    let time = 0;
    let cpu = 0;
    const load = createThreadLoad({ now: () => time, cpuMicros: () => cpu, windowMs: 100, busyAbove: 0.9, idleBelow: 0.6 });
    /** Advances by one window in which the thread used `share` of it. */
    const pass = (share: number) => {
      time += 100;
      cpu += share * 100_000;
    };
    return { load, pass };
  }

  test("idle until a window is over 90% busy, then busy until one is under 60%", () => {
    const { load, pass } = gauge();
    expect(load.busy()).toBe(false);
    pass(0.85);
    expect(load.busy()).toBe(false);
    pass(0.95);
    expect(load.busy()).toBe(true);
    pass(0.7);
    expect(load.busy()).toBe(true);
    pass(0.5);
    expect(load.busy()).toBe(false);
  });

  test("by default: busy over 90% of a 100 ms window, idle again under 30%", () => {
    let time = 0;
    let cpu = 0;
    const load = createThreadLoad({ now: () => time, cpuMicros: () => cpu });
    const pass = (share: number) => ((time += 100), (cpu += share * 100_000), load.busy());
    expect(pass(0.89)).toBe(false);
    expect(pass(0.91)).toBe(true);
    expect(pass(0.4)).toBe(true); // offloaded work still leaves the thread this busy
    expect(pass(0.29)).toBe(false);
  });

  test("samples at most once per window: within one, the answer stands", () => {
    let samples = 0;
    let time = 0;
    const load = createThreadLoad({ now: () => time, cpuMicros: () => (samples++, time * 1000), windowMs: 100 });
    samples = 0;
    for (time = 0; time < 99; time += 1) load.busy();
    expect(samples).toBe(0);
    time = 100;
    expect(load.busy()).toBe(true);
    expect(samples).toBe(1);
  });

  test("a long quiet spell reads as idle", () => {
    const { load, pass } = gauge();
    pass(1);
    expect(load.busy()).toBe(true);
    // No one asked for 50 windows, the last of them busy: the sample spans them all.
    for (let i = 0; i < 50; i++) pass(0);
    pass(1);
    expect(load.busy()).toBe(false);
  });

  test("a runtime without process.threadCpuUsage never reads as busy", () => {
    const runtime = process as unknown as { threadCpuUsage?: unknown };
    const original = runtime.threadCpuUsage;
    runtime.threadCpuUsage = undefined;
    try {
      const load = createThreadLoad({ windowMs: 1 });
      const until = performance.now() + 20;
      let busy = false;
      while (performance.now() < until) busy ||= load.busy();
      expect(busy).toBe(false);
    } finally {
      runtime.threadCpuUsage = original;
    }
  });

  test("by default it reads this thread's CPU time", async () => {
    // A low threshold: what is checked is where the CPU time comes from, not whether this thread
    // got a core to itself (with both cores shared with other work, a spin read under 90%).
    const spinning = createThreadLoad({ windowMs: 20, busyAbove: 0.05, idleBelow: 0.01 });
    const until = performance.now() + 60;
    let busy = false;
    while (performance.now() < until) busy = spinning.busy();
    expect(busy).toBe(true);
    // Asleep for two windows: next to no CPU time, though the wall clock ran on.
    const sleeping = createThreadLoad({ windowMs: 20 });
    await Bun.sleep(45);
    expect(sleeping.busy()).toBe(false);
  });
});
