/**
 * @module engine/types
 * What a pipeline run produces: one record per step and an outcome the caller turns into an
 * HTTP answer and an execution record.
 */

/** One action of a pipeline as it ran (or did not). */
export interface StepRecord {
  /** Position in the endpoint's `actions`, from 0. */
  index: number;
  /** The action type, e.g. `transform`. */
  type: string;
  name?: string;
  status: "completed" | "failed" | "skipped";
  duration_ms: number;
  /** The step's result; the history stores it redacted and truncated. */
  result?: unknown;
  error?: { code: string; message: string };
}

export interface PipelineError {
  /** An envelope code (TIMEOUT, UPSTREAM_ERROR, VALIDATION_ERROR, ...). */
  code: string;
  /** Safe to show the caller. */
  message: string;
  status: number;
  /** Index of the failing action, when one failed. */
  action_index?: number;
  details?: Record<string, unknown>;
}

export interface PipelineOutcome {
  status: "completed" | "failed";
  results: unknown[];
  steps: StepRecord[];
  error?: PipelineError;
  /** The template data after the last step: what the response template renders with. */
  data: TemplateData;
}

/** Variables templates and conditions see (DESIGN.md, template variables). */
export interface TemplateData {
  request: Record<string, unknown>;
  auth: Record<string, unknown>;
  actions: { result: unknown }[];
  now: string;
  credentials: Record<string, string>;
  [extra: string]: unknown;
}
