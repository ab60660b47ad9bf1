/**
 * @module modules/executions/schemas
 * TypeBox models of the execution history API and the row -> view mapping (snake_case, ISO times).
 */
import { t } from "elysia";
import type { ExecutionRecord } from "./types";

export const ExecutionListQuery = t.Object({
  status: t.Optional(t.Union([t.Literal("completed"), t.Literal("failed")])),
  from: t.Optional(t.String({ maxLength: 40, description: "Started at or after: ISO 8601 time or unix milliseconds" })),
  to: t.Optional(t.String({ maxLength: 40, description: "Started at or before: ISO 8601 time or unix milliseconds" })),
  cursor: t.Optional(t.String({ maxLength: 200, description: "next_cursor of the previous page" })),
  limit: t.Optional(t.Integer({ minimum: 1, maximum: 200, default: 50 })),
});
export type ExecutionListQuery = typeof ExecutionListQuery.static;

export const StepView = t.Object({
  index: t.Integer(),
  type: t.String(),
  name: t.Union([t.String(), t.Null()]),
  status: t.String({ description: "completed, failed or skipped" }),
  duration_ms: t.Number(),
  result: t.Optional(
    t.Unknown({ description: "The step's result with credentials redacted; above 4 KiB, {truncated, preview, bytes}" }),
  ),
  error: t.Union([t.Object({ code: t.String(), message: t.String() }), t.Null()]),
});

export const ExecutionView = t.Object({
  id: t.String(),
  account_id: t.String(),
  endpoint_id: t.Union([t.String(), t.Null()]),
  kind: t.String(),
  status: t.String({ description: "completed or failed" }),
  http_status: t.Integer(),
  error_code: t.Union([t.String(), t.Null()]),
  error_message: t.Union([t.String(), t.Null()]),
  method: t.String(),
  path: t.String(),
  client_ip: t.Union([t.String(), t.Null()]),
  key_prefix: t.Union([t.String(), t.Null()]),
  started_at: t.String({ format: "date-time" }),
  duration_ms: t.Number(),
  steps: t.Array(StepView),
});
export type ExecutionView = typeof ExecutionView.static;

export const CursorMeta = t.Object({
  next_cursor: t.Union([t.String(), t.Null()]),
  has_more: t.Boolean(),
});

/** An execution as the API shows it. */
export function executionView(rec: ExecutionRecord): ExecutionView {
  return {
    id: rec.id,
    account_id: rec.account_id,
    endpoint_id: rec.endpoint_id,
    kind: rec.kind,
    status: rec.status,
    http_status: rec.http_status,
    error_code: rec.error_code ?? null,
    error_message: rec.error_message ?? null,
    method: rec.method,
    path: rec.path,
    client_ip: rec.client_ip ?? null,
    key_prefix: rec.key_prefix ?? null,
    started_at: new Date(rec.started_at).toISOString(),
    duration_ms: rec.duration_ms,
    steps: rec.steps.map((step) => ({
      index: step.index,
      type: step.type,
      name: step.name ?? null,
      status: step.status,
      duration_ms: step.duration_ms,
      ...(step.result === undefined ? {} : { result: step.result }),
      error: step.error ?? null,
    })),
  };
}
