#!/usr/bin/env bun
/**
 * `bun run bench`: the benchmark suite and its performance budget.
 *
 *   bun scripts/bench/index.ts [--short] [--json] [--check] [--binary [PATH]] [--duration S] [--only IDS] [--repeat N] [--keep]
 *
 * Starts the real server (from source; with `--binary` also the compiled binary, built into a
 * temporary folder unless PATH is given) on a temporary data dir seeded in-process, creates the
 * scenario endpoints through the API with an API key, and drives load over loopback with wrk at
 * 32 connections and 2 threads, one run at a time. Every scenario is measured side by side with a
 * bare `Bun.serve` (scripts/bench/baseline.ts) doing the minimum equivalent work in the same run,
 * and reported as req/s, p50, p99, the server's CPU time per request (from /proc) and the ratio to
 * that baseline. Each product scenario runs on a freshly started server (same data dir) warmed up
 * by an unmeasured wrk run, so what one scenario leaves behind (garbage, queued history) cannot
 * slow the next. The access log (one JSON line per request on stderr) goes to a file: it is part
 * of the product's cost.
 *
 * --short     2 s per scenario after a 1 s warm-up, 10,000 records (100,000 for the in-process
 *             query): what CI runs so the bench cannot rot. Default: 10 s after 2 s, 100,000 and
 *             1,000,000 records.
 * --json      print the result as JSON on stdout (progress goes to stderr either way).
 * --check     exit 1 when a budget is missed (each miss is printed with by how much). Without it
 *             the bench exits 0 whatever the numbers; 2 means it could not run (no wrk, a
 *             scenario answering wrongly, a server that did not start).
 * --binary    also measure the compiled binary; the process budgets (cold start, RSS) apply to it.
 * --duration  seconds per measured run instead of 2 / 10.
 * --only      comma list of load scenario ids (echo, echo_nohist, reject, me_key, me_session,
 *             create, query), to look at one thing; the other measures still run.
 * --repeat    run the load scenarios N times over (default 1), each round with its own baseline
 *             runs around it, and keep for each scenario the round with the median ratio: one
 *             round's ratio moves by a tenth on a shared VM. History on/off (budget 5) is the
 *             median over rounds of the two echoes' req/s in the same round; every other round
 *             runs the echo without history first.
 * --keep      keep the temporary folder (data dirs, server logs, wrk scripts).
 */
import { availableParallelism, cpus, release, tmpdir } from "node:os";
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { customerId, RECORDS_PER_CUSTOMER, type BaselineMode } from "./baseline";
import { parseReaderThread } from "../../src/config";
import { ALLOCATOR_ENV } from "../../src/runtime-tuning";
import { BASELINE, coldStart, cpuTime, cpuUsed, MAIN, ROOT, rssMb, spawnListening, type Child, type CpuTime } from "./proc";
import { checkBudgets, markdown, type Budget, type Miss, type Row } from "./report";
import { historyCostRow, medianRun, roundOrder } from "./rounds";
import { ADMIN, CREATE_COLLECTION, measureIndexedQuery, prepareBenchDir, QUERY_COLLECTION, QUERY_FILTER } from "./seed";
import { BASE, ECHO_BODY, echoEndpoint } from "./scenarios";
import { findWrk, runWrk, WRK_MISSING, type WrkRequest, type WrkResult } from "./wrk";

