/**
 * @module modules/executions/types
 * The shape of one recorded invocation (DESIGN.md, Custom endpoints: "Every invocation is
 * recorded"). The engine builds an ExecutionRecord per call and hands it to the recorder; the
 * store persists it as is, after the recorder has redacted and truncated it.
 */

import type { StepRecord } from "../../engine/types";

/** One action of a pipeline as it ran (or did not); the engine defines it. */
export type { StepRecord };

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
