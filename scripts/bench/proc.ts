/**
 * Child processes of the bench: the product (from source or a compiled binary) and the bare
 * baselines. Each prints `listening on http://HOST:PORT` on stdout; stderr (the product's access
 * log, one JSON line per request, part of the cost measured) goes to a file so it never blocks.
 */
import { closeSync, openSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

export const ROOT = join(import.meta.dir, "..", "..");
export const MAIN = join(ROOT, "src", "main.ts");
export const BASELINE = join(import.meta.dir, "baseline.ts");

export interface Child {
  url: string;
  pid: number;
  proc: ReturnType<typeof Bun.spawn>;
  /** Milliseconds from spawn to the listening line. */
  startMs: number;
  logFile: string;
  stop(): Promise<void>;
}

/** Resident set size of a process in MB (VmRSS of /proc/PID/status). */
export function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = /VmRSS:\s+(\d+)\s+kB/.exec(status);
  if (!kb) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(kb[1]) / 1024;
}

/** CPU time a process has used so far, in µs. */
export interface CpuTime {
  /** All its threads (the history writer thread, the JIT's, ...). */
  totalUs: number;
  /** Its main thread, the one that serves the requests. */
  mainUs: number;
  /** µs per thread id, where /proc has schedstat: what `cpuUsed` subtracts thread by thread. */
  threads?: ReadonlyMap<string, number>;
  /** Thread id -> its name (`comm`): `Worker` for worker threads, JSC's and the allocator's by theirs. */
  names?: ReadonlyMap<string, string>;
}

/** The main thread's name in `cpuUsed`'s `byName` (its `comm` is the executable's name). */
export const MAIN_THREAD = "main";

/**
 * CPU time used between two readings. With per-thread readings, each thread's time is its own
 * difference (a thread new since `before` counts from zero), so a thread that ended in between
 * cannot take its earlier time out of the total: subtracting the two sums did, and a run once read
 * "all threads" below "main thread". A thread that ends takes its time in the run with it.
 */
export function cpuUsed(before: CpuTime, after: CpuTime): { totalUs: number; mainUs: number; byName: Record<string, number> } {
  const mainUs = after.mainUs - before.mainUs;
  if (!before.threads || !after.threads) return { totalUs: after.totalUs - before.totalUs, mainUs, byName: {} };
  let totalUs = 0;
  // Threads of one name (JIT workers, GC helpers) are added up: which one did the work is noise.
  const byName: Record<string, number> = {};
  for (const [tid, us] of after.threads) {
    const used = us - (before.threads.get(tid) ?? 0);
    totalUs += used;
    const name = after.names?.get(tid) ?? "?";
    byName[name] = (byName[name] ?? 0) + used;
  }
  return { totalUs, mainUs, byName };
}

/** Clock ticks per second of /proc/PID/stat: USER_HZ, 100 on every Linux. */
const TICK_US = 1_000_000 / 100;

/** utime + stime of a /proc stat line (fields 14 and 15; the name in parentheses may hold spaces). */
function statTicks(path: string): number {
  const stat = readFileSync(path, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return Number(fields[11]) + Number(fields[12]);
}

/** Nanoseconds a thread has run (the first field of /proc/PID/task/TID/schedstat). */
function runNs(pid: number, tid: string): number {
  return Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").split(" ")[0]);
}

/**
 * The process's CPU time so far, or undefined where there is no /proc (not Linux).
 *
 * Read per thread, in nanoseconds, in one pass over /proc/PID/task: the total is the sum of the
 * threads, so it never comes out below the main thread. The process-wide tick counts of
 * /proc/PID/stat could: the kernel scales the process's and each thread's counts separately (a
 * 2 s run once read "all threads" 0.07 µs per request below "main thread"). Threads are kept
 * apart for {@link cpuUsed}. Tick counts are the fallback where schedstat is missing.
 */
export function cpuTime(pid: number): CpuTime | undefined {
  try {
    const main = runNs(pid, String(pid)) / 1000;
    const threads = new Map<string, number>();
    const names = new Map<string, string>();
    let total = 0;
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        const us = tid === String(pid) ? main : runNs(pid, tid) / 1000;
        names.set(tid, tid === String(pid) ? MAIN_THREAD : readFileSync(`/proc/${pid}/task/${tid}/comm`, "utf8").trim());
        threads.set(tid, us);
        total += us;
      } catch {
        // ended between the listing and the read
      }
    }
    return { totalUs: total, mainUs: main, threads, names };
  } catch {}
  try {
    return { totalUs: statTicks(`/proc/${pid}/stat`) * TICK_US, mainUs: statTicks(`/proc/${pid}/task/${pid}/stat`) * TICK_US };
  } catch {
    return undefined;
  }
}

export async function spawnListening(cmd: string[], options: { env?: Record<string, string>; logFile: string; cwd?: string; timeoutMs?: number }): Promise<Child> {
  const errFd = openSync(options.logFile, "a");
  const started = performance.now();
  const proc = Bun.spawn(cmd, {
    cwd: options.cwd ?? ROOT,
    env: { ...process.env, ...options.env },
    stdin: "ignore",
    stdout: "pipe",
    stderr: errFd,
  });
  closeSync(errFd);
  let out = "";
  let listening: (() => void) | undefined;
  const ready = new Promise<void>((resolve) => (listening = resolve));
  const drained = (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of proc.stdout as ReadableStream<Uint8Array>) {
      out += decoder.decode(chunk);
      if (/listening on http:\/\/\S+\n/.test(out)) listening!();
    }
  })();
  const timeout = options.timeoutMs ?? 20_000;
  const outcome = await Promise.race([
    ready.then(() => "ready" as const),
    proc.exited.then(() => "exited" as const),
    Bun.sleep(timeout).then(() => "timeout" as const),
  ]);
  const startMs = performance.now() - started;
  if (outcome !== "ready") {
    proc.kill("SIGKILL");
    await proc.exited;
    let log = "";
    try {
      log = readFileSync(options.logFile, "utf8").slice(-4000);
    } catch {}
    throw new Error(`${cmd.join(" ")} did not start (${outcome === "exited" ? `exit ${proc.exitCode}` : `no listening line within ${timeout} ms`}):\n${out}${log}`);
  }
  const url = /listening on (http:\/\/\S+)/.exec(out)![1]!;
  return {
    url,
    pid: proc.pid,
    proc,
    startMs,
    logFile: options.logFile,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill("SIGTERM");
        const exited = await Promise.race([proc.exited.then(() => true), Bun.sleep(15_000).then(() => false)]);
        if (!exited) {
          proc.kill("SIGKILL");
          await proc.exited;
        }
      }
      await drained;
    },
  };
}

/** Milliseconds from spawn to the first 200 on /healthz, and the idle RSS once it settled. */
export async function coldStart(cmd: string[], options: { env?: Record<string, string>; logFile: string; cwd?: string; settleMs?: number }) {
  const started = performance.now();
  const child = await spawnListening(cmd, options);
  let firstOkMs = 0;
  try {
    for (;;) {
      const res = await fetch(`${child.url}/healthz`).catch(() => undefined);
      const ok = res?.status === 200;
      await res?.arrayBuffer();
      if (ok) {
        firstOkMs = performance.now() - started;
        break;
      }
      if (performance.now() - started > 20_000) throw new Error(`/healthz never answered 200 on ${child.url}`);
      await Bun.sleep(2);
    }
    await Bun.sleep(options.settleMs ?? 1000);
    return { firstOkMs, idleRssMb: rssMb(child.pid) };
  } finally {
    await child.stop();
  }
}