// ---- options ---------------------------------------------------------------------------------
const argv = process.argv.slice(2);
const has = (flag: string) => argv.includes(flag);
const valueOf = (flag: string) => {
  const i = argv.indexOf(flag);
  const next = i >= 0 ? argv[i + 1] : undefined;
  return next !== undefined && !next.startsWith("--") ? next : undefined;
};
const known = new Set(["--short", "--json", "--check", "--binary", "--duration", "--only", "--repeat", "--keep", "--help", "-h"]);
for (const [i, a] of argv.entries()) {
  if (a.startsWith("-") && !known.has(a)) {
    console.error(`bench: unknown option ${a} (see scripts/bench/index.ts)`);
    process.exit(2);
  }
  if (!a.startsWith("-") && !["--binary", "--duration", "--only", "--repeat"].includes(argv[i - 1] ?? "")) {
    console.error(`bench: unexpected argument ${a}`);
    process.exit(2);
  }
}
if (has("--help") || has("-h")) {
  console.log("usage: bun run bench [--short] [--json] [--check] [--binary [PATH]] [--duration S] [--only ID,...] [--repeat N] [--keep]");
  process.exit(0);
}
const SHORT = has("--short");
const JSON_OUT = has("--json");
const CHECK = has("--check");
const KEEP = has("--keep");
const BINARY = has("--binary") ? (valueOf("--binary") ?? true) : undefined;
/** Load scenario ids to run (a development aid; the in-process and process measures always run). */
const ONLY = valueOf("--only")?.split(",").map((s) => s.trim());

const settings = {
  mode: SHORT ? "short" : "full",
  connections: 32,
  threads: 2,
  durationS: Number(valueOf("--duration") ?? (SHORT ? 2 : 10)),
  warmupS: SHORT ? 1 : 2,
  /** Records in `orders` (query scenario) and in the bare select baseline. */
  records: SHORT ? 10_000 : 100_000,
  /** Records of the in-process indexed query (scenario 6). */
  inProcessRecords: SHORT ? 100_000 : 1_000_000,
  inProcessQueries: 2000,
  coldStarts: SHORT ? 3 : 5,
  /** Rounds of the load scenarios (`--repeat`); each row is the round with the median ratio. */
  repeat: Number(valueOf("--repeat") ?? 1),
  /** Pause after a load run before reading the RSS (each scenario runs on a freshly started server). */
  settleMs: 500,
};
if (!Number.isInteger(settings.repeat) || settings.repeat < 1) {
  console.error("bench: --repeat takes a whole number >= 1");
  process.exit(2);
}
if (!Number.isFinite(settings.durationS) || settings.durationS < 1) {
  console.error("bench: --duration takes whole seconds >= 1");
  process.exit(2);
}

const wrk = findWrk();
if (!wrk) {
  console.error(WRK_MISSING);
  process.exit(2);
}

const log = (line: string) => process.stderr.write(`bench: ${line}\n`);
// ---- machine -----------------------------------------------------------------------------------
function machine() {
  let cpu = cpus()[0]?.model ?? "unknown";
  try {
    cpu = /model name\s*:\s*(.+)/.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1]?.trim() ?? cpu;
  } catch {}
  const wrkVersion = Bun.spawnSync([wrk!, "--version"]).stdout.toString().split("\n")[0]?.trim() ?? "";
  // The product runs with SWITCHBOARD_READER_THREAD unset (productEnv), so `auto` decides from the CPUs.
  const readerThread = parseReaderThread(undefined, availableParallelism());
  return { cpu, cores: cpus().length, bun: Bun.version, os: `${process.platform} ${release()}`, wrk: wrkVersion.replace(/ Copyright.*/, ""), readerThread };
}

// ---- scenarios ---------------------------------------------------------------------------------
const CREATE_BODY = JSON.stringify({ customer_id: "c_42", total: 99.5, status: "open" });
const POOL = 1000;

const ENDPOINTS = [
  echoEndpoint("/bench/echo", "all"),
  echoEndpoint("/bench/echo-nohist", "none"),
  {
    name: "bench create",
    path: "/bench/events",
    method: "POST",
    actions: [
      {
        type: "create_record",
        config: {
          collection: CREATE_COLLECTION,
          data: { customer_id: "{{request.body.customer_id}}", total: "{{request.body.total}}", status: "{{request.body.status}}" },
        },
      },
    ],
    response_template: { status: 201, body: "{{actions[0].result}}" },
  },
  {
    name: "bench query",
    path: "/bench/orders/:customer_id",
    method: "GET",
    actions: [{ type: "query_records", config: { collection: QUERY_COLLECTION, filter: QUERY_FILTER, limit: 10 } }],
  },
];

