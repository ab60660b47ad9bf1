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
  /** The account the run belongs to (whose records `ctx.records` reaches). */
  accountId: string;
  depth?: number;
  timeoutMs: number;
  /**
   * What carries the client's signal (the request): a disconnect stops the run too. Its `signal`
   * is read only when the run arms its guard for a pending action; on a server, reading a
   * request's signal makes an AbortSignal wired to the connection, a cost most runs never need.
   */
  client?: { readonly signal: AbortSignal };
  log: ActionLogger;
  /** Builds the outbound HTTP capability bound to the run's signal. */
  http: (signal: AbortSignal) => HttpCapability;
  /**
   * Builds the records capability; `renderLiteral` fills a filter literal's templates with the
   * run's data as it stands when the filter runs (earlier results included).
   */
  records: (accountId: string, renderLiteral: (raw: string) => unknown) => RecordsCapability;
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

/**
 * Runs the actions in order. The outcome comes back synchronously while every action answers
 * synchronously (or with an already-settled promise): most pipelines then cost no promise at all.
 * From the first pending action on, it is a promise. Callers take both (`instanceof Promise`).
 */
export function runPipeline(run: PipelineRun): PipelineOutcome | Promise<PipelineOutcome> {
  const depth = run.depth ?? 1;
  const steps: StepRecord[] = [];
  const results: unknown[] = [];
  if (depth > MAX_DEPTH) {
    return failed(run, results, steps, { code: "INTERNAL_ERROR", status: 500, message: `Pipelines may nest at most ${MAX_DEPTH} deep` });
  }
  if (run.actions.length > MAX_ACTIONS) {
    return failed(run, results, steps, { code: "INTERNAL_ERROR", status: 500, message: `A pipeline may have at most ${MAX_ACTIONS} actions` });
  }
  const timeoutMs = Math.min(run.timeoutMs, MAX_TIMEOUT_MS);
  const state: RunState = { run, depth, steps, results, guard: createRunGuard(timeoutMs, run.client), timeoutMs };
  let outcome: PipelineOutcome | Promise<PipelineOutcome>;
  try {
    outcome = runFrom(state, 0);
  } catch (error) {
    state.guard.dispose();
    throw error;
  }
  if (outcome instanceof Promise) return outcome.finally(() => state.guard.dispose());
  state.guard.dispose();
  return outcome;
}

/** The failed outcome of a run (functions, not a closure per run). */
function failed(run: PipelineRun, results: unknown[], steps: StepRecord[], error: PipelineError): PipelineOutcome {
  return { status: "failed", results, steps, error, data: run.data };
}

function fail(state: RunState, error: PipelineError): PipelineOutcome {
  return failed(state.run, state.results, state.steps, error);
}

/** One run as it goes. */
interface RunState {
  run: PipelineRun;
  depth: number;
  steps: StepRecord[];
  results: unknown[];
  guard: RunGuard;
  timeoutMs: number;
  http?: HttpCapability;
  records?: RecordsCapability;
}

/** Runs the actions from `first` on; goes asynchronous only at an action that is really pending. */
function runFrom(state: RunState, first: number): PipelineOutcome | Promise<PipelineOutcome> {
  const { run, guard } = state;
  for (let index = first; index < run.actions.length; index++) {
    const action = run.actions[index]!;
    // In the order the history stores a step's keys (sanitize.ts), so its JSON can be stored as it is.
    const step: StepRecord = { index, type: action.type, status: "completed", duration_ms: 0 };
    if (action.name) step.name = action.name;
    state.steps.push(step);
    const started = performance.now();
    if (guard.expired()) {
      step.status = "skipped";
      return fail(state, timedOut(state, index));
    }
    let result: unknown;
    try {
      const config = action.render(run.data);
      const problems = action.check(config);
      if (problems.length > 0) {
        throw new ActionError("VALIDATION_ERROR", `Action ${index} (${action.type}): ${problems[0]!.path} ${problems[0]!.message}`, {
          errors: problems.slice(0, 10),
        });
      }
      result = action.run(new RunContext(state), config);
      // Only a pending result needs the deadline raced against it. A plain value, or a promise that
      // has already settled (the records capability answers synchronously inside one), is here.
      if (isThenable(result)) {
        const done = settled(result);
        if (!done) {
          return guard.race(result).then(
            (value) => {
              complete(state, step, started, value);
              return runFrom(state, index + 1);
            },
            (error) => failStep(state, step, started, index, error),
          );
        }
        result = done.value;
      }
    } catch (error) {
      return failStep(state, step, started, index, error);
    }
    complete(state, step, started, result);
  }
  return { status: "completed", results: state.results, steps: state.steps, data: run.data };
}

/** What an action sees: a class with its getters on the prototype, so each action run costs one object. */
class RunContext implements ActionContext {
  readonly #state: RunState;
  constructor(state: RunState) {
    this.#state = state;
  }
  get request() {
    return this.#state.run.request;
  }
  get auth() {
    return this.#state.run.auth;
  }
  get results() {
    return this.#state.results;
  }
  get signal() {
    return this.#state.guard.signal;
  }
  get executionId() {
    return this.#state.run.executionId;
  }
  get depth() {
    return this.#state.depth;
  }
  get log() {
    return this.#state.run.log;
  }
  // Capabilities are built on first use: most pipelines never make an outbound call.
  get http() {
    const state = this.#state;
    return (state.http ??= state.run.http(state.guard.signal));
  }
  get records() {
    const state = this.#state;
    return (state.records ??= state.run.records(state.run.accountId, (raw) => renderTemplate(raw, state.run.data)));
  }
}

const elapsedMs = (started: number) => Math.round((performance.now() - started) * 1000) / 1000;

function complete(state: RunState, step: StepRecord, started: number, result: unknown) {
  step.duration_ms = elapsedMs(started);
  step.result = result;
  state.results.push(result);
  state.run.data.actions.push({ result });
}

function failStep(state: RunState, step: StepRecord, started: number, index: number, error: unknown): PipelineOutcome {
  step.duration_ms = elapsedMs(started);
  step.status = "failed";
  const { run, guard } = state;
  const action = run.actions[index]!;
  if (error instanceof Aborted || (guard.expired() && isAbortError(error))) {
    step.error = { code: "TIMEOUT", message: "aborted: the endpoint timeout passed or the client went away" };
    return fail(state, timedOut(state, index));
  }
  const failure = describe(error, index, action.type);
  step.error = { code: failure.code, message: failure.internalMessage };
  if (failure.code === "INTERNAL_ERROR") run.log.error("action failed", { execution_id: run.executionId, index, type: action.type, error: failure.internalMessage });
  return fail(state, { code: failure.code, status: STATUS_OF[failure.code] ?? 500, message: failure.message, action_index: index, details: failure.details });
}

const timedOut = (state: RunState, index: number): PipelineError => ({
  code: "TIMEOUT",
  status: 504,
  message: `The endpoint did not finish within ${state.timeoutMs} ms`,
  action_index: index,
});

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
