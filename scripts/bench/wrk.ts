/**
 * Drives load with wrk (Debian's `wrk` package) and reads its report: requests/s, the 50% and 99%
 * latency lines, non-2xx answers and socket errors. Requests are described in Lua written to a
 * temporary file: one fixed request, or a pool of pre-formatted ones cycled in order (different
 * customers, different bad keys) so the per-request Lua cost stays a table lookup.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";

export const WRK_MISSING = "wrk not found: install it with `apt-get install wrk`";

export interface WrkRequest {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

export interface WrkResult {
  rps: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  non2xx: number;
  socketErrors: number;
}

export function findWrk(): string | null {
  return Bun.which("wrk");
}

const lua = (value: string) => JSON.stringify(value); // a JSON string is a valid Lua string literal for our ASCII input

function luaHeaders(headers: Record<string, string> = {}): string {
  return `{ ${Object.entries(headers)
    .map(([k, v]) => `[${lua(k)}] = ${lua(v)}`)
    .join(", ")} }`;
}

/** The Lua script of a request pool (one entry: a fixed request). */
export function luaScript(pool: readonly WrkRequest[]): string {
  if (pool.length === 1) {
    const r = pool[0]!;
    return [
      `wrk.method = ${lua(r.method)}`,
      `wrk.path = ${lua(r.path)}`,
      `wrk.headers = ${luaHeaders(r.headers)}`,
      r.body === undefined ? "" : `wrk.body = ${lua(r.body)}`,
      "",
    ].join("\n");
  }
  const entries = pool.map((r) => `  { ${lua(r.method)}, ${lua(r.path)}, ${luaHeaders(r.headers)}, ${r.body === undefined ? "nil" : lua(r.body)} },`);
  return [
    "local pool = {",
    ...entries,
    "}",
    "local reqs = {}",
    "local i = 0",
    "init = function(args)",
    "  for k, r in ipairs(pool) do reqs[k] = wrk.format(r[1], r[2], r[3], r[4]) end",
    "  i = math.random(#reqs) - 1",
    "end",
    "request = function()",
    "  i = i % #reqs + 1",
    "  return reqs[i]",
    "end",
    "",
  ].join("\n");
}

/** Milliseconds of a wrk duration such as `812.00us`, `1.20ms`, `2.01s`, `1.00m`. */
export function parseDuration(text: string): number {
  const m = /^([\d.]+)(us|ms|s|m|h)$/.exec(text.trim());
  if (!m) throw new Error(`unreadable wrk duration '${text}'`);
  const n = Number(m[1]);
  return m[2] === "us" ? n / 1000 : m[2] === "ms" ? n : m[2] === "s" ? n * 1000 : m[2] === "m" ? n * 60_000 : n * 3_600_000;
}

export function parseWrk(output: string): WrkResult {
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(output);
  const p50 = /^\s*50(?:\.0+)?%\s+(\S+)/m.exec(output);
  const p99 = /^\s*99(?:\.0+)?%\s+(\S+)/m.exec(output);
  const total = /(\d+) requests in/.exec(output);
  if (!rps || !p50 || !p99 || !total) throw new Error(`unreadable wrk output:\n${output}`);
  const non2xx = /Non-2xx or 3xx responses:\s+(\d+)/.exec(output);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output);
  return {
    rps: Number(rps[1]),
    p50Ms: parseDuration(p50[1]!),
    p99Ms: parseDuration(p99[1]!),
    requests: Number(total[1]),
    non2xx: non2xx ? Number(non2xx[1]) : 0,
    socketErrors: sock ? sock.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0,
  };
}

export interface WrkOptions {
  wrk: string;
  url: string;
  pool: readonly WrkRequest[];
  connections: number;
  threads: number;
  durationS: number;
  /** Seconds of unmeasured load first (JIT, caches, connection set-up). */
  warmupS: number;
  tmpDir: string;
  /** Called between the warm-up and the measured run (to sample the server's CPU time). */
  beforeMeasure?: () => void;
}

let scripts = 0;

async function wrkOnce(options: WrkOptions, script: string, durationS: number): Promise<string> {
  const proc = Bun.spawn(
    [options.wrk, `-c${options.connections}`, `-t${options.threads}`, `-d${durationS}s`, "--latency", "--timeout", "10s", "-s", script, options.url],
    { stdout: "pipe", stderr: "pipe" },
  );
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  if (code !== 0) throw new Error(`wrk exited ${code}: ${err}${out}`);
  return out;
}

/** Warms up, then measures; returns the measured run's numbers. */
export async function runWrk(options: WrkOptions): Promise<WrkResult> {
  const script = join(options.tmpDir, `wrk-${++scripts}.lua`);
  writeFileSync(script, luaScript(options.pool));
  if (options.warmupS > 0) await wrkOnce(options, script, options.warmupS);
  options.beforeMeasure?.();
  return parseWrk(await wrkOnce(options, script, options.durationS));
}