/** A deterministic pseudo-random sequence, so every run asks for the same customers and keys. */
function lcg(seed: number) {
  let x = seed;
  return () => (x = (x * 1103515245 + 12345) % 2147483648) / 2147483648;
}
const customers = Math.max(1, Math.floor(settings.records / RECORDS_PER_CUSTOMER));
const customerPool = (() => {
  const next = lcg(7);
  return Array.from({ length: POOL }, () => customerId(Math.floor(next() * customers)));
})();
const badKeys = (() => {
  const next = lcg(11);
  const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  return Array.from({ length: POOL }, () => `sb_${Array.from({ length: 32 }, () => alphabet[Math.floor(next() * 62)]).join("")}`);
})();

interface Product {
  target: string;
  binary: string | undefined;
  dataDir: string;
  logFile: string;
  key: string;
  session: string;
}

interface LoadScenario {
  id: string;
  scenario: string;
  /** 2 = every answer 2xx, 4 = every answer an error (401). */
  expect: 2 | 4;
  pool: (p: Product) => WrkRequest[];
  /** Checks one answer before the load. */
  verify: (status: number, body: any) => boolean;
  budgets?: Budget[];
}

const json = { "content-type": "application/json" };
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

interface BaselineSpec {
  id: string;
  scenario: string;
  mode: BaselineMode;
  pool: WrkRequest[];
  verify: (status: number, body: any) => boolean;
}

const BASELINES: BaselineSpec[] = [
  {
    id: "bare_echo",
    scenario: "bare Bun.serve JSON echo",
    mode: "echo",
    pool: [{ method: "POST", path: "/", headers: json, body: ECHO_BODY }],
    verify: (s, b) => s === 200 && b?.echo === "hello",
  },
  {
    id: "bare_insert",
    scenario: "bare Bun.serve + prepared INSERT",
    mode: "insert",
    pool: [{ method: "POST", path: "/", headers: json, body: CREATE_BODY }],
    verify: (s, b) => s === 201 && typeof b?.id === "string",
  },
  {
    id: "bare_select",
    scenario: `bare Bun.serve + prepared SELECT (${settings.records.toLocaleString("en-US")} rows)`,
    mode: "select",
    pool: customerPool.map((c) => ({ method: "GET", path: `/orders/${c}` })),
    verify: (s, b) => s === 200 && Array.isArray(b) && b.length === 10,
  },
];

