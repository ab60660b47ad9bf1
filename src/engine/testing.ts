/**
 * @module engine/testing
 * Fixtures for tests of the pipeline: actions from plain functions, and a run with no request,
 * no outbound HTTP and no records unless a test gives them.
 */
import type { HttpCapability } from "../plugin-api";
import { runPipeline, type PipelineAction, type PipelineRun } from "./pipeline";
import type { TemplateData } from "./types";

const noHttp: HttpCapability = { fetch: async () => ({ status: 0, headers: {}, body: null }) };
const silent = { info() {}, warn() {}, error() {} };

/** An action that runs `run`, with a config rendered by `render` and always valid. */
export function testAction(type: string, run: PipelineAction["run"], render: PipelineAction["render"] = () => ({}), name?: string): PipelineAction {
  return { type, ...(name === undefined ? {} : { name }), run, render, check: () => [] };
}

/** Runs `actions` on an empty GET / request, with `extra` over the defaults. */
export function runTestPipeline(actions: PipelineAction[], extra: Partial<PipelineRun> = {}) {
  const data: TemplateData = { request: {}, auth: {}, actions: [], now: new Date().toISOString(), credentials: {} };
  return runPipeline({
    actions,
    request: { method: "GET", path: "/", params: {}, query: {}, headers: {}, body: null },
    auth: null,
    data,
    executionId: "exe_test",
    accountId: "acc_test",
    timeoutMs: 1000,
    log: silent,
    http: () => noHttp,
    records: () => ({}) as never,
    ...extra,
  });
}
