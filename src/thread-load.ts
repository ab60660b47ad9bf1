/**
 * @module thread-load
 * How busy the calling thread has been lately, from its own CPU time: work that could run on
 * another thread is worth sending there only while this one is saturated. Handing a read to the
 * records reader thread costs a lone call 60-150 µs of thread wake-ups, so an idle server reads
 * inline, and a saturated one frees its request thread.
 */

export interface ThreadLoadOptions {
  /** Microseconds of CPU this thread has used (default: `process.threadCpuUsage()`; without it, never busy). */
  cpuMicros?: () => number;
  /** Milliseconds, monotonic (default: `performance.now()`). */
  now?: () => number;
  /** Length of the window utilization is measured over. */
  windowMs?: number;
  /** Busy from this share of the window on... */
  busyAbove?: number;
  /**
   * ...until it falls below this one (hysteresis, so the answer does not flap). Low, because work
   * handed off does not leave the thread idle on a small machine: on 2 vCPUs under load, with its
   * reads on the reader thread, the request thread still used 60-80% of a core (it shares them
   * with that thread, the history writer and the load), and at 0.6 reads went back and forth.
   */
  idleBelow?: number;
}

/** This thread's CPU time in µs, where the runtime can tell (`process.threadCpuUsage`). */
function threadCpuMicros(): (() => number) | undefined {
  const runtime = process as unknown as { threadCpuUsage?: () => { user: number; system: number } };
  if (typeof runtime.threadCpuUsage !== "function") return undefined;
  return () => {
    const usage = runtime.threadCpuUsage!();
    return usage.user + usage.system;
  };
}

/**
 * A gauge whose `busy()` says whether this thread used more than `busyAbove` (90%) of the last
 * window, and stays so until a window falls below `idleBelow` (30%). It samples at most once per
 * window, when asked: no timer, and about a microsecond per sample.
 */
export function createThreadLoad(options: ThreadLoadOptions = {}) {
  const cpuMicros = options.cpuMicros ?? threadCpuMicros();
  // A runtime that cannot tell never reads as busy: work then simply stays on this thread.
  if (!cpuMicros) return { busy: () => false };
  const now = options.now ?? (() => performance.now());
  const windowMs = options.windowMs ?? 100;
  const busyAbove = options.busyAbove ?? 0.9;
  const idleBelow = options.idleBelow ?? 0.3;
  let sampledAt = now();
  let cpuAt = cpuMicros();
  let busy = false;
  return {
    busy(): boolean {
      const time = now();
      if (time - sampledAt >= windowMs) {
        const cpu = cpuMicros();
        const utilization = (cpu - cpuAt) / ((time - sampledAt) * 1000);
        busy = busy ? utilization >= idleBelow : utilization > busyAbove;
        sampledAt = time;
        cpuAt = cpu;
      }
      return busy;
    },
  };
}
