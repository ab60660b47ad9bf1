/**
 * @module expr/standard-functions
 * The four built-in functions. Conventions they fix:
 * - the principal is `ctx.auth` (`user_id`, `key_id`, `roles`);
 * - a record belongs to the user whose id is in its `owner_id` field;
 * - the caller's address is `ctx.request.ip`.
 */

import ipaddr from "ipaddr.js";
import type { LiteralValue } from "./ast.ts";
import { createRegistry, type EvalContext, type FunctionDef, type FunctionRegistry } from "./functions.ts";
import { asBoolean, sql } from "./sql-fragment.ts";
import { equals, lookupPath, normalize, type Scalar } from "./values.ts";

/** The record field `@owns_record()` compares with the caller's user id. */
export const OWNER_FIELD = "owner_id";

/** The caller's user id, or null when there is none (so ownership never matches "no owner"). */
function userId(ctx: EvalContext): Scalar {
  const id = normalize(lookupPath(ctx, ["auth", "user_id"]));
  return id === "" ? null : id;
}

function present(value: unknown): boolean {
  return value !== undefined && value !== null && value !== "";
}

/** `@has_role('admin')`: the principal's roles include the name. */
export const hasRole: FunctionDef = {
  name: "has_role",
  args: ["string"],
  evaluate(args, ctx) {
    const roles = lookupPath(ctx, ["auth", "roles"]);
    return Array.isArray(roles) && roles.includes(args[0]);
  },
};

/** `@is_authenticated()`: a user or an API key is behind the request. */
export const isAuthenticated: FunctionDef = {
  name: "is_authenticated",
  args: [],
  evaluate(_args, ctx) {
    return present(lookupPath(ctx, ["auth", "user_id"])) || present(lookupPath(ctx, ["auth", "key_id"]));
  },
};

/** `@owns_record()`: `record.owner_id` equals the caller's user id (false without a user). */
export const ownsRecord: FunctionDef = {
  name: "owns_record",
  args: [],
  fields: [OWNER_FIELD],
  evaluate(_args, ctx) {
    const uid = userId(ctx);
    return uid !== null && equals(normalize(lookupPath(ctx, ["record", OWNER_FIELD])), uid);
  },
  toSql(_args, s) {
    return asBoolean(sql`(CASE WHEN ${s.param(userId)} IS NULL THEN 0 ELSE ${s.equals(s.field(OWNER_FIELD), userId)} END)`);
  },
};

type Range = [ipaddr.IPv4 | ipaddr.IPv6, number];

/** `@ip_in('10.0.0.0/8')`: `request.ip` lies in the range (v4 or v6; a bare address means just it). */
export const ipIn: FunctionDef<Range> = {
  name: "ip_in",
  args: ["string"],
  prepare(args: readonly LiteralValue[]): Range {
    const text = String(args[0]).trim();
    const cidr = text.includes("/") ? text : `${text}/${text.includes(":") ? 128 : 32}`;
    // Four-part decimal only: ipaddr also accepts legacy forms like "10/8", which read as a typo here.
    if (!ipaddr.IPv4.isValidCIDRFourPartDecimal(cidr) && !ipaddr.IPv6.isValidCIDR(cidr)) {
      throw new Error(`'${text}' is not a CIDR range`);
    }
    return ipaddr.parseCIDR(cidr);
  },
  evaluate(_args, ctx, range) {
    const ip = lookupPath(ctx, ["request", "ip"]);
    if (typeof ip !== "string" || !ipaddr.isValid(ip)) return false;
    let addr = ipaddr.process(ip); // unwraps ::ffff:a.b.c.d so v4 ranges match v4 clients on dual-stack sockets
    if (addr.kind() !== range[0].kind()) {
      if (addr.kind() !== "ipv4") return false;
      addr = (addr as ipaddr.IPv4).toIPv4MappedAddress();
    }
    return addr.match(range);
  },
};

/** A fresh registry with has_role, is_authenticated, owns_record and ip_in. */
export function standardFunctions(): FunctionRegistry {
  return createRegistry([hasRole, isAuthenticated, ownsRecord, ipIn]);
}
