/**
 * @module http/rate-limit
 * Per-subject request limits with a per-minute and a per-day window, and the plans that set them.
 * Windows are fixed and aligned to the clock (the minute, the UTC day) so the counters are two
 * integers per subject and a hit is O(1). `RateLimiter` is kept small so a shared store can
 * replace the in-memory one when several instances run behind one balancer.
 */
import { AppError } from "./errors";

/** Limits of one plan; null means unlimited for that window. */
export interface RateLimitWindowLimits {
  perMinute: number | null;
  perDay: number | null;
}

export interface RateLimitResult {
  allowed: boolean;
  /** Limit of the binding window (X-RateLimit-Limit). 0 when both windows are unlimited. */
  limit: number;
  /** Remaining in the binding window after this hit, never negative (X-RateLimit-Remaining). */
  remaining: number;
  /** Unix seconds when the binding window resets (X-RateLimit-Reset); 0 when unlimited. */
  resetAt: number;
  /** When refused: whole seconds (>= 1) until a request can succeed. 0 when allowed. */
  retryAfterSeconds: number;
}

export interface RateLimiter {
  /**
   * Counts one request of `subject` and says whether it may proceed. A refused request is not
   * counted, so a client hammering through a 429 does not push its own reset further away.
   * The binding window is the one with fewer remaining (the minute when tied), except that a
   * request refused by an exhausted day reports the day, so Reset and Retry-After agree.
   */
  hit(subject: string, limits: RateLimitWindowLimits, now?: number): RateLimitResult;
  /** Forgets one subject's counters, or everyone's. */
  reset(subject?: string): void;
}

export interface MemoryRateLimiter extends RateLimiter {
  /** Number of subjects currently tracked (bounded by maxSubjects). */
  readonly size: number;
}

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
// Stale subjects removed per new subject: enough to outpace growth, small enough to stay O(1).
const PRUNE_BATCH = 4;

/**
 * The headers of an unlimited plan: none. One shared frozen object, so an unlimited call builds
 * nothing; a caller adding a header of its own must copy it first.
 */
export const NO_RATE_LIMIT_HEADERS: Record<string, string> = Object.freeze({}) as Record<string, string>;

/** True when neither window has a limit: nothing to count or announce. */
export const isUnlimited = (limits: RateLimitWindowLimits) => limits.perMinute === null && limits.perDay === null;

/** What an unlimited plan gets: allowed, and no rate-limit headers (see `rateLimitHeaders`). */
const UNLIMITED: RateLimitResult = Object.freeze({ allowed: true, limit: 0, remaining: 0, resetAt: 0, retryAfterSeconds: 0 });

interface Counters {
  minute: number;
  minuteCount: number;
  day: number;
  dayCount: number;
}

/**
 * An in-process limiter: exact for one instance, per instance when there are several.
 * Memory is bounded: subjects whose day has passed are pruned as new ones arrive, and past
 * `maxSubjects` (default 100,000) the oldest is evicted, which only forgets its counts (lenient).
 */
export function createMemoryRateLimiter(options: { maxSubjects?: number; now?: () => number } = {}): MemoryRateLimiter {
  const maxSubjects = options.maxSubjects ?? 100_000;
  if (!Number.isSafeInteger(maxSubjects) || maxSubjects < 1) throw new Error(`invalid maxSubjects ${maxSubjects}: expected a whole number >= 1`);
  const clock = options.now ?? Date.now;
  // Ordered by the start of each subject's day window (a subject moves to the end when its day
  // rolls over), so the stale subjects are always at the front.
  const counters = new Map<string, Counters>();

  function makeRoom(day: number): void {
    let pruned = 0;
    for (const [subject, c] of counters) {
      if (c.day >= day || pruned === PRUNE_BATCH) break;
      counters.delete(subject);
      pruned++;
    }
    if (counters.size >= maxSubjects) counters.delete(counters.keys().next().value!);
  }

  return {
    get size() {
      return counters.size;
    },

    hit(subject, limits, now = clock()) {
      const { perMinute, perDay } = limits;
      if (isUnlimited(limits)) return UNLIMITED;
      const minute = Math.floor(now / MINUTE_MS);
      const day = Math.floor(now / DAY_MS);

      let c = counters.get(subject);
      if (c === undefined) {
        makeRoom(day);
        c = { minute, minuteCount: 0, day, dayCount: 0 };
        counters.set(subject, c);
      } else {
        // `!==` rather than `<`: a clock stepping backwards starts a fresh window instead of freezing one.
        if (c.minute !== minute) {
          c.minute = minute;
          c.minuteCount = 0;
        }
        if (c.day !== day) {
          c.day = day;
          c.dayCount = 0;
          counters.delete(subject);
          counters.set(subject, c);
        }
      }

      const minuteLeft = perMinute === null ? Infinity : perMinute - c.minuteCount;
      const dayLeft = perDay === null ? Infinity : perDay - c.dayCount;
      const allowed = minuteLeft > 0 && dayLeft > 0;
      // Both windows always count, so switching a subject to a plan with a day limit mid-day is exact.
      if (allowed) {
        c.minuteCount++;
        c.dayCount++;
      }
      const spent = allowed ? 1 : 0;
      // Negative only if the limit was lowered mid-window.
      const minuteRemaining = Math.max(0, minuteLeft - spent);
      const dayRemaining = Math.max(0, dayLeft - spent);

      const useDay = perMinute === null || (perDay !== null && (dayRemaining < minuteRemaining || (!allowed && dayRemaining === 0)));
      const resetMs = useDay ? (day + 1) * DAY_MS : (minute + 1) * MINUTE_MS;
      return {
        allowed,
        limit: useDay ? perDay! : perMinute!,
        remaining: useDay ? dayRemaining : minuteRemaining,
        resetAt: resetMs / 1000,
        retryAfterSeconds: allowed ? 0 : Math.max(1, Math.ceil((resetMs - now) / 1000)),
      };
    },

    reset(subject) {
      if (subject === undefined) counters.clear();
      else counters.delete(subject);
    },
  };
}

