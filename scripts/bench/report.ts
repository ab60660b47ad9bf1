/**
 * Rows of a bench run, their budgets, and the markdown / JSON reports.
 */

export interface Budget {
  /** What is compared: the ratio to the row's baseline, its p99, or its single value. */
  metric: "ratio" | "p99" | "value";
  op: ">=" | "<=";
  limit: number;
  /** Unit of the limit for messages (ms, MB, x). */
  unit: string;
}

export interface Row {
  /** Stable id, e.g. `echo`, `query`, `cold_start`. */
  id: string;
  scenario: string;
  /** source or binary (in-process for scenario 6). */
  target: string;
  kind: "load" | "in-process" | "process";
  rps?: number;
  p50Ms?: number;
  p99Ms?: number;
  /** Server CPU time per request in the measured run: all its threads, and its main thread. */
  cpuUsPerRequest?: number;
  mainCpuUsPerRequest?: number;
  /** The same per thread name (`main`, `Worker`, `HeapHelper`...), µs per request. */
  cpuByThread?: Record<string, number>;
  /** The row this one is compared with (`bare echo`, `echo, history off`...). */
  baseline?: string;
  baselineRps?: number;
  ratio?: number;
  /** For process and in-process rows: the measured value in `unit`. */
  value?: number;
  unit?: string;
  budgets?: Budget[];
  pass?: boolean;
  notes?: string[];
}

export interface Miss {
  id: string;
  target: string;
  scenario: string;
  budget: string;
  measured: number;
  message: string;
}

const fmtNum = (n: number, unit: string) => (unit === "x" ? n.toFixed(2) : unit === "MB" ? n.toFixed(0) : n < 10 ? n.toFixed(2) : n.toFixed(0));

export function budgetText(b: Budget): string {
  const what = b.metric === "ratio" ? "ratio" : b.metric === "p99" ? "p99" : "";
  const limit = b.unit === "x" ? b.limit.toFixed(2) : `${b.limit} ${b.unit}`;
  return `${what ? `${what} ` : ""}${b.op === ">=" ? ">=" : "<="} ${limit}`.trim();
}

function measuredOf(row: Row, b: Budget): number | undefined {
  return b.metric === "ratio" ? row.ratio : b.metric === "p99" ? row.p99Ms : row.value;
}

/** Sets `pass` on each row and lists what missed, by how much. */
export function checkBudgets(rows: Row[]): Miss[] {
  const misses: Miss[] = [];
  for (const row of rows) {
    const budgets = row.budgets ?? [];
    if (budgets.length === 0) continue;
    row.pass = true;
    for (const b of budgets) {
      const measured = measuredOf(row, b);
      if (measured === undefined || Number.isNaN(measured)) continue;
      const ok = b.op === ">=" ? measured >= b.limit : measured <= b.limit;
      if (ok) continue;
      row.pass = false;
      const gap = Math.abs(measured - b.limit);
      const pct = b.limit === 0 ? 0 : (gap / b.limit) * 100;
      const direction = b.op === ">=" ? "short by" : "over by";
      // A ratio that misses by less than the table's two decimals show (0.698 against 0.70) gets
      // a third, or the message would read "ratio 0.70 ... short by 0.00".
      const fine = b.unit === "x" && gap < 0.005;
      const num = (n: number) => (fine ? n.toFixed(3) : fmtNum(n, b.unit));
      misses.push({
        id: row.id,
        target: row.target,
        scenario: row.scenario,
        budget: budgetText(b),
        measured,
        message: `${row.scenario} [${row.target}]: ${b.metric === "ratio" ? "ratio" : b.metric === "p99" ? "p99" : row.unit === "MB" ? "RSS" : "time"} ${num(measured)}${b.unit === "x" ? "" : ` ${b.unit}`}, budget ${budgetText(b)}: ${direction} ${num(gap)}${b.unit === "x" ? "" : ` ${b.unit}`} (${pct.toFixed(fine ? 1 : 0)}%)`,
      });
    }
  }
  return misses;
}

