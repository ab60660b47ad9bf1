import { describe, expect, test } from "bun:test";
import type { Row } from "./report";
import { historyCostRow, medianRun, roundOrder } from "./rounds";

/** A load run of `id` at `rps` req/s against a baseline of `baselineRps`. */
const run = (id: string, rps: number, baselineRps: number): Row => ({
  id,
  scenario: id,
  target: "source",
  kind: "load",
  rps,
  p50Ms: 1,
  p99Ms: 3,
  baseline: "bare",
  baselineRps,
  ratio: rps / baselineRps,
});

describe("medianRun", () => {
  test("keeps the round with the median ratio and lists every round's", () => {
    const row = medianRun([run("echo", 30, 60), run("echo", 20, 60), run("echo", 40, 60)]);
    expect(row.rps).toBe(30);
    expect(row.notes).toEqual(["median of 3 rounds by ratio (0.33, 0.50, 0.67)"]);
    expect(medianRun([run("echo", 30, 60)]).notes).toBeUndefined();
  });
});

describe("historyCostRow", () => {
  test("pairs the two echoes of each round and keeps the median pair, whatever their baselines did", () => {
    // Round 2's bare runs drifted apart (80k around the echo, 50k around the one without history):
    // its ratio of ratios would say 0.63, where the two echoes served the same.
    const on = [run("echo", 30, 60), run("echo", 33, 80), run("echo", 28, 60)];
    const off = [run("echo_nohist", 40, 60), run("echo_nohist", 33, 50), run("echo_nohist", 32, 60)];
    const row = historyCostRow("source", on, off)!;
    expect(row.ratio).toBeCloseTo(28 / 32, 10);
    expect(row.rps).toBe(28);
    expect(row.baselineRps).toBe(32);
    expect(row.budgets).toEqual([{ metric: "ratio", op: ">=", limit: 0.85, unit: "x" }]);
    expect(row.notes![0]).toContain("median of 3 rounds (0.75, 1.00, 0.88)");
    // The ratio of ratios is still given, from each echo's median round by ratio.
    expect(row.notes![0]).toContain("0.47 / 0.66 = 0.71");
  });

  test("one round: the two echoes' req/s divided", () => {
    const row = historyCostRow("binary", [run("echo", 30, 70)], [run("echo_nohist", 36, 50)])!;
    expect(row.ratio).toBeCloseTo(30 / 36, 10);
    expect(row.target).toBe("binary");
    expect(row.notes![0]).not.toContain("median of");
  });

  test("no row without both echoes in every round", () => {
    expect(historyCostRow("source", [run("echo", 30, 60)], undefined)).toBeUndefined();
    expect(historyCostRow("source", undefined, [run("echo_nohist", 30, 60)])).toBeUndefined();
    expect(historyCostRow("source", [run("echo", 30, 60)], [])).toBeUndefined();
  });
});

describe("roundOrder", () => {
  const scenarios = ["echo", "echo_nohist", "reject"].map((id) => ({ id }));
  const ids = (round: number) => roundOrder(scenarios, round).map((s) => s.id);

  test("every other round runs the echo without history first, the rest in place", () => {
    expect(ids(0)).toEqual(["echo", "echo_nohist", "reject"]);
    expect(ids(1)).toEqual(["echo_nohist", "echo", "reject"]);
    expect(ids(2)).toEqual(["echo", "echo_nohist", "reject"]);
    expect(scenarios.map((s) => s.id)).toEqual(["echo", "echo_nohist", "reject"]);
  });

  test("without both echoes nothing moves", () => {
    const alone = [{ id: "reject" }, { id: "echo" }];
    expect(roundOrder(alone, 1)).toEqual(alone);
  });
});
