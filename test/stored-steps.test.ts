import { describe, expect, test } from "bun:test";
import { runPipeline, type PipelineAction } from "../src/engine/pipeline";
import type { TemplateData } from "../src/engine/types";
import { storedAsIs } from "../src/modules/executions/stored-steps";
import { ActionError } from "../src/plugin-api";

const named = (type: string, name: string, run: PipelineAction["run"]): PipelineAction => ({ type, name, run, render: () => ({}), check: () => [] });

describe("steps as the engine records them", () => {
  test("are in the key order the history stores, so clean ones are stored as their JSON text", async () => {
    const data: TemplateData = { request: {}, auth: {}, actions: [], now: new Date().toISOString(), credentials: {} };
    const outcome = await runPipeline({
      actions: [
        named("transform", "shape", () => ({ rows: [{ id: "rec_1", total: 3 }] })),
        named("query_records", "fail it", () => {
          throw new ActionError("NOT_FOUND", "no such order");
        }),
      ],
      request: { method: "GET", path: "/", params: {}, query: {}, headers: {}, body: null },
      auth: null,
      data,
      executionId: "exe_test",
      accountId: "acc_test",
      timeoutMs: 1000,
      log: { info() {}, warn() {}, error() {} },
      http: () => ({ fetch: async () => ({ status: 0, headers: {}, body: null }) }),
      records: () => ({}) as never,
    });
    expect(outcome.steps.map((s) => Object.keys(s))).toEqual([
      ["index", "type", "status", "duration_ms", "name", "result"],
      ["index", "type", "status", "duration_ms", "name", "error"],
    ]);
    const text = JSON.stringify(outcome.steps);
    expect(storedAsIs(text, JSON.parse(text), [], 4096)).toBe(true);
  });
});
