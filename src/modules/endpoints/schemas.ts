/**
 * @module modules/endpoints/schemas
 * TypeBox models of custom endpoint definitions (DESIGN.md, Custom endpoints).
 */
import { t } from "elysia";

export const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"] as const;
export type Method = (typeof METHODS)[number];

const MethodName = t.Union(METHODS.map((m) => t.Literal(m)));

export const ActionInput = t.Object(
  {
    type: t.String({ minLength: 1, maxLength: 64 }),
    config: t.Optional(t.Record(t.String(), t.Unknown())),
    name: t.Optional(t.String({ maxLength: 100 })),
  },
  { additionalProperties: false },
);

export const ResponseTemplate = t.Object(
  {
    // Checked when saved (validate.ts), so that a wrong one is a 400 naming response_template.status.
    status: t.Optional(t.Any({ description: "A status code (200-599), or a template that renders one" })),
    body: t.Optional(t.Unknown()),
    headers: t.Optional(t.Record(t.String({ maxLength: 100 }), t.String({ maxLength: 4000 }))),
  },
  { additionalProperties: false },
);

export const Cors = t.Object(
  {
    origins: t.Array(t.String({ minLength: 1, maxLength: 300 }), { minItems: 1, maxItems: 50, description: '"*" or exact origins' }),
    methods: t.Optional(t.Array(MethodName, { maxItems: 5 })),
    headers: t.Optional(t.Array(t.String({ pattern: "^[A-Za-z0-9-]{1,100}$" }), { maxItems: 50 })),
    credentials: t.Optional(t.Boolean()),
    max_age: t.Optional(t.Integer({ minimum: 0, maximum: 86_400 })),
  },
  { additionalProperties: false },
);

export const Signature = t.Object(
  {
    scheme: t.Union([t.Literal("stripe"), t.Literal("github"), t.Literal("standard"), t.Literal("hmac_sha256")]),
    credential: t.String({ minLength: 1, maxLength: 100 }),
    tolerance_seconds: t.Optional(t.Integer({ minimum: 1, maximum: 86_400 })),
  },
  { additionalProperties: false },
);

const fields = {
  name: t.String({ minLength: 1, maxLength: 200 }),
  description: t.Optional(t.Union([t.String({ maxLength: 2000 }), t.Null()])),
  path: t.String({ minLength: 1, maxLength: 500, description: "Literal and :param segments, e.g. /orders/:id" }),
  method: MethodName,
  auth_required: t.Optional(t.Boolean({ default: true })),
  condition: t.Optional(t.Union([t.String({ maxLength: 4096 }), t.Null()])),
  actions: t.Array(ActionInput, { maxItems: 50 }),
  response_template: t.Optional(t.Union([ResponseTemplate, t.Null()])),
  enabled: t.Optional(t.Boolean()),
  cost: t.Optional(t.Integer({ minimum: 1, maximum: 10 })),
  timeout_ms: t.Optional(t.Integer({ minimum: 1, maximum: 30_000 })),
  body_schema: t.Optional(t.Union([t.Record(t.String(), t.Unknown()), t.Null()])),
  signature: t.Optional(t.Union([Signature, t.Null()])),
  cors: t.Optional(t.Union([Cors, t.Null()])),
  body_limit_bytes: t.Optional(t.Union([t.Integer({ minimum: 1 }), t.Null()])),
  history: t.Optional(t.Union([t.Literal("all"), t.Literal("errors"), t.Literal("none")])),
};

export const EndpointCreate = t.Object(fields, { additionalProperties: false });
export const EndpointUpdate = t.Partial(t.Object(fields), { additionalProperties: false, minProperties: 1 });
export type EndpointCreate = typeof EndpointCreate.static;
export type EndpointUpdate = typeof EndpointUpdate.static;

export const EndpointView = t.Object({
  id: t.String(),
  name: t.String(),
  description: t.Union([t.String(), t.Null()]),
  path: t.String(),
  method: t.String(),
  url: t.String({ description: "Where to call it, relative to the instance" }),
  auth_required: t.Boolean(),
  condition: t.Union([t.String(), t.Null()]),
  actions: t.Array(t.Unknown()),
  response_template: t.Unknown(),
  enabled: t.Boolean(),
  cost: t.Integer(),
  timeout_ms: t.Integer(),
  body_schema: t.Unknown(),
  signature: t.Unknown(),
  cors: t.Unknown(),
  body_limit_bytes: t.Union([t.Integer(), t.Null()]),
  history: t.String(),
  created_at: t.String(),
  updated_at: t.String(),
});

/** The stored definition, as the service and compiler use it. */
export interface EndpointDefinition {
  name: string;
  description: string | null;
  path: string;
  method: Method;
  auth_required: boolean;
  condition: string | null;
  actions: { type: string; config: Record<string, unknown>; name?: string }[];
  response_template: { status?: number | string; body?: unknown; headers?: Record<string, string> } | null;
  enabled: boolean;
  cost: number;
  timeout_ms: number;
  body_schema: Record<string, unknown> | null;
  signature: { scheme: string; credential: string; tolerance_seconds?: number } | null;
  cors: { origins: string[]; methods?: Method[]; headers?: string[]; credentials?: boolean; max_age?: number } | null;
  body_limit_bytes: number | null;
  history: "all" | "errors" | "none";
}