const ALL_GROUPS: { baseline: string; scenarios: LoadScenario[] }[] = [
  {
    baseline: "bare_echo",
    scenarios: [
      {
        id: "echo",
        scenario: "1. echo: key auth + condition + transform + template, history on",
        expect: 2,
        pool: (p) => [{ method: "POST", path: `${BASE}/echo`, headers: { ...json, ...bearer(p.key) }, body: ECHO_BODY }],
        verify: (s, b) => s === 200 && b?.echo === "hello" && b?.n === 1,
        budgets: [
          { metric: "ratio", op: ">=", limit: 0.5, unit: "x" },
          { metric: "p99", op: "<=", limit: 5, unit: "ms" },
        ],
      },
      {
        id: "echo_nohist",
        scenario: "echo, history off",
        expect: 2,
        pool: (p) => [{ method: "POST", path: `${BASE}/echo-nohist`, headers: { ...json, ...bearer(p.key) }, body: ECHO_BODY }],
        verify: (s, b) => s === 200 && b?.echo === "hello",
      },
      {
        id: "reject",
        scenario: "4. reject: invalid API key -> 401",
        expect: 4,
        pool: () => badKeys.map((k) => ({ method: "POST", path: `${BASE}/echo`, headers: { ...json, ...bearer(k) }, body: ECHO_BODY })),
        verify: (s, b) => s === 401 && b?.error?.code === "UNAUTHORIZED",
        budgets: [{ metric: "ratio", op: ">=", limit: 0.7, unit: "x" }],
      },
      {
        id: "me_key",
        scenario: "auth: GET /api/v1/auth/me, API key",
        expect: 2,
        pool: (p) => [{ method: "GET", path: "/api/v1/auth/me", headers: bearer(p.key) }],
        verify: (s, b) => s === 200 && b?.success === true,
      },
      {
        id: "me_session",
        scenario: "auth: GET /api/v1/auth/me, session token",
        expect: 2,
        pool: (p) => [{ method: "GET", path: "/api/v1/auth/me", headers: bearer(p.session) }],
        verify: (s, b) => s === 200 && b?.success === true,
      },
    ],
  },
  {
    baseline: "bare_insert",
    scenarios: [
      {
        id: "create",
        scenario: "2. create: create_record + template",
        expect: 2,
        pool: (p) => [{ method: "POST", path: `${BASE}/events`, headers: { ...json, ...bearer(p.key) }, body: CREATE_BODY }],
        verify: (s, b) => s === 201 && typeof b?.id === "string" && b?.customer_id === "c_42",
        budgets: [{ metric: "ratio", op: ">=", limit: 0.5, unit: "x" }],
      },
    ],
  },
  {
    baseline: "bare_select",
    scenarios: [
      {
        id: "query",
        scenario: `3. query: query_records, indexed =, limit 10 (${settings.records.toLocaleString("en-US")} records)`,
        expect: 2,
        pool: (p) => customerPool.map((c) => ({ method: "GET", path: `${BASE}/orders/${c}`, headers: bearer(p.key) })),
        verify: (s, b) => s === 200 && Array.isArray(b) && b.length === 10,
        budgets: [{ metric: "ratio", op: ">=", limit: 0.5, unit: "x" }],
      },
    ],
  },
];

const GROUPS = ALL_GROUPS.map((g) => ({ ...g, scenarios: g.scenarios.filter((s) => !ONLY || ONLY.includes(s.id)) })).filter((g) => g.scenarios.length > 0);
if (ONLY) {
  const ids = new Set(ALL_GROUPS.flatMap((g) => g.scenarios.map((s) => s.id)));
  const unknown = ONLY.filter((id) => !ids.has(id));
  if (unknown.length) {
    console.error(`bench: unknown scenario ${unknown.join(", ")} (${[...ids].join(", ")})`);
    process.exit(2);
  }
}

// ---- helpers -----------------------------------------------------------------------------------
function productEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("SWITCHBOARD_") && v !== undefined) env[k] = v;
  return { ...env, SWITCHBOARD_LOG_FORMAT: "json", SWITCHBOARD_ADMIN_EMAIL: ADMIN.email, SWITCHBOARD_ADMIN_PASSWORD: ADMIN.password };
}

async function call(url: string, req: WrkRequest): Promise<{ status: number; body: any; text: string }> {
  const res = await fetch(url + req.path, { method: req.method, headers: req.headers, body: req.body });
  const text = await res.text();
  let body: any;
  try {
    body = JSON.parse(text);
  } catch {}
  return { status: res.status, body, text };
}

