/**
 * @module modules/accounts/schemas
 * TypeBox models of accounts and users: request bodies and the views answered.
 */
import { t } from "elysia";

export const Email = t.String({ format: "email", maxLength: 254, description: "Login email; compared case-insensitively" });
export const Password = t.String({ minLength: 8, maxLength: 256 });
export const Role = t.String({ pattern: "^[a-z][a-z0-9_-]{0,31}$", description: "owner, admin, member or a custom name" });
export const Roles = t.Array(Role, { minItems: 1, maxItems: 20, uniqueItems: true });
export const Slug = t.String({ pattern: "^[a-z0-9][a-z0-9-]{1,62}$", description: "Used in custom endpoint URLs: /api/v1/x/:slug/..." });
export const Cidrs = t.Array(t.String({ maxLength: 64 }), { maxItems: 100, description: "IPv4/IPv6 CIDRs; empty = any address" });
export const PlanName = t.String({ pattern: "^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$" });
export const Credits = t.Union([t.Integer({ minimum: 0, maximum: 1e12 }), t.Null()], { description: "null = unlimited" });

export const AccountView = t.Object({
  id: t.String(),
  slug: t.String(),
  name: t.String(),
  plan: t.String(),
  credits: t.Union([t.Integer(), t.Null()]),
  active: t.Boolean(),
  ip_allowlist: t.Array(t.String()),
  created_at: t.String({ format: "date-time" }),
  updated_at: t.String({ format: "date-time" }),
});

export const UserView = t.Object({
  id: t.String(),
  account_id: t.String(),
  email: t.String(),
  roles: t.Array(t.String()),
  instance_admin: t.Boolean(),
  disabled: t.Boolean(),
  last_login_at: t.Union([t.String({ format: "date-time" }), t.Null()]),
  created_at: t.String({ format: "date-time" }),
  updated_at: t.String({ format: "date-time" }),
});

export const AccountPatch = t.Object(
  {
    name: t.Optional(t.String({ minLength: 1, maxLength: 200 })),
    plan: t.Optional(PlanName),
    credits: t.Optional(Credits),
    active: t.Optional(t.Boolean()),
    ip_allowlist: t.Optional(Cidrs),
  },
  { additionalProperties: false, minProperties: 1 },
);

export const AccountCreate = t.Object(
  {
    slug: Slug,
    name: t.Optional(t.String({ minLength: 1, maxLength: 200 })),
    plan: t.Optional(PlanName),
    credits: t.Optional(Credits),
    ip_allowlist: t.Optional(Cidrs),
    owner: t.Object({ email: Email, password: Password }, { additionalProperties: false }),
  },
  { additionalProperties: false },
);

export const UserCreate = t.Object(
  { email: Email, password: Password, roles: t.Optional(Roles) },
  { additionalProperties: false },
);

export const UserPatch = t.Object(
  { roles: t.Optional(Roles), disabled: t.Optional(t.Boolean()), password: t.Optional(Password) },
  { additionalProperties: false, minProperties: 1 },
);

export type AccountPatch = typeof AccountPatch.static;
export type AccountCreate = typeof AccountCreate.static;
export type UserCreate = typeof UserCreate.static;
export type UserPatch = typeof UserPatch.static;
