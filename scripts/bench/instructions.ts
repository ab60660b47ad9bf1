#!/usr/bin/env bun
/**
 * Instructions per echo call, counted by callgrind: a repeatable measure of the request thread's
 * own work, for comparing two versions of the code on a machine whose wrk numbers drift (they
 * move ±30% with the VM; the count moves up to ~5% between runs, as the JIT and the collector
 * settle differently: run each side twice).
 *
 *   bun scripts/bench/instructions.ts [--calls N] [--warm N] [--only bare,echo_nohist,echo,reject] [--by-function [N]] [--json]
 *
 * For each target it runs this script again under
 * `valgrind --tool=callgrind --instr-atstart=no --separate-threads=yes`. The inner run builds the
 * product in-process on a temporary data dir (same services as `serve`, the history writer on its
 * own thread), creates a key and the bench's echo endpoints through the API, then calls the
 * dispatcher's native route (what Bun's router calls on a listening server) with fresh Requests:
 * `--warm` calls to let the JIT settle, then `--calls` calls with collection switched on by
 * `callgrind_control`. The main thread's instruction total, divided by the calls, is printed
 * next to the bare echo of baseline.ts called the same way.
 *
 * `echo` (history on) is not counted by default: valgrind runs the code ~50 times slower, so the
 * history sink's 2 ms timer hands over a slice every call or two instead of every ~50 calls, and
 * the per-slice work (JSON text, postMessage) is counted many times over.
 *
 * `--by-function` also lists the N (default 25) JavaScript functions of each target with the most
 * instructions per call, callees included (callgrind.ts names them from JSC's JITDump). Under
 * valgrind each call takes far more than a millisecond, so what is cached per millisecond (the
 * time part of ids, the log's timestamp) is worked out again on every call, and SHA-256 runs
 * without the CPU's SHA instructions: those functions count more than they cost on a server.
 *
 * What it leaves out: the socket, the HTTP parser and the response writer (the same for the bare
 * echo and the product), other threads (history writer, JIT, GC helpers) and time spent waiting
 * for a core. Use `bun run bench` for what a client sees.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bareEcho } from "./baseline";
import { functionCosts, jitNamer, jsFunctionOf, readJitDump, type FunctionCost } from "./callgrind";
import { BASE, ECHO_BODY, echoEndpoint } from "./scenarios";

const TARGETS = ["bare", "echo", "echo_nohist", "reject"] as const;
type Target = (typeof TARGETS)[number];
/** `reject` calls the echo endpoint with a well-formed key that does not exist (scenario 4). */
const PATHS: Record<Exclude<Target, "bare">, string> = { echo: "/echo", echo_nohist: "/echo-nohist", reject: "/echo" };
const UNKNOWN_KEY = `sb_${"0123456789abcdefghijklmnopqrstuv"}`;

const argv = process.argv.slice(2);
const valueOf = (flag: string) => {
  const i = argv.indexOf(flag);
  return i >= 0 ? argv[i + 1] : undefined;
};
const calls = Number(valueOf("--calls") ?? 20_000);
const warm = Number(valueOf("--warm") ?? 20_000);
const inner = valueOf("--inner") as Target | undefined;
/** How many functions `--by-function` lists: its number when one follows, else 25; 0 without it. */
const byFunction = (() => {
  if (!argv.includes("--by-function")) return 0;
  const n = valueOf("--by-function") ?? "";
  return /^\d+$/.test(n) ? Number(n) : 25;
})();

if (inner) await measure(inner);
else await main();