const ms = (n: number | undefined) => (n === undefined ? "" : n < 1 ? `${(n * 1000).toFixed(0)} µs` : `${n.toFixed(2)} ms`);
const cpu = (r: Row) => (r.cpuUsPerRequest === undefined ? "" : `${r.cpuUsPerRequest.toFixed(0)} µs (${r.mainCpuUsPerRequest!.toFixed(0)})`);
const CPU_LEGEND =
  "CPU/req: the server's CPU time per request in the measured run, all threads (its main thread, which serves the requests, in parentheses), from /proc; " +
  "wrk's own CPU is not in it. What other threads take (history writer, records reader, JIT) competes with wrk and the main thread when cores are few.";
/** `main 45 µs, Worker 11, HeapHelper 1.6, …`: largest first, threads under 0.5 µs summed as `other`. */
export function byThread(us: Record<string, number>): string {
  const sorted = Object.entries(us).sort((a, b) => b[1] - a[1]);
  const shown = sorted.filter(([, v]) => v >= 0.5);
  const rest = sorted.filter(([, v]) => v < 0.5).reduce((sum, [, v]) => sum + v, 0);
  const fmt = (v: number) => (v >= 10 ? v.toFixed(0) : v.toFixed(1));
  const parts = shown.map(([k, v], i) => `${k} ${fmt(v)}${i === 0 ? " µs" : ""}`);
  if (rest >= 0.05) parts.push(`other ${fmt(rest)}`);
  return parts.join(", ");
}

const int = (n: number | undefined) => (n === undefined ? "" : Math.round(n).toLocaleString("en-US"));
const verdict = (row: Row) => (row.pass === undefined ? "" : row.pass ? "pass" : "**MISS**");

function allBudgets(row: Row): string {
  return (row.budgets ?? []).map(budgetText).join(", ");
}

export function markdown(rows: Row[], multipleTargets: boolean): string {
  const load = rows.filter((r) => r.kind === "load");
  const other = rows.filter((r) => r.kind !== "load");
  const lines: string[] = [];
  const name = (r: Row) => (multipleTargets ? `${r.scenario} [${r.target}]` : r.scenario);
  lines.push("| Scenario | req/s | p50 | p99 | CPU/req | Baseline | Baseline req/s | Ratio | Budget | Result |");
  lines.push("|---|--:|--:|--:|--:|---|--:|--:|---|---|");
  for (const r of load) {
    lines.push(
      `| ${name(r)} | ${int(r.rps)} | ${ms(r.p50Ms)} | ${ms(r.p99Ms)} | ${cpu(r)} | ${r.baseline ?? ""} | ${int(r.baselineRps)} | ${r.ratio === undefined ? "" : r.ratio.toFixed(2)} | ${allBudgets(r)} | ${verdict(r)} |`,
    );
  }
  if (load.some((r) => r.cpuUsPerRequest !== undefined)) lines.push("", CPU_LEGEND);
  const split = load.filter((r) => r.cpuByThread && Object.keys(r.cpuByThread).length > 0);
  if (split.length > 0) {
    lines.push("", "CPU per request by thread (`Worker`: the history writer and records reader threads; the rest are Bun's and JSC's own):");
    for (const r of split) lines.push(`- ${name(r)}: ${byThread(r.cpuByThread!)}`);
  }
  if (other.length > 0) {
    lines.push("");
    lines.push("| Measure | Value | Budget | Result |");
    lines.push("|---|--:|---|---|");
    for (const r of other) {
      const value =
        r.kind === "in-process" ? `median ${ms(r.p50Ms)}, p99 ${ms(r.p99Ms)}` : r.unit === "MB" ? `${r.value!.toFixed(0)} MB` : `${r.value!.toFixed(0)} ms`;
      lines.push(`| ${r.scenario} [${r.target}] | ${value} | ${allBudgets(r)} | ${verdict(r)} |`);
    }
  }
  const notes = rows.flatMap((r) => (r.notes ?? []).map((n) => `- ${name(r)}: ${n}`));
  if (notes.length > 0) lines.push("", ...notes);
  return lines.join("\n");
}
