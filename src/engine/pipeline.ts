/**
 * @module engine/pipeline
 * Runs an endpoint's actions in order. Each action's config templates are rendered with the
 * request and the earlier results, checked against the action's schema, and handed to its
 * `run`; the result becomes `{{actions[N].result}}` for the next ones. One AbortSignal carries the
 * endpoint timeout and the client's disconnect (engine/run-guard): when it fires the run ends at
 * once with TIMEOUT, whether or not the action notices.
 */
import type { ActionContext, ActionLogger, ActionRequest, HttpCapability, RecordsCapability } from "../plugin-api";
import { renderTemplate } from "../templates";
import { ActionError } from "../plugin-api";
import type { Principal } from "../principal";
import type { PipelineError, PipelineOutcome, StepRecord, TemplateData } from "./types";
import { Aborted, createRunGuard, type RunGuard } from "./run-guard";

/** Deepest a pipeline may start another pipeline (DESIGN.md). */
export const MAX_DEPTH = 5;
export const MAX_ACTIONS = 50;
export const MAX_TIMEOUT_MS = 30_000;

/** An action ready to run: its plugin's `run` and its config compiled once at load time. */
export interface PipelineAction {
  type: string;
  name?: string;
  run: (ctx: ActionContext, config: any) => unknown;
  /** Renders the config templates for this request. */
  render: (data: TemplateData) => unknown;
  /** Problems of the rendered config (empty when valid). */
  check: (config: unknown) => { path: string; message: string }[];
}

export interface PipelineRun {
  actions: readonly PipelineAction[];
  request: ActionRequest;
  auth: Principal | null;
  data: TemplateData;
  executionId: string;
  depth?: number;
  timeoutMs: number;
  /** The client's signal: a disconnect stops the run too. */
  signal?: AbortSignal;
  log: ActionLogger;
  /** Builds the outbound HTTP capability bound to the run's signal. */
  http: (signal: AbortSignal) => HttpCapability;
  /**
   * Builds the records capability; `renderLiteral` fills a filter literal's templates with the
   * run's data as it stands when the filter runs (earlier results included).
   */
  records: (renderLiteral: (raw: string) => unknown) => RecordsCapability;
}

const STATUS_OF: Record<string, number> = {
  VALIDATION_ERROR: 400,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  INTERNAL_ERROR: 500,
  UPSTREAM_ERROR: 502,
  TIMEOUT: 504,
};

export async function runPipeline(run: PipelineRun): Promise<PipelineOutcome> {
  const depth = run.depth ?? 1;
  const steps: StepRecord[] = [];
  const results: unknown[] = [];
  const fail = (error: PipelineError): PipelineOutcome => ({ status: "failed", results, steps, error, data: run.data });
  if (depth > MAX_DEPTH) {
    return fail({ code: "INTERNAL_ERROR", status: 500, message: `Pipelines may nest at most ${MAX_DEPTH} deep` });
  }
  if (run.actions.length > MAX_ACTIONS) {
    return fail({ code: "INTERNAL_ERROR", status: 500, message: `A pipeline may have at most ${MAX_ACTIONS} actions` });
  }
  const timeoutMs = Math.min(run.timeoutMs, MAX_TIMEOUT_MS);
  const guard = createRunGuard(timeoutMs, run.signal);
  try {
    return await runActions(run, depth, steps, results, fail, guard, timeoutMs);
  } finally {
    guard.dispose();
  }
}

async function runActions(
  run: PipelineRun,
  depth: number,
  steps: StepRecord[],
  results: unknown[],
  fail: (error: PipelineError) => PipelineOutcome,
  guard: RunGuard,
  timeoutMs: number,
): Promise<PipelineOutcome> {
  // Capabilities are built on first use: most pipelines never make an outbound call.
  let http: HttpCapability | undefined;
  let records: RecordsCapability | undefined;
  const timedOut = (index: number): PipelineError => ({
    code: "TIMEOUT",
    status: 504,
    message: `The endpoint did not finish within ${timeoutMs} ms`,
    action_index: index,
  });

  for (let index = 0; index < run.actions.length; index++) {
    const action = run.actions[index]!;
    const step: StepRecord = { index, type: action.type, ...(action.name ? { name: action.name } : {}), status: "completed", duration_ms: 0 };
    steps.push(step);
    const started = performance.now();
    const finish = () => (step.duration_ms = Math.round((performance.now() - started) * 1000) / 1000);
    if (guard.expired()) {
      step.status = "skipped";
      return fail(timedOut(index));
    }
    try {
      const config = action.render(run.data);
      const problems = action.check(config);
      if (problems.length > 0) {
        throw new ActionError("VALIDATION_ERROR", `Action ${index} (${action.type}): ${problems[0]!.path} ${problems[0]!.message}`, {
          errors: problems.slice(0, 10),
        });
      }
      const ctx: ActionContext = {
        request: run.request,
        auth: run.auth,
        results,
        get signal() {
          return guard.signal;
        },
        executionId: run.executionId,
        depth,
        log: run.log,
        get http() {
          return (http ??= run.http(guard.signal));
        },
        get records() {
          return (records ??= run.records((raw) => renderTemplate(raw, run.data)));
        },
      };
      let result = action.run(ctx, config);
      // Only a pending result needs the deadline raced against it. A plain value, or a promise that
      // has already settled (the records capability answers synchronously inside one), is here.
      if (isThenable(result)) {
        const done = settled(result);
        result = done ? done.value : await guard.race(result);
      }
      finish();
      step.result = result;
      results.push(result);
      run.data.actions.push({ result });
    } catch (error) {
      finish();
      step.status = "failed";
      if (error instanceof Aborted || (guard.expired() && isAbortError(error))) {
        step.error = { code: "TIMEOUT", message: "aborted: the endpoint timeout passed or the client went away" };
        return fail(timedOut(index));
      }
      const failure = describe(error, index, action.type);
      step.error = { code: failure.code, message: failure.internalMessage };
      if (failure.code === "INTERNAL_ERROR") run.log.error("action failed", { execution_id: run.executionId, index, type: action.type, error: failure.internalMessage });
      return fail({ code: failure.code, status: STATUS_OF[failure.code] ?? 500, message: failure.message, action_index: index, details: failure.details });
    }
  }
  return { status: "completed", results, steps, data: run.data };
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && (typeof value === "object" || typeof value === "function") && typeof (value as PromiseLike<unknown>).then === "function";
}

/** The outcome of a promise that has already settled, as a box; undefined while it is pending. */
function settled(value: PromiseLike<unknown>): { value: unknown } | undefined {
  if (!(value instanceof Promise)) return undefined;
  const status = Bun.peek.status(value);
  if (status === "fulfilled") return { value: Bun.peek(value) };
  if (status === "rejected") {
    value.catch(() => {}); // handled here: the error is thrown into the step below
    throw Bun.peek(value);
  }
  return undefined;
}

function isAbortError(error: unknown): boolean {
  return error instanceof Error && (error.name === "AbortError" || error.name === "TimeoutError");
}

/** What the caller is told, and what the history keeps, about a failed action. */
function describe(error: unknown, index: number, type: string) {
  if (error instanceof ActionError) {
    return { code: error.code, message: error.message, internalMessage: error.message, details: { action_index: index, type, ...error.details } };
  }
  // An unexpected throw may carry internals (SQL, paths): the caller gets a generic line, the
  // account's execution history and the server log get the message.
  const internalMessage = error instanceof Error ? error.message.slice(0, 1000) : String(error).slice(0, 1000);
  return { code: "INTERNAL_ERROR", message: `Action ${index} (${type}) failed`, internalMessage, details: { action_index: index, type } };
}
