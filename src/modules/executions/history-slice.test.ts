import { describe, expect, test } from "bun:test";
import { decodeSlice, encodeSlice } from "./history-slice";
import { REDACTED } from "./redact";
import { makeRecord } from "./testing";

describe("history slices", () => {
  test("records go through as their head and their steps' JSON, and come back whole", () => {
    const a = makeRecord({ path: "/a\nb", error_message: "line\nbreak \u2028 é😀" });
    const b = makeRecord({ steps: [{ index: 0, type: "transform", status: "completed", duration_ms: 1, result: { text: "x\ny", n: [1, { deep: true }] } }] });
    const text = encodeSlice([{ rec: a, secrets: ["s3cret-value"] }, { rec: b, secrets: [] }], 4096);
    const back = decodeSlice(text);
    expect(back.map((p) => ({ ...p.rec, steps: JSON.parse(p.steps) }))).toEqual([a, b]);
    expect(back.map((p) => p.secrets)).toEqual([["s3cret-value"], []]);
    expect(back[1]!.steps).toBe(JSON.stringify(b.steps));
    expect(decodeSlice("")).toEqual([]);
  });

  test("the records handed over are left as they were", () => {
    const rec = makeRecord();
    const steps = rec.steps;
    const before = JSON.stringify(rec);
    encodeSlice([{ rec, secrets: [] }], 4096);
    expect(rec.steps).toBe(steps);
    expect(JSON.stringify(rec)).toBe(before);
  });

  test("steps JSON cannot hold (a bigint, a cycle) are sanitized on the way, the credential hidden", () => {
    const cycle: Record<string, unknown> = { said: "key s3cret-value" };
    cycle.self = cycle;
    const rec = makeRecord({ steps: [{ index: 0, type: "t", status: "completed", duration_ms: 0, result: { big: 10n, cycle } }] });
    const [back] = decodeSlice(encodeSlice([{ rec, secrets: ["s3cret-value"] }], 4096));
    expect(JSON.parse(back!.steps)[0].result).toEqual({ big: "10", cycle: { said: `key ${REDACTED}`, self: "[Circular]" } });
    expect(rec.steps[0]!.result).toEqual({ big: 10n, cycle });
  });

  test("text that is not a slice is refused", () => {
    expect(() => decodeSlice('{"rec":{}}')).toThrow("expected two per record");
    expect(() => decodeSlice("not json\n[]")).toThrow();
  });
});