async function api(child: Child, method: string, path: string, token: string | undefined, body?: unknown) {
  const res = await call(child.url, {
    method,
    path,
    headers: { ...json, ...(token ? bearer(token) : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (res.status >= 300) throw new Error(`${method} ${path} answered ${res.status}: ${res.text}`);
  return res.body.data;
}

function productCommand(target: string, binary: string | undefined, dataDir: string): string[] {
  const args = ["serve", "--port", "0", "--data-dir", dataDir];
  return target === "binary" ? [binary!, ...args] : [process.execPath, MAIN, ...args];
}

/** A target's data dir, seeded and set up (key, session, endpoints) through a first start. */
async function prepareProduct(target: string, binary: string | undefined): Promise<Product> {
  const dataDir = join(tmp, `data-${target}`);
  mkdirSync(dataDir);
  const { seedS } = await prepareBenchDir(dataDir, settings.records);
  log(`${target}: seeded ${settings.records} records in ${seedS.toFixed(1)} s`);
  const p: Product = { target, binary, dataDir, logFile: join(tmp, `server-${target}.log`), key: "", session: "" };
  const child = await serve(p);
  try {
    p.session = (await api(child, "POST", "/api/v1/auth/login", undefined, ADMIN)).token as string;
    p.key = (await api(child, "POST", "/api/v1/keys", p.session, { name: "bench" })).key as string;
    for (const endpoint of ENDPOINTS) await api(child, "POST", "/api/v1/endpoints", p.key, endpoint);
    // Every scenario answers as expected before it is loaded.
    for (const scenario of ALL_GROUPS.flatMap((g) => g.scenarios)) {
      const res = await call(child.url, scenario.pool(p)[0]!);
      if (!scenario.verify(res.status, res.body)) throw new Error(`${scenario.id} [${target}] answered ${res.status}: ${res.text.slice(0, 500)}`);
    }
  } finally {
    await stopChild(child);
  }
  return p;
}

/** Starts the product on its data dir (each scenario gets a fresh process: nothing left over from the last one). */
async function serve(p: Product): Promise<Child> {
  const child = await spawnListening(productCommand(p.target, p.binary, p.dataDir), { env: productEnv(), logFile: p.logFile });
  children.push(child);
  return child;
}

async function stopChild(child: Child) {
  await child.stop();
  children.splice(children.indexOf(child), 1);
}

/** A measured run, with the server's CPU time per request during it (where /proc tells). */
type LoadRun = WrkResult & { cpu?: { totalUs: number; mainUs: number; byThread: Record<string, number> } };

async function runLoad(server: Child, pool: WrkRequest[]): Promise<LoadRun> {
  let before: CpuTime | undefined;
  const result = await runWrk({
    wrk: wrk!,
    url: server.url,
    pool,
    connections: settings.connections,
    threads: settings.threads,
    durationS: settings.durationS,
    warmupS: settings.warmupS,
    tmpDir: tmp,
    beforeMeasure: () => (before = cpuTime(server.pid)),
  });
  const after = cpuTime(server.pid);
  if (!before || !after || result.requests === 0) return result;
  const used = cpuUsed(before, after);
  const byThread = Object.fromEntries(Object.entries(used.byName).map(([name, us]) => [name, us / result.requests]));
  return { ...result, cpu: { totalUs: used.totalUs / result.requests, mainUs: used.mainUs / result.requests, byThread } };
}

const cpuFields = (run: LoadRun) => (run.cpu ? { cpuUsPerRequest: run.cpu.totalUs, mainCpuUsPerRequest: run.cpu.mainUs, cpuByThread: run.cpu.byThread } : {});

function problems(result: WrkResult, expect: 2 | 4): string[] {
  const out: string[] = [];
  if (expect === 2 && result.non2xx > 0) out.push(`${result.non2xx} of ${result.requests} answers were not 2xx`);
  if (expect === 4 && result.non2xx < result.requests) out.push(`${result.requests - result.non2xx} of ${result.requests} answers were 2xx (expected 401)`);
  if (result.socketErrors > 0) out.push(`${result.socketErrors} socket errors`);
  return out;
}

/** Sum of `dropped` in the server log's "history queue full" warnings after byte `from`. */
function historyDrops(logFile: string, from: number): number {
  const fd = openSync(logFile, "r");
  let dropped = 0;
  let carry = "";
  try {
    const buffer = Buffer.alloc(1 << 20);
    for (let position = from; ; ) {
      const n = readSync(fd, buffer, 0, buffer.length, position);
      if (n === 0) break;
      position += n;
      const lines = (carry + buffer.subarray(0, n).toString("latin1")).split("\n");
      carry = lines.pop()!;
      for (const line of lines) {
        if (!line.includes("history queue full")) continue;
        try {
          dropped += Number(JSON.parse(line).dropped) || 0;
        } catch {}
      }
    }
  } finally {
    closeSync(fd);
  }
  return dropped;
}

function logSize(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

async function buildBinary(): Promise<string> {
  if (typeof BINARY === "string") return resolve(BINARY);
  const out = join(tmp, "switchboard");
  log("building the binary (scripts/build.ts)...");
  const proc = Bun.spawnSync([process.execPath, join(ROOT, "scripts", "build.ts"), "--outfile", out], { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
  if (proc.exitCode !== 0) throw new Error(`build failed:\n${proc.stdout}${proc.stderr}`);
  return out;
}

/** The baseline's row: its median run, with the spread of all its runs (each ratio used the two around it). */
function baselineRow(spec: (typeof BASELINES)[number], runs: LoadRun[]): Row {
  const sorted = [...runs].sort((a, b) => a.rps - b.rps);
  const median = sorted[Math.floor(sorted.length / 2)]!;
  const notes = [...new Set(runs.flatMap((r) => problems(r, 2)))];
  if (runs.length > 1) {
    const rps = (r: WrkResult) => Math.round(r.rps).toLocaleString("en-US");
    notes.push(`median of ${runs.length} runs, one before the first product run and one after each (${rps(sorted[0]!)} to ${rps(sorted.at(-1)!)} req/s); each ratio is taken against the mean of the two runs around it`);
  }
  return { id: spec.id, scenario: spec.scenario, target: "bare", kind: "load", rps: median.rps, p50Ms: median.p50Ms, p99Ms: median.p99Ms, ...cpuFields(median), ...(notes.length ? { notes } : {}) };
}

// ---- run ---------------------------------------------------------------------------------------
async function main(): Promise<number> {
  const started = performance.now();
  const info = machine();
  log(`${info.cores} CPUs (${info.cpu}), Bun ${info.bun}, ${info.wrk}; ${settings.mode} mode: ${settings.durationS} s per run after ${settings.warmupS} s warm-up, -c${settings.connections} -t${settings.threads}`);
  const binary = BINARY !== undefined ? await buildBinary() : undefined;
  const targets = binary ? ["source", "binary"] : ["source"];

  const rows: Row[] = [];
  /** Every round's run of each load scenario, by `<id> <target>`, in round order (budget 5 pairs them). */
  const roundRuns = new Map<string, Row[]>();
  const products: Product[] = [];
  for (const target of targets) products.push(await prepareProduct(target, binary));

  for (const group of GROUPS) {
    const spec = BASELINES.find((b) => b.id === group.baseline)!;
    const bareDir = join(tmp, `bare-${spec.mode}`);
    mkdirSync(bareDir);
    const bare = await spawnListening(
      [process.execPath, BASELINE, "--mode", spec.mode, "--port", "0", "--records", String(settings.records), "--dir", bareDir],
      // The bare server runs with the allocator settings the product gives itself (or the ones
      // this shell overrides them with), so a ratio compares the work done per request, not two
      // allocator configurations.
      { env: { ...ALLOCATOR_ENV, ...process.env } as Record<string, string>, logFile: join(tmp, `bare-${spec.mode}.log`), timeoutMs: 60_000 },
    );
    children.push(bare);
    try {
      const check = await call(bare.url, spec.pool[0]!);
      if (!spec.verify(check.status, check.body)) throw new Error(`baseline ${spec.mode} answered ${check.status}: ${check.text.slice(0, 300)}`);
      // The baseline is loaded before the first product run and after each one, and every ratio
      // is taken against the mean of the two runs around it: on a shared machine the bare numbers
      // drift by a quarter within minutes, and a single baseline run made later ratios a lottery.
      const bareRuns: LoadRun[] = [];
      const loadBare = async () => {
        log(`${spec.scenario} (run ${bareRuns.length + 1})...`);
        const result = await runLoad(bare, spec.pool);
        bareRuns.push(result);
        return result;
      };
      let before = await loadBare();
      const rssRuns = new Map<string, Row>();
      for (let round = 0; round < settings.repeat; round++) {
        for (const p of products) {
          for (const scenario of roundOrder(group.scenarios, round)) {
            log(`${scenario.id} [${p.target}]${settings.repeat > 1 ? ` (round ${round + 1} of ${settings.repeat})` : ""}...`);
            const logFrom = logSize(p.logFile);
            const child = await serve(p);
            let result: LoadRun;
            let rss: number;
            try {
              result = await runLoad(child, scenario.pool(p));
              await Bun.sleep(settings.settleMs);
              rss = rssMb(child.pid);
            } finally {
              await stopChild(child); // flushes queued history: its drops show in the log
            }
            const after = await loadBare();
            const base = (before.rps + after.rps) / 2;
            before = after;
            const notes = problems(result, scenario.expect);
            const dropped = historyDrops(p.logFile, logFrom);
            if (dropped > 0) notes.push(`history queue full: ${dropped} execution records dropped`);
            const key = `${scenario.id} ${p.target}`;
            const run: Row = {
              id: scenario.id,
              scenario: scenario.scenario,
              target: p.target,
              kind: "load",
              rps: result.rps,
              p50Ms: result.p50Ms,
              p99Ms: result.p99Ms,
              ...cpuFields(result),
              baseline: spec.scenario,
              baselineRps: base,
              ratio: result.rps / base,
              ...(scenario.budgets ? { budgets: scenario.budgets } : {}),
              ...(notes.length ? { notes } : {}),
            };
            roundRuns.set(key, [...(roundRuns.get(key) ?? []), run]);
            // The largest of the rounds: a budget on memory is about the worst seen.
            if (scenario.id === "echo" && rss > (rssRuns.get(p.target)?.value ?? -1)) {
              rssRuns.set(p.target, {
                id: "rss_after_echo",
                scenario: "7. RSS after the echo run",
                target: p.target,
                kind: "process",
                value: rss,
                unit: "MB",
                ...(p.target === "binary" ? { budgets: [{ metric: "value", op: "<=", limit: 200, unit: "MB" }] } : {}),
              });
            }
          }
        }
      }
      rows.push(...rssRuns.values());
      rows.push(baselineRow(spec, bareRuns));
    } finally {
      await stopChild(bare);
    }
  }

  // Each round ran every scenario once; the row kept is the run with the median ratio.
  for (const candidates of roundRuns.values()) rows.push(medianRun(candidates));

  // 5. history cost: echo with history on / off, same target.
  for (const p of products) {
    const row = historyCostRow(p.target, roundRuns.get(`echo ${p.target}`), roundRuns.get(`echo_nohist ${p.target}`));
    if (row) rows.push(row);
  }

  // 7. process: cold start to the first 200 on /healthz and idle RSS, on a fresh data dir.
  for (const target of targets) {
    const starts: number[] = [];
    let idle = 0;
    const dataDir = join(tmp, `cold-${target}`);
    for (let i = 0; i < settings.coldStarts; i++) {
      const env = productEnv();
      delete env.SWITCHBOARD_ADMIN_EMAIL;
      delete env.SWITCHBOARD_ADMIN_PASSWORD;
      const r = await coldStart(productCommand(target, binary, dataDir), { env, logFile: join(tmp, `cold-${target}.log`) });
      starts.push(r.firstOkMs);
      idle = r.idleRssMb;
    }
    const sorted = [...starts].sort((a, b) => a - b);
    const binaryOnly = <T>(b: T) => (target === "binary" ? { budgets: [b] } : {});
    rows.push({
      id: "cold_start",
      scenario: `7. cold start to first 200 on /healthz (median of ${starts.length})`,
      target,
      kind: "process",
      value: sorted[Math.floor(sorted.length / 2)]!,
      unit: "ms",
      ...binaryOnly<Budget>({ metric: "value", op: "<=", limit: 300, unit: "ms" }),
      notes: [`starts: ${starts.map((s) => s.toFixed(0)).join(", ")} ms (the first one migrates a fresh data dir)`],
    });
    rows.push({
      id: "idle_rss",
      scenario: "7. idle RSS",
      target,
      kind: "process",
      value: idle,
      unit: "MB",
      ...binaryOnly<Budget>({ metric: "value", op: "<=", limit: 80, unit: "MB" }),
    });
  }

  // 6. in-process indexed query over many records.
  log(`in-process query_records over ${settings.inProcessRecords.toLocaleString("en-US")} records (seeding)...`);
  const q = await measureIndexedQuery(join(tmp, "data-source"), settings.inProcessRecords, settings.inProcessQueries);
  rows.push({
    id: "query_inprocess",
    scenario: `6. query_records in-process, indexed =, limit 10 (${q.records.toLocaleString("en-US")} records, ${q.queries} queries)`,
    target: "in-process",
    kind: "in-process",
    rps: 1000 / q.medianMs,
    p50Ms: q.medianMs,
    p99Ms: q.p99Ms,
    value: q.medianMs,
    unit: "ms",
    budgets: [{ metric: "value", op: "<=", limit: 2, unit: "ms" }],
    notes: [`plan: ${q.plan.join("; ").replace(/rec_[a-z0-9]+/g, "rec_…")}; seeded in ${q.seedS.toFixed(1)} s`],
  });

  // Keep the report in scenario order.
  const order = ["echo", "echo_nohist", "history", "create", "query", "reject", "me_key", "me_session", "bare_echo", "bare_insert", "bare_select", "query_inprocess", "cold_start", "idle_rss", "rss_after_echo"];
  rows.sort((a, b) => order.indexOf(a.id) - order.indexOf(b.id) || targets.indexOf(a.target) - targets.indexOf(b.target));

  const misses: Miss[] = checkBudgets(rows);
  const elapsedS = (performance.now() - started) / 1000;
  const heading = `Switchboard bench, ${settings.mode} mode: ${info.cores} vCPU ${info.cpu}, Bun ${info.bun}, ${info.os}; wrk -c${settings.connections} -t${settings.threads}, ${settings.durationS} s per run after ${settings.warmupS} s warm-up${settings.repeat > 1 ? `, ${settings.repeat} rounds (each row the round with the median ratio)` : ""}; records reader thread ${info.readerThread ? "on" : "off"} (auto).`;
  const table = markdown(rows, targets.length > 1) + (binary ? "" : "\n\nProcess budgets (cold start, RSS) apply to the compiled binary: run with --binary to check them.");
  if (JSON_OUT) {
    console.log(JSON.stringify({ machine: info, settings: { ...settings, targets }, elapsed_s: Math.round(elapsedS), rows, misses, markdown: `${heading}\n\n${table}` }, null, 2));
  } else {
    console.log(`${heading}\n\n${table}`);
  }
  for (const miss of misses) console.error(`budget missed: ${miss.message}`);
  if (misses.length === 0) log(`all budgets met (${elapsedS.toFixed(0)} s)`);
  else log(`${misses.length} budget${misses.length === 1 ? "" : "s"} missed (${elapsedS.toFixed(0)} s)${CHECK ? "" : "; exit 0 without --check"}`);
  return CHECK && misses.length > 0 ? 1 : 0;
}

const tmp = mkdtempSync(join(tmpdir(), "sb-bench-"));
const children: Child[] = [];
let cleaned = false;
async function cleanup() {
  if (cleaned) return;
  cleaned = true;
  await Promise.all(children.map((c) => c.stop().catch(() => {})));
  if (!KEEP) rmSync(tmp, { recursive: true, force: true });
  else log(`kept ${tmp}`);
}
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    void cleanup().then(() => process.exit(130));
  });
}

let code = 2;
try {
  code = await main();
} catch (error) {
  console.error(`bench: could not run: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  code = 2;
} finally {
  await cleanup();
}
process.exit(code);
