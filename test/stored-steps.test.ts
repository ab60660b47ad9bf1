import { describe, expect, test } from "bun:test";
import { runTestPipeline, testAction } from "../src/engine/testing";
import { storedAsIs } from "../src/modules/executions/stored-steps";
import { ActionError } from "../src/plugin-api";

describe("steps as the engine records them", () => {
  test("are in the key order the history stores, so clean ones are stored as their JSON text", async () => {
    const outcome = await runTestPipeline([
      testAction("transform", () => ({ rows: [{ id: "rec_1", total: 3 }] }), undefined, "shape"),
      testAction("query_records", () => {
        throw new ActionError("NOT_FOUND", "no such order");
      }, undefined, "fail it"),
    ]);
    expect(outcome.steps.map((s) => Object.keys(s))).toEqual([
      ["index", "type", "status", "duration_ms", "name", "result"],
      ["index", "type", "status", "duration_ms", "name", "error"],
    ]);
    const text = JSON.stringify(outcome.steps);
    expect(storedAsIs(text, JSON.parse(text), [], 4096)).toBe(true);
  });
});
