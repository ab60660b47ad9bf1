/**
 * @module modules/executions/types
 * The shape of one recorded invocation (DESIGN.md, Custom endpoints: "Every invocation is
 * recorded"). The engine builds an ExecutionRecord per call and hands it to the recorder; the
 * store persists it as is, after the recorder has redacted and truncated it.
 */

/** One action of a pipeline as it ran (or did not). */
export interface StepRecord {
  /** Position in the endpoint's `actions`, from 0. */
  index: number;
  /** The action type, e.g. `create_record`. */
  type: string;
  name?: string;
  status: "completed" | "failed" | "skipped";
  duration_ms: number;
  /** The step's result; stored redacted and truncated (see redact.ts). */
  result?: unknown;
  error?: { code: string; message: string };
}

/** One invocation of a custom endpoint. Times are unix milliseconds. */
export interface ExecutionRecord {
  id: string;
  account_id: string;
  /** Null when the call matched no endpoint yet still deserves a trace. */
  endpoint_id: string | null;
  kind: "endpoint";
  status: "completed" | "failed";
  http_status: number;
  error_code?: string;
  error_message?: string;
  method: string;
  path: string;
  client_ip?: string;
  /** The visible prefix of the API key used, never the key. */
  key_prefix?: string;
  /** Unix milliseconds. */
  started_at: number;
  duration_ms: number;
  steps: StepRecord[];
}

/** Statuses an execution can be filtered on. */
export type ExecutionStatus = ExecutionRecord["status"];
