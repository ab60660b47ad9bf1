/**
 * @module modules/auth/access
 * The access checks every authenticated request goes through, as separate steps so the custom
 * endpoint dispatcher can run them in its own documented order (auth, signature, IP, rate limit):
 * `authenticate` (401/403), `requireScope` (403), `checkIp` (403), `checkRate` (429). `check` and
 * `rate` return their refusal instead of throwing it, for the dispatcher, where floods of bad keys
 * or of calls over the limit must stay cheap.
 */
import { shareRefusal } from "../../http/envelope";
import { AppError, forbidden, unauthorized } from "../../http/errors";
import { checkRateLimit, isUnlimited, NO_RATE_LIMIT_HEADERS, type RateLimiter, type RateLimitWindowLimits } from "../../http/rate-limit";
import type { Scope } from "../../principal";
import { constantTimeEqual, sha256Hex } from "../../secrets";
import type { UsageRecorder } from "../keys/usage";
import { identityFromKey, identityFromSession, type Identity } from "./identity";
import type { AuthStore } from "./store";

/** `sb_` + 32 base62: an API key (DESIGN.md). */
export const API_KEY_PATTERN = /^sb_[0-9A-Za-z]{32}$/;
/** `sbs_` + 40 base62: a login session token. */
export const SESSION_TOKEN_PATTERN = /^sbs_[0-9A-Za-z]{40}$/;

/** How long a resolved token is trusted without looking again; every change through the API drops the cache at once. */
const CACHE_TTL_MS = 30_000;
const CACHE_MAX = 10_000;

/**
 * The refusal of a token that is not one of ours, shared by every such call: a flood of made-up
 * keys builds no error and no JSON each. `authenticate` throws a copy.
 */
const UNKNOWN_TOKEN = shareRefusal(unauthorized("Invalid API key or session token"));

const REFILL_INTERVAL_MS: Record<string, number> = { hour: 3_600_000, day: 86_400_000, week: 604_800_000, month: 2_592_000_000 };

export interface AccessDeps {
  store: AuthStore;
  usage: UsageRecorder;
  limiter: RateLimiter;
  plans: Record<string, RateLimitWindowLimits>;
  now?: () => number;
}

export type Access = ReturnType<typeof createAccess>;