/**
 * Response headers for a result: X-RateLimit-Limit, -Remaining, -Reset (unix seconds), plus
 * Retry-After when refused. Unlimited plans get no rate-limit headers at all: there is no limit
 * to announce, and a made-up one would mislead clients.
 */
export function rateLimitHeaders(result: RateLimitResult): Record<string, string> {
  // resetAt is 0 only for the unlimited result: every real window ends after the epoch.
  if (result.resetAt === 0) return NO_RATE_LIMIT_HEADERS;
  const headers: Record<string, string> = {
    "X-RateLimit-Limit": String(result.limit),
    "X-RateLimit-Remaining": String(result.remaining),
    "X-RateLimit-Reset": String(result.resetAt),
  };
  if (!result.allowed) headers["Retry-After"] = String(result.retryAfterSeconds);
  return headers;
}

/**
 * Counts one request of `subject` against `limits`: the X-RateLimit-* headers to send, or the 429
 * RATE_LIMITED carrying them (with Retry-After); `message` words the refusal. Returned, not thrown:
 * a client hammering past its limit is a flood too, and a throw costs as much as the rest of it.
 */
export function checkRateLimit(
  limiter: RateLimiter,
  subject: string,
  limits: RateLimitWindowLimits,
  message: (retryAfterSeconds: number) => string,
  now?: number,
): Record<string, string> | AppError {
  const result = limiter.hit(subject, limits, now);
  const headers = rateLimitHeaders(result);
  if (result.allowed) return headers;
  return new AppError("RATE_LIMITED", message(result.retryAfterSeconds), {
    headers,
    details: { limit: result.limit, reset_at: result.resetAt, retry_after: result.retryAfterSeconds },
  });
}

/** `checkRateLimit`, throwing the 429. */
export function enforceRateLimit(
  limiter: RateLimiter,
  subject: string,
  limits: RateLimitWindowLimits,
  message: (retryAfterSeconds: number) => string,
  now?: number,
): Record<string, string> {
  const checked = checkRateLimit(limiter, subject, limits, message, now);
  if (checked instanceof AppError) throw checked;
  return checked;
}

const plan = (perMinute: number | null, perDay: number | null): RateLimitWindowLimits => Object.freeze({ perMinute, perDay });

/** The plans of the contract. Frozen and prototype-less, like what `parsePlans` returns. */
export const DEFAULT_PLANS: Readonly<Record<string, RateLimitWindowLimits>> = Object.freeze(
  Object.assign(Object.create(null) as Record<string, RateLimitWindowLimits>, {
    free: plan(60, 1_000),
    starter: plan(120, 10_000),
    pro: plan(300, 50_000),
    business: plan(600, 200_000),
    unlimited: plan(null, null),
  }),
);

// Letters, digits, `_` and `-`, not starting with `_`: rules out `__proto__` and friends.
const PLAN_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/**
 * Parses plan overrides such as `{"free":{"per_minute":30,"per_day":500},"team":{"per_minute":1000,"per_day":null}}`
 * and merges them over DEFAULT_PLANS (a listed plan is replaced whole). Both fields are required
 * and must be a whole number >= 0 (0 refuses everything) or null (unlimited); other fields are
 * refused so a typo such as `perMinute` cannot silently keep the default. Undefined or blank
 * input gives the defaults. Throws an Error with a one-line message naming the bad plan.
 */
export function parsePlans(json: string | undefined): Record<string, RateLimitWindowLimits> {
  // No prototype: a lookup by an account's plan name can never find `toString` or `constructor`.
  const plans: Record<string, RateLimitWindowLimits> = Object.assign(Object.create(null), DEFAULT_PLANS);
  if (json === undefined || json.trim() === "") return plans;
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw new Error("invalid rate limit plans: not valid JSON");
  }
  if (!isObject(parsed)) throw new Error("invalid rate limit plans: expected a JSON object of plan name -> {per_minute, per_day}");
  for (const [name, value] of Object.entries(parsed)) {
    const label = `invalid rate limit plan ${JSON.stringify(name.slice(0, 64))}`;
    if (!PLAN_NAME.test(name)) throw new Error(`${label}: name must be letters, digits, _ or - (at most 64)`);
    if (!isObject(value)) throw new Error(`${label}: expected {"per_minute": n, "per_day": n}`);
    const extra = Object.keys(value).find((key) => key !== "per_minute" && key !== "per_day");
    if (extra !== undefined) throw new Error(`${label}: unknown field ${JSON.stringify(extra.slice(0, 64))}`);
    plans[name] = plan(limitField(value, "per_minute", label), limitField(value, "per_day", label));
  }
  return plans;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

function limitField(value: Record<string, unknown>, field: string, label: string): number | null {
  const n = value[field];
  if (n === null) return null;
  if (typeof n !== "number" || !Number.isSafeInteger(n) || n < 0) {
    throw new Error(`${label}: ${field} must be a whole number >= 0 or null`);
  }
  return n;
}
