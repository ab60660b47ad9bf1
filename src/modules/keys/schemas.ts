/**
 * @module modules/keys/schemas
 * TypeBox models of API keys.
 */
import { t } from "elysia";
import { Cidrs, PlanName } from "../accounts/schemas";

export const ScopeName = t.Union([t.Literal("manage"), t.Literal("invoke")]);

export const KeyCreate = t.Object(
  {
    name: t.String({ minLength: 1, maxLength: 200 }),
    expires_at: t.Optional(
      t.Union([t.String({ format: "date-time" }), t.Integer({ minimum: 0 }), t.Null()], {
        description: "ISO 8601 time or unix milliseconds; must be in the future",
      }),
    ),
    ip_allowlist: t.Optional(Cidrs),
    scopes: t.Optional(t.Array(ScopeName, { minItems: 1, maxItems: 2, uniqueItems: true, description: "Default: both" })),
    plan: t.Optional(PlanName),
    remaining: t.Optional(t.Integer({ minimum: 0, maximum: 1e12, description: "Uses allowed; omit for unmetered" })),
    refill: t.Optional(
      t.Object(
        {
          amount: t.Integer({ minimum: 1, maximum: 1e12 }),
          interval: t.Union([t.Literal("hour"), t.Literal("day"), t.Literal("week"), t.Literal("month")]),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export type KeyCreate = typeof KeyCreate.static;

export const KeyView = t.Object({
  id: t.String(),
  name: t.String(),
  prefix: t.String({ description: "The first characters of the key, to tell keys apart" }),
  user_id: t.String(),
  scopes: t.Array(t.String()),
  ip_allowlist: t.Array(t.String()),
  plan: t.Union([t.String(), t.Null()]),
  remaining: t.Union([t.Integer(), t.Null()]),
  refill: t.Union([t.Object({ amount: t.Integer(), interval: t.String() }), t.Null()]),
  created_at: t.String({ format: "date-time" }),
  last_used_at: t.Union([t.String({ format: "date-time" }), t.Null()]),
  expires_at: t.Union([t.String({ format: "date-time" }), t.Null()]),
  revoked_at: t.Union([t.String({ format: "date-time" }), t.Null()]),
});

export const CreatedKeyView = t.Composite([
  KeyView,
  t.Object({ key: t.String({ description: "The secret: shown in this response only, store it now" }) }),
]);