/** The outer run: one valgrind run per target, then the table. */
async function main() {
  const only = (valueOf("--only")?.split(",") ?? ["bare", "echo_nohist"]) as Target[];
  for (const t of only) {
    if (!TARGETS.includes(t)) {
      console.error(`instructions: unknown target ${t} (${TARGETS.join(", ")})`);
      process.exit(2);
    }
  }
  if (Bun.spawnSync(["which", "valgrind"]).exitCode !== 0) {
    console.error("instructions: valgrind is missing (Debian: apt-get install valgrind)");
    process.exit(2);
  }
  const perCall: Partial<Record<Target, number>> = {};
  const functions: Partial<Record<Target, FunctionCost[]>> = {};
  for (const target of only) {
    const dir = mkdtempSync(join(tmpdir(), "sb-instr-"));
    try {
      process.stderr.write(`instructions: ${target} (${warm} warm-up + ${calls} counted calls under callgrind)...\n`);
      const run = Bun.spawnSync(
        [
          "valgrind",
          "--tool=callgrind",
          "--instr-atstart=no",
          "--separate-threads=yes",
          // The JIT rewrites code in place: without this valgrind would run stale translations.
          "--smc-check=all-non-file",
          `--callgrind-out-file=${join(dir, "cg.%p")}`,
          process.execPath,
          import.meta.path,
          "--inner",
          target,
          "--calls",
          String(calls),
          "--warm",
          String(warm),
        ],
        {
          stdout: "pipe",
          stderr: "pipe",
          // JSC writes jit-<pid>.dump there: which JavaScript function each piece of JIT code is.
          env: { ...process.env, NODE_ENV: "production", ...(byFunction ? { BUN_JSC_useJITDump: "1", BUN_JSC_jitDumpDirectory: dir } : {}) },
        },
      );
      const out = run.stdout.toString();
      if (run.exitCode !== 0 || !out.includes("counted")) {
        console.error(`instructions: ${target} failed (exit ${run.exitCode})\n${out}\n${run.stderr.toString().slice(-3000)}`);
        process.exit(1);
      }
      perCall[target] = Math.round(mainThreadInstructions(dir) / calls);
      if (byFunction) functions[target] = mainThreadFunctions(dir).slice(0, byFunction);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  if (argv.includes("--json")) {
    const perFunction = byFunction ? { functions: perCallCosts(functions) } : {};
    console.log(JSON.stringify({ bun: Bun.version, warm, calls, perCall, ...perFunction }));
    return;
  }
  console.log(`Main-thread instructions per call (${warm} warm-up, ${calls} counted; Bun ${Bun.version})\n`);
  console.log("| Target | Instructions per call |\n|---|--:|");
  for (const [target, n] of Object.entries(perCall)) console.log(`| ${target} | ${n.toLocaleString("en-US")} |`);
  for (const [target, costs] of Object.entries(perCallCosts(functions))) {
    console.log(`\n${target}: JavaScript functions by instructions per call, callees included\n`);
    console.log("| Function | Inclusive | Self |\n|---|--:|--:|");
    for (const f of costs) console.log(`| ${f.name} | ${f.inclusive.toLocaleString("en-US")} | ${f.self.toLocaleString("en-US")} |`);
  }
}

/** The counts divided by the calls counted. */
function perCallCosts(functions: Partial<Record<Target, FunctionCost[]>>): Record<string, FunctionCost[]> {
  const per = (n: number) => Math.round(n / calls);
  return Object.fromEntries(Object.entries(functions).map(([target, costs]) => [target, costs.map((f) => ({ name: f.name, inclusive: per(f.inclusive), self: per(f.self) }))]));
}

/** The main thread's JavaScript functions by instructions, named from the JITDump files in `dir`. */
function mainThreadFunctions(dir: string): FunctionCost[] {
  const loads = readdirSync(dir)
    .filter((name) => /^jit-[\d-]+\.dump$/.test(name))
    .flatMap((name) => readJitDump(readFileSync(join(dir, name))));
  const jitName = jitNamer(loads);
  const nameOf = (raw: string) => {
    const name = jitName(raw);
    return name === undefined ? undefined : jsFunctionOf(name);
  };
  return functionCosts(readFileSync(join(dir, mainThreadFile(dir)), "utf8"), nameOf);
}

/** The main thread's callgrind file (`cg.<pid>-01`). */
function mainThreadFile(dir: string): string {
  const file = readdirSync(dir).find((name) => name.startsWith("cg.") && name.endsWith("-01"));
  if (!file) throw new Error(`no main-thread callgrind file in ${dir}: ${readdirSync(dir).join(", ")}`);
  return file;
}

/** The `totals:` instruction count of the main thread's file. */
function mainThreadInstructions(dir: string): number {
  const file = mainThreadFile(dir);
  const text = readFileSync(join(dir, file), "utf8");
  const total = /^totals:\s+(\d+)/m.exec(text);
  if (!total) throw new Error(`no totals line in ${file}`);
  return Number(total[1]);
}

async function callgrind(state: "on" | "off") {
  const control = Bun.spawn(["callgrind_control", "-i", state, String(process.pid)], { stdout: "ignore", stderr: "inherit" });
  if ((await control.exited) !== 0) throw new Error(`callgrind_control -i ${state} failed`);
}

/** The inner run, under valgrind: set up, warm up, count. */
async function measure(target: Target) {
  const { handler, auth, cleanup } = target === "bare" ? { handler: bareEcho, auth: {}, cleanup: () => {} } : await product(PATHS[target], target === "reject");
  const url = target === "bare" ? "http://127.0.0.1/" : `http://127.0.0.1${BASE}${PATHS[target]}`;
  const headers = { "content-type": "application/json", "content-length": String(Buffer.byteLength(ECHO_BODY)), ...auth };
  const once = async () => {
    const response = handler(new Request(url, { method: "POST", headers, body: ECHO_BODY }));
    return response instanceof Promise ? await response : response;
  };
  const first = await once();
  const body = (await first.json()) as { echo?: unknown; error?: { code?: string } };
  const answered = target === "reject" ? first.status === 401 && body.error?.code === "UNAUTHORIZED" : first.status === 200 && body.echo === "hello";
  if (!answered) throw new Error(`${target} answered ${first.status} ${JSON.stringify(body)}`);
  const loop = async (n: number) => {
    for (let i = 0; i < n; i++) {
      await once();
      // A server serves each request in a turn of its own: let timers (log and history flushes) run.
      if ((i & 63) === 63) await new Promise((resolve) => setImmediate(resolve));
    }
  };
  await loop(warm);
  await callgrind("on");
  await loop(calls);
  await callgrind("off");
  console.log(`counted ${calls} calls`);
  cleanup();
  process.exit(0);
}

/** The product in-process: the dispatcher's native route, as Bun's router calls it. */
async function product(path: string, unknownKey: boolean) {
  const { createApp } = await import("../../src/app");
  const { loadConfig } = await import("../../src/config");
  const { migrate } = await import("../../src/db/migrate");
  const { DATABASE_FILE, openDatabase } = await import("../../src/db/open");
  const { createLogger } = await import("../../src/log");
  const { bootstrap } = await import("../../src/modules/accounts/bootstrap");
  const { DISPATCH_ROUTE, dispatchNativeRoutes } = await import("../../src/modules/endpoints/dispatch-routes");
  const { createServices } = await import("../../src/services");
  const { ADMIN } = await import("./seed");

  const dir = mkdtempSync(join(tmpdir(), "sb-instr-data-"));
  const config = loadConfig({ "data-dir": dir }, {});
  const db = openDatabase(join(dir, DATABASE_FILE));
  migrate(db.sqlite);
  // The access log goes to stderr as on a server (the outer run discards it): part of the cost.
  const logger = createLogger({ format: "json" });
  const services = createServices({ config, db, logger });
  await bootstrap({ ...services, logger, adminEmail: ADMIN.email, adminPassword: ADMIN.password });
  const app = createApp({ config, db, logger }, services);
  const api = async (route: string, token: string | undefined, body: unknown) => {
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (token) headers.authorization = `Bearer ${token}`;
    const response = await app.handle(new Request(`http://127.0.0.1${route}`, { method: "POST", headers, body: JSON.stringify(body) }));
    const json = (await response.json()) as { data?: Record<string, unknown> };
    if (!response.ok) throw new Error(`${route}: ${response.status} ${JSON.stringify(json)}`);
    return json.data!;
  };
  const session = (await api("/api/v1/auth/login", undefined, ADMIN)).token as string;
  const key = (await api("/api/v1/keys", session, { name: "instructions" })).key as string;
  await api("/api/v1/endpoints", key, echoEndpoint(`/bench${path}`, path === "/echo" ? "all" : "none"));

  const route = dispatchNativeRoutes(services.dispatch, logger, config.bodyLimitBytes)[DISPATCH_ROUTE];
  // The peer address, as a listening server's requestIP gives it.
  const server = { requestIP: () => ({ address: "127.0.0.1", family: "IPv4", port: 40000 }) } as never;
  return {
    handler: (request: Request) => route(request, server),
    auth: { authorization: `Bearer ${unknownKey ? UNKNOWN_KEY : key}` },
    cleanup() {
      services.close();
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
