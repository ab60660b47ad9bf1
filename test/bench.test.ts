/**
 * Keeps `bun run bench` from rotting: runs it in short mode (a few seconds per scenario) with
 * `--json` and checks every scenario ran against the real server and its bare baseline and
 * answered as expected. The budgets themselves are checked by people and by `--check`, not here:
 * timing assertions in unit tests would only make CI flaky.
 */
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { checkBudgets, type Row } from "../scripts/bench/report";
import { luaScript, parseDuration, parseWrk, WRK_MISSING } from "../scripts/bench/wrk";
import { ROOT, runCommand } from "./helpers/process";

const BENCH = join(ROOT, "scripts", "bench", "index.ts");
const wrk = Bun.which("wrk");
if (!wrk) console.warn(`bench.test: ${WRK_MISSING}; the bench run is skipped (CI installs wrk and must run it)`);

const LOAD_IDS = ["echo", "echo_nohist", "history", "create", "query", "reject", "me_key", "me_session"];
const BARE_IDS = ["bare_echo", "bare_insert", "bare_select"];
const OTHER_IDS = ["query_inprocess", "cold_start", "idle_rss", "rss_after_echo"];

describe("bun run bench --short --json", () => {
  test.if(Boolean(process.env.CI))("wrk is installed in CI", () => {
    expect(wrk).not.toBeNull();
  });

  test.skipIf(!wrk)(
    "measures every scenario against the real server and the bare baselines",
    async () => {
      const { code, stdout, stderr } = await runCommand([process.execPath, BENCH, "--short", "--json"]);
      if (code !== 0) throw new Error(`bench exited ${code}:\n${stderr}`);
      const report = JSON.parse(stdout);
      const rows: Row[] = report.rows;
      const byId = (id: string) => rows.filter((r) => r.id === id);

      expect(report.settings.mode).toBe("short");
      expect(report.machine.cores).toBeGreaterThan(0);
      for (const id of [...LOAD_IDS, ...BARE_IDS, ...OTHER_IDS]) expect(byId(id).length).toBeGreaterThan(0);
      for (const row of rows.filter((r) => r.kind === "load")) {
        expect(row.rps).toBeGreaterThan(0);
        expect(row.p50Ms).toBeGreaterThan(0);
        expect(row.p99Ms).toBeGreaterThanOrEqual(row.p50Ms!);
        // Every answer was what the scenario expects (2xx, or 401 for reject), no socket errors.
        expect(row.notes ?? []).not.toContainEqual(expect.stringMatching(/answers were|socket errors/));
      }
      // The server's CPU time per request is read from /proc (CI is Linux), for every measured run.
      if (process.platform === "linux") {
        for (const row of rows.filter((r) => r.kind === "load" && r.id !== "history")) {
          expect(row.mainCpuUsPerRequest).toBeGreaterThan(0);
          expect(row.cpuUsPerRequest).toBeGreaterThanOrEqual(row.mainCpuUsPerRequest!);
        }
        // The other threads are counted: with history on, the writer thread stores every call.
        const [echo] = byId("echo");
        expect(echo!.cpuUsPerRequest! - echo!.mainCpuUsPerRequest!).toBeGreaterThan(1);
        // ... and named: the main thread's share is the one in parentheses, the writer is a Worker.
        expect(echo!.cpuByThread!.main).toBeCloseTo(echo!.mainCpuUsPerRequest!, 6);
        expect(echo!.cpuByThread!.Worker).toBeGreaterThan(0);
        expect(report.markdown).toContain("CPU per request by thread");
        expect(report.markdown).toContain("| CPU/req |");
      }
      for (const id of LOAD_IDS) {
        const [row] = byId(id);
        expect(row!.baselineRps).toBeGreaterThan(0);
        expect(Number.isFinite(row!.ratio)).toBe(true);
        expect(row!.ratio).toBeGreaterThan(0);
      }
      // Each baseline is loaded once before its group and once after every product run.
      const echoGroup = rows.filter((r) => r.kind === "load" && r.baseline === byId("bare_echo")[0]!.scenario && r.target !== "bare" && r.id !== "history");
      expect(byId("bare_echo")[0]!.notes).toContainEqual(expect.stringContaining(`median of ${echoGroup.length + 1} runs`));
      // History on/off compares the two echoes' req/s (one round here); the ratio of their ratios is in the note.
      const [on, off, history] = ["echo", "echo_nohist", "history"].map((id) => byId(id)[0]!);
      expect(history!.ratio).toBeCloseTo(on!.rps! / off!.rps!, 10);
      expect(history!.notes![0]).toContain(`${on!.ratio!.toFixed(2)} / ${off!.ratio!.toFixed(2)} = ${(on!.ratio! / off!.ratio!).toFixed(2)}`);
      for (const id of OTHER_IDS) expect(byId(id)[0]!.value).toBeGreaterThan(0);
      // Budgets are reported with a verdict (pass or miss), whatever the numbers on this machine.
      for (const id of ["echo", "create", "query", "reject", "history", "query_inprocess"]) expect(typeof byId(id)[0]!.pass).toBe("boolean");
      expect(Array.isArray(report.misses)).toBe(true);
    },
    120_000,
  );

  test.skipIf(!wrk)(
    "--repeat runs the load scenarios several rounds and keeps the one with the median ratio",
    async () => {
      const { code, stdout, stderr } = await runCommand([process.execPath, BENCH, "--short", "--json", "--only", "reject", "--repeat", "3", "--duration", "1"]);
      if (code !== 0) throw new Error(`bench exited ${code}:\n${stderr}`);
      const report = JSON.parse(stdout);
      const rows: Row[] = report.rows;
      expect(report.settings.repeat).toBe(3);
      const reject = rows.filter((r) => r.id === "reject");
      expect(reject.length).toBe(1);
      const note = reject[0]!.notes!.find((n) => n.startsWith("median of 3 rounds by ratio"))!;
      const ratios = /\(([^)]*)\)/.exec(note)![1]!.split(", ").map(Number);
      expect(ratios.length).toBe(3);
      expect([...ratios].sort((a, b) => a - b)).toEqual(ratios);
      expect(reject[0]!.ratio!.toFixed(2)).toBe(ratios[1]!.toFixed(2));
      // One baseline run before the first round and one after each product run.
      expect(rows.find((r) => r.id === "bare_echo")!.notes).toContainEqual(expect.stringContaining("median of 4 runs"));
      expect(stderr).toContain("(round 3 of 3)");
    },
    120_000,
  );

  test("--repeat takes a whole number", async () => {
    const { code, stderr } = await runCommand([process.execPath, BENCH, "--short", "--repeat", "0"]);
    expect(code).toBe(2);
    expect(stderr).toContain("--repeat takes a whole number >= 1");
  });

  test("without wrk it says how to install it and exits 2", async () => {
    const { code, stderr } = await runCommand([process.execPath, BENCH, "--short"], { env: { PATH: "/nonexistent" } });
    expect(code).toBe(2);
    expect(stderr).toContain("wrk not found: install it with `apt-get install wrk`");
  });
});