export function createAccess({ store, usage, limiter, plans, now = Date.now }: AccessDeps) {
  const cache = new Map<string, { identity: Identity; hash: string; at: number }>();
  // Digests no token has: new tokens are random, so a digest unknown now stays unknown, and a
  // flood of made-up keys costs a hash and a set lookup, not a database read each.
  const unknown = new Set<string>();

  function lookup(token: string): { identity: Identity; hash: string } | undefined {
    const hash = sha256Hex(token);
    const time = now();
    const hit = cache.get(hash);
    if (hit && time - hit.at < CACHE_TTL_MS) return hit;
    if (unknown.has(hash)) return undefined;
    const isKey = token.startsWith("sb_");
    const row = isKey ? store.keyPrincipalByHash(hash) : store.principalByHash(hash);
    // The row was found by hash; comparing again in constant time costs nothing and rules out
    // any collation or index surprise letting a different token through.
    if (!row || !constantTimeEqual(isKey ? (row as { key_hash: string }).key_hash : (row as { token_hash: string }).token_hash, hash)) {
      cache.delete(hash);
      if (unknown.size >= CACHE_MAX) unknown.clear();
      unknown.add(hash);
      return undefined;
    }
    const identity = isKey ? identityFromKey(row as never) : identityFromSession(row as never);
    if (cache.size >= CACHE_MAX) cache.clear();
    const entry = { identity, hash, at: time };
    cache.set(hash, entry);
    return entry;
  }

  /**
   * Resolves a bearer token (`bearerToken()` of the Authorization header) to an identity, or
   * returns the refusal: 401, or 403 for a disabled account. Returned, not thrown: refusing a
   * flood of bad keys must stay cheap, and unwinding a throw costs as much as the rest of the check.
   */
  function check(token: string | undefined): Identity | AppError {
    if (!token) return unauthorized("Missing bearer token: send Authorization: Bearer <API key or session token>");
    if (!API_KEY_PATTERN.test(token) && !SESSION_TOKEN_PATTERN.test(token)) return UNKNOWN_TOKEN;
    const found = lookup(token);
    if (!found) return UNKNOWN_TOKEN;
    const { identity } = found;
    const time = now();
    if (identity.revoked) return unauthorized("API key revoked");
    if (identity.expiresAt !== null && identity.expiresAt <= time) {
      return unauthorized(identity.sessionId ? "Session expired" : "API key expired");
    }
    if (identity.userDisabled) return unauthorized("User disabled");
    if (!identity.accountActive) return forbidden("Account is disabled");
    if (identity.principal.key_id) usage.record(identity.principal.key_id, time);
    return identity;
  }

  return {
    check,

    /** `check`, throwing the refusal (a copy of a shared one: error hooks may write to what is thrown). */
    authenticate(authorization: string | null | undefined): Identity {
      const checked = check(bearerToken(authorization));
      if (checked instanceof AppError) throw checked === UNKNOWN_TOKEN ? unauthorized(checked.message) : checked;
      return checked;
    },

    requireScope(identity: Identity, scope: Scope): void {
      if (!identity.scopes.has(scope)) throw forbidden(`This API key lacks the "${scope}" scope`);
    },

    /** The client address must pass the account's and the key's allowlists (when they have one). */
    checkIp(identity: Identity, ip: string | undefined): void {
      for (const matcher of identity.ipAllowlists) {
        if (!matcher.matches(ip)) throw forbidden("Client IP address is not allowed");
      }
    },

    rate,

    /** The same for a call without a token, counted under `subject` with the account's plan. */
    anonymousRate: (subject: string, plan: string) => planRate(subject, plan),

    /** `rate`, throwing the 429. */
    checkRate(identity: Identity): Record<string, string> {
      const checked = rate(identity);
      if (checked instanceof AppError) throw checked;
      return checked;
    },

    /** Forgets every cached identity: call after any change to keys, users, sessions or accounts. */
    invalidate(): void {
      cache.clear();
    },
  };

  /** Counts the request against the plan (and a metered key's uses): the X-RateLimit-* headers, or the 429 carrying them. */
  function rate(identity: Identity): Record<string, string> | AppError {
    const headers = planRate(identity.rateSubject, identity.plan);
    return identity.metered && !(headers instanceof AppError) ? takeUse(identity, headers) : headers;
  }

  function planRate(subject: string, plan: string): Record<string, string> | AppError {
    const limits = plans[plan] ?? plans.free ?? { perMinute: 60, perDay: 1000 };
    // Nothing to count: not even the clock is read.
    if (isUnlimited(limits)) return NO_RATE_LIMIT_HEADERS;
    return checkRateLimit(limiter, subject, limits, rateLimitMessage, now());
  }

  function takeUse(identity: Identity, headers: Record<string, string>): Record<string, string> | AppError {
    const keyId = identity.principal.key_id!;
    const interval = identity.refillInterval ? (REFILL_INTERVAL_MS[identity.refillInterval] ?? null) : null;
    const left = store.takeKeyUse(keyId, now(), interval);
    if (left === null) return new AppError("RATE_LIMITED", "This API key has no remaining uses", { headers, details: { remaining: 0 } });
    // An unlimited plan's headers are shared and frozen.
    return { ...headers, "X-Key-Remaining": String(left) };
  }
}

// Hoisted: an arrow written in the call would be a new function object on every request.
const rateLimitMessage = (retry: number) => `Rate limit exceeded; retry in ${retry} s`;

const WHITESPACE = /\s/;

/** The token of an `Authorization: Bearer <token>` header, or undefined. */
export function bearerToken(authorization: string | null | undefined): string | undefined {
  if (!authorization) return undefined;
  // The spelling every client sends, taken by a slice (no capturing match); any other goes below.
  if (authorization.startsWith("Bearer ")) {
    const token = authorization.slice(7);
    if (token !== "" && !WHITESPACE.test(token)) return token;
  }
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  return match?.[1];
}

