/**
 * How a bench run's rounds become its rows: the median round of each scenario, and budget 5 from
 * the two echoes of each round. Pure, so it is tested apart from the load runs (rounds.test.ts).
 */
import type { Row } from "./report";

/** Of one scenario's rounds, the run with the median ratio, saying what the others measured. */
export function medianRun(candidates: Row[]): Row {
  if (candidates.length === 1) return candidates[0]!;
  const sorted = [...candidates].sort((a, b) => a.ratio! - b.ratio!);
  const median = sorted[Math.floor(sorted.length / 2)]!;
  const note = `median of ${candidates.length} rounds by ratio (${sorted.map((r) => r.ratio!.toFixed(2)).join(", ")})`;
  return { ...median, notes: [...(median.notes ?? []), note] };
}

/**
 * Budget 5 from the two echoes of each round: history on's req/s over history off's, the runs of
 * one round being next to each other (one bare run between them), and the median over rounds.
 * Dividing their two ratios instead, each against the bare runs around it, adds the bare server's
 * drift, which is larger than the product's: the bare echo needs both cores (the server and wrk),
 * the product's echo mostly its request thread. In one run two echoes at 32.6k and 32.7k req/s
 * came out at 0.76, their bare runs having been 77.6k and 59.0k. The ratio of ratios is still
 * printed in the notes.
 */
export function historyCostRow(target: string, on: Row[] | undefined, off: Row[] | undefined): Row | undefined {
  if (!on || !off || on.length !== off.length) return undefined;
  const pairs = on.map((run, i) => ({ on: run, off: off[i]!, ratio: run.rps! / off[i]!.rps! }));
  const sorted = [...pairs].sort((a, b) => a.ratio - b.ratio);
  const median = sorted[Math.floor(sorted.length / 2)]!;
  const onMedian = medianRun(on);
  const offMedian = medianRun(off);
  const rounds = pairs.length > 1 ? `; median of ${pairs.length} rounds (${pairs.map((r) => r.ratio.toFixed(2)).join(", ")})` : "";
  return {
    id: "history",
    scenario: "5. history cost: echo history on / off",
    target,
    kind: "load",
    rps: median.on.rps,
    p50Ms: median.on.p50Ms,
    p99Ms: median.on.p99Ms,
    baseline: "echo, history off",
    baselineRps: median.off.rps,
    ratio: median.ratio,
    budgets: [{ metric: "ratio", op: ">=", limit: 0.85, unit: "x" }],
    notes: [
      `history on's req/s over history off's in the same round${rounds}; each against the bare echo runs around it instead: ${onMedian.ratio!.toFixed(2)} / ${offMedian.ratio!.toFixed(2)} = ${(onMedian.ratio! / offMedian.ratio!).toFixed(2)}`,
    ],
  };
}

/**
 * The scenarios in the order of a round: every other round runs the echo without history before
 * the one with it, so a machine speeding up or slowing down through a run does not favour either
 * side of budget 5.
 */
export function roundOrder<T extends { id: string }>(scenarios: T[], round: number): T[] {
  const on = scenarios.findIndex((s) => s.id === "echo");
  const off = scenarios.findIndex((s) => s.id === "echo_nohist");
  if (round % 2 === 0 || on < 0 || off < 0) return scenarios;
  const swapped = [...scenarios];
  swapped[on] = scenarios[off]!;
  swapped[off] = scenarios[on]!;
  return swapped;
}
