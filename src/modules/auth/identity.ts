/**
 * @module modules/auth/identity
 * A resolved caller: the public principal plus what access checks need. Built once per token
 * and cached by the token's hash, so the per-request work is a map lookup and a few compares.
 */
import { ipMatcherFor, type IpMatcher } from "../../http/ip-allowlist";
import type { Principal, Scope } from "../../principal";
import type { KeyPrincipalRow, SessionPrincipalRow } from "./store";

export interface Identity {
  readonly principal: Principal;
  readonly accountSlug: string;
  readonly scopes: ReadonlySet<Scope>;
  readonly instanceAdmin: boolean;
  /** The plan whose limits apply: the key's override, else the account's. */
  readonly plan: string;
  /** Whose counter the rate limiter bumps: the key, or the user for sessions. */
  readonly rateSubject: string;
  /** Account and key allowlists; the caller must pass every one that is non-empty. */
  readonly ipAllowlists: readonly IpMatcher[];
  readonly expiresAt: number | null;
  readonly revoked: boolean;
  readonly userDisabled: boolean;
  readonly accountActive: boolean;
  /** True for keys with a `remaining` use count. */
  readonly metered: boolean;
  /** For metered keys: how often `remaining` refills (hour, day, week, month), if ever. */
  readonly refillInterval: string | null;
  readonly sessionId?: string;
}

const ALL_SCOPES: ReadonlySet<Scope> = new Set(["manage", "invoke"]);

const parseList = (json: string): string[] => {
  const value = JSON.parse(json) as unknown;
  return Array.isArray(value) ? value.map(String) : [];
};

function allowlists(...lists: string[]): IpMatcher[] {
  return lists.map((json) => ipMatcherFor(parseList(json))).filter((m) => !m.empty);
}

/**
 * Frozen, roles included: a cached identity serves many calls, whose conditions, templates and
 * actions all read this one object instead of a copy each.
 */
function frozenPrincipal(principal: Principal): Principal {
  Object.freeze(principal.roles);
  return Object.freeze(principal);
}

export function identityFromKey(row: KeyPrincipalRow): Identity {
  return {
    principal: frozenPrincipal({ account_id: row.account_id, user_id: row.user_id, email: row.email, roles: parseList(row.roles), key_id: row.key_id }),
    accountSlug: row.account_slug,
    scopes: new Set(parseList(row.scopes) as Scope[]),
    instanceAdmin: row.instance_admin === 1,
    plan: row.key_plan ?? row.account_plan,
    rateSubject: `key:${row.key_id}`,
    ipAllowlists: allowlists(row.account_ip_allowlist, row.key_ip_allowlist),
    expiresAt: row.expires_at,
    revoked: row.revoked_at !== null,
    userDisabled: row.disabled === 1,
    accountActive: row.account_active === 1,
    metered: row.remaining !== null,
    refillInterval: row.refill_interval,
  };
}

export function identityFromSession(row: SessionPrincipalRow): Identity {
  return {
    principal: frozenPrincipal({ account_id: row.account_id, user_id: row.user_id, email: row.email, roles: parseList(row.roles) }),
    accountSlug: row.account_slug,
    scopes: ALL_SCOPES,
    instanceAdmin: row.instance_admin === 1,
    plan: row.account_plan,
    rateSubject: `user:${row.user_id}`,
    ipAllowlists: allowlists(row.account_ip_allowlist),
    expiresAt: row.expires_at,
    revoked: false,
    userDisabled: row.disabled === 1,
    accountActive: row.account_active === 1,
    metered: false,
    refillInterval: null,
    sessionId: row.session_id,
  };
}