describe("bench helpers", () => {
  test("reads wrk's report", () => {
    const output = `Running 2s test @ http://127.0.0.1:4000/
  2 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   412.51us  300.12us  12.10ms   95.00%
    Req/Sec    39.10k     2.01k   42.00k    80.00%
  Latency Distribution
     50%  351.00us
     75%  420.00us
     90%  560.00us
     99%    1.52ms
  156400 requests in 2.00s, 25.20MB read
  Non-2xx or 3xx responses: 12
Requests/sec:  78200.33
Transfer/sec:     12.60MB
`;
    expect(parseWrk(output)).toEqual({ rps: 78200.33, p50Ms: 0.351, p99Ms: 1.52, requests: 156400, non2xx: 12, socketErrors: 0 });
    expect(parseDuration("2.01s")).toBeCloseTo(2010, 6);
    expect(() => parseWrk("garbage")).toThrow();
  });

  test("writes a fixed request or a pool cycled by request()", () => {
    expect(luaScript([{ method: "POST", path: "/a", headers: { "content-type": "application/json" }, body: '{"n":1}' }])).toContain('wrk.body = "{\\"n\\":1}"');
    const pool = luaScript([
      { method: "GET", path: "/a" },
      { method: "GET", path: "/b" },
    ]);
    expect(pool).toContain("request = function()");
    expect(pool).toContain('"/b"');
  });

  test("a missed budget says which and by how much", () => {
    const rows: Row[] = [
      { id: "echo", scenario: "echo", target: "source", kind: "load", ratio: 0.4, p99Ms: 3, budgets: [{ metric: "ratio", op: ">=", limit: 0.5, unit: "x" }, { metric: "p99", op: "<=", limit: 5, unit: "ms" }] },
      { id: "idle_rss", scenario: "idle RSS", target: "binary", kind: "process", value: 90, unit: "MB", budgets: [{ metric: "value", op: "<=", limit: 80, unit: "MB" }] },
      { id: "me_key", scenario: "me", target: "source", kind: "load", ratio: 0.1 },
    ];
    const misses = checkBudgets(rows);
    expect(misses.map((m) => m.message)).toEqual([
      "echo [source]: ratio 0.40, budget ratio >= 0.50: short by 0.10 (20%)",
      "idle RSS [binary]: RSS 90 MB, budget <= 80 MB: over by 10 MB (13%)",
    ]);
    expect(rows.map((r) => r.pass)).toEqual([false, false, undefined]);
  });

  test("a ratio that misses by less than two decimals show is given a third", () => {
    const rows: Row[] = [{ id: "reject", scenario: "reject", target: "source", kind: "load", ratio: 0.6983, budgets: [{ metric: "ratio", op: ">=", limit: 0.7, unit: "x" }] }];
    expect(checkBudgets(rows).map((m) => m.message)).toEqual(["reject [source]: ratio 0.698, budget ratio >= 0.70: short by 0.002 (0.2%)"]);
  });
});

describe("bun run bench:instructions", () => {
  const valgrind = Bun.which("valgrind") && Bun.which("callgrind_control");
  test.skipIf(!valgrind)(
    "counts the request thread's instructions per call for the bare echo, the product's echo and its refusal of an unknown key",
    async () => {
      const script = join(ROOT, "scripts", "bench", "instructions.ts");
      const { code, stdout, stderr } = await runCommand([process.execPath, script, "--calls", "200", "--warm", "200", "--only", "bare,echo_nohist,reject", "--json"]);
      if (code !== 0) throw new Error(`instructions exited ${code}:\n${stderr}`);
      const { perCall } = JSON.parse(stdout) as { perCall: Record<string, number> };
      // Counted only while collection was on: a few thousand per bare call, not the start-up's millions.
      expect(perCall.bare).toBeGreaterThan(1_000);
      expect(perCall.bare).toBeLessThan(1_000_000);
      // The product's echo does strictly more than the bare one (auth, condition, template, log).
      expect(perCall.echo_nohist).toBeGreaterThan(perCall.bare!);
      // Refusing an unknown key still matches the route, hashes the key and writes the access line.
      expect(perCall.reject).toBeGreaterThan(perCall.bare!);
    },
    180_000,
  );
});
