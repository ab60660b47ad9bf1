import { describe, expect, test } from "bun:test";
import { AppError } from "./errors";
import { checkRateLimit, createMemoryRateLimiter, DEFAULT_PLANS, NO_RATE_LIMIT_HEADERS, enforceRateLimit, parsePlans, rateLimitHeaders, type RateLimitWindowLimits } from "./rate-limit";

// 2025-03-10 12:00:30 UTC: half a minute in, so the minute resets in exactly 30 s.
const T = Date.UTC(2025, 2, 10, 12, 0, 30);
const MINUTE = 60_000;
const DAY = 86_400_000;
const NEXT_MINUTE_S = Date.UTC(2025, 2, 10, 12, 1, 0) / 1000;
const NEXT_DAY_S = Date.UTC(2025, 2, 11) / 1000;
const limits = (perMinute: number | null, perDay: number | null): RateLimitWindowLimits => ({ perMinute, perDay });

describe("createMemoryRateLimiter", () => {
  test("60/min: headers count down 59..0, the 61st is refused with Retry-After", () => {
    const limiter = createMemoryRateLimiter();
    const remaining: string[] = [];
    for (let i = 0; i < 60; i++) {
      const result = limiter.hit("key", DEFAULT_PLANS.free!, T + i * 100);
      expect(result.allowed).toBe(true);
      const headers = rateLimitHeaders(result);
      expect(headers["X-RateLimit-Limit"]).toBe("60");
      expect(headers["X-RateLimit-Reset"]).toBe(String(NEXT_MINUTE_S));
      expect(headers["Retry-After"]).toBeUndefined();
      remaining.push(headers["X-RateLimit-Remaining"]!);
    }
    expect(remaining).toEqual(Array.from({ length: 60 }, (_, i) => String(59 - i)));

    const refused = limiter.hit("key", DEFAULT_PLANS.free!, T + 6_000);
    expect(refused).toEqual({ allowed: false, limit: 60, remaining: 0, resetAt: NEXT_MINUTE_S, retryAfterSeconds: 24 });
    expect(rateLimitHeaders(refused)).toEqual({
      "X-RateLimit-Limit": "60",
      "X-RateLimit-Remaining": "0",
      "X-RateLimit-Reset": String(NEXT_MINUTE_S),
      "Retry-After": "24",
    });
  });

  test("the minute rollover resets the minute window", () => {
    const limiter = createMemoryRateLimiter();
    for (let i = 0; i < 2; i++) limiter.hit("key", limits(2, null), T);
    expect(limiter.hit("key", limits(2, null), T).allowed).toBe(false);
    const next = limiter.hit("key", limits(2, null), T + 30_000); // 12:01:00 exactly
    expect(next).toMatchObject({ allowed: true, remaining: 1, resetAt: NEXT_MINUTE_S + 60 });
  });

  test("retryAfterSeconds rounds up and is at least 1", () => {
    const limiter = createMemoryRateLimiter();
    const endOfMinute = Date.UTC(2025, 2, 10, 12, 0, 59, 999);
    limiter.hit("key", limits(1, null), endOfMinute);
    expect(limiter.hit("key", limits(1, null), endOfMinute).retryAfterSeconds).toBe(1);
    limiter.hit("other", limits(1, null), T + 100);
    expect(limiter.hit("other", limits(1, null), T + 100).retryAfterSeconds).toBe(30);
  });

  test("the day window binds when it has fewer remaining", () => {
    const limiter = createMemoryRateLimiter();
    const day = limits(60, 3);
    expect(limiter.hit("key", day, T)).toEqual({ allowed: true, limit: 3, remaining: 2, resetAt: NEXT_DAY_S, retryAfterSeconds: 0 });
    limiter.hit("key", day, T + MINUTE);
    limiter.hit("key", day, T + 2 * MINUTE);
    const refused = limiter.hit("key", day, T + 3 * MINUTE);
    expect(refused).toMatchObject({ allowed: false, limit: 3, remaining: 0, resetAt: NEXT_DAY_S });
    expect(refused.retryAfterSeconds).toBe(NEXT_DAY_S - (T + 3 * MINUTE) / 1000);
    // The next UTC day starts over.
    expect(limiter.hit("key", day, NEXT_DAY_S * 1000)).toMatchObject({ allowed: true, remaining: 2 });
  });

  const binding: [string, RateLimitWindowLimits, number, { limit: number; remaining: number; resetAt: number }][] = [
    ["tie -> minute", limits(5, 5), 1, { limit: 5, remaining: 4, resetAt: NEXT_MINUTE_S }],
    ["minute has fewer", limits(5, 100), 1, { limit: 5, remaining: 4, resetAt: NEXT_MINUTE_S }],
    ["day has fewer", limits(5, 3), 1, { limit: 3, remaining: 2, resetAt: NEXT_DAY_S }],
    ["minute only", limits(5, null), 2, { limit: 5, remaining: 3, resetAt: NEXT_MINUTE_S }],
    ["day only", limits(null, 10), 2, { limit: 10, remaining: 8, resetAt: NEXT_DAY_S }],
  ];
  for (const [name, plan, hits, expected] of binding) {
    test(`binding window: ${name}`, () => {
      const limiter = createMemoryRateLimiter();
      let result = limiter.hit("key", plan, T);
      for (let i = 1; i < hits; i++) result = limiter.hit("key", plan, T);
      expect(result).toMatchObject({ allowed: true, ...expected });
    });
  }

  test("refused when both windows are exhausted: the day is reported, so Reset and Retry-After agree", () => {
    const limiter = createMemoryRateLimiter();
    limiter.hit("key", limits(1, 1), T);
    const refused = limiter.hit("key", limits(1, 1), T);
    expect(refused).toMatchObject({ allowed: false, limit: 1, remaining: 0, resetAt: NEXT_DAY_S });
    expect(refused.retryAfterSeconds).toBe(NEXT_DAY_S - T / 1000);
  });

  test("refused requests are not counted", () => {
    const limiter = createMemoryRateLimiter();
    const plan = limits(2, 3);
    limiter.hit("key", plan, T);
    limiter.hit("key", plan, T);
    for (let i = 0; i < 10; i++) expect(limiter.hit("key", plan, T).allowed).toBe(false);
    // Had the refusals counted, the day (3) would be long gone.
    expect(limiter.hit("key", plan, T + MINUTE)).toMatchObject({ allowed: true, limit: 3, remaining: 0 });
    expect(limiter.hit("key", plan, T + 2 * MINUTE)).toMatchObject({ allowed: false, resetAt: NEXT_DAY_S });
  });

  test("subjects are independent", () => {
    const limiter = createMemoryRateLimiter();
    limiter.hit("a", limits(1, null), T);
    expect(limiter.hit("a", limits(1, null), T).allowed).toBe(false);
    expect(limiter.hit("b", limits(1, null), T).allowed).toBe(true);
  });

  test("unlimited: allowed, untracked, no headers", () => {
    const limiter = createMemoryRateLimiter();
    for (let i = 0; i < 1000; i++) {
      expect(limiter.hit("key", DEFAULT_PLANS.unlimited!, T)).toEqual({ allowed: true, limit: 0, remaining: 0, resetAt: 0, retryAfterSeconds: 0 });
    }
    const none = rateLimitHeaders(limiter.hit("key", DEFAULT_PLANS.unlimited!, T));
    expect(none).toEqual({});
    // Shared by every unlimited call, so nobody may write to it.
    expect(none).toBe(NO_RATE_LIMIT_HEADERS);
    expect(Object.isFrozen(none)).toBe(true);
    expect(limiter.size).toBe(0);
  });

  test("a zero limit refuses everything", () => {
    const result = createMemoryRateLimiter().hit("key", limits(0, null), T);
    expect(result).toMatchObject({ allowed: false, limit: 0, remaining: 0 });
    expect(rateLimitHeaders(result)["Retry-After"]).toBe("30");
  });

  test("a limit lowered mid-window never reports negative remaining", () => {
    const limiter = createMemoryRateLimiter();
    for (let i = 0; i < 5; i++) limiter.hit("key", limits(10, null), T);
    expect(limiter.hit("key", limits(2, null), T)).toMatchObject({ allowed: false, limit: 2, remaining: 0 });
  });

  test("the clock comes from options.now unless passed", () => {
    let now = T;
    const limiter = createMemoryRateLimiter({ now: () => now });
    limiter.hit("key", limits(1, null));
    expect(limiter.hit("key", limits(1, null)).allowed).toBe(false);
    now += MINUTE;
    expect(limiter.hit("key", limits(1, null)).allowed).toBe(true);
    expect(limiter.hit("key", limits(1, null), now + MINUTE).allowed).toBe(true);
  });

  test("reset forgets one subject or all", () => {
    const limiter = createMemoryRateLimiter();
    for (const s of ["a", "b"]) limiter.hit(s, limits(1, null), T);
    limiter.reset("a");
    expect(limiter.hit("a", limits(1, null), T).allowed).toBe(true);
    expect(limiter.hit("b", limits(1, null), T).allowed).toBe(false);
    limiter.reset();
    expect(limiter.size).toBe(0);
    expect(limiter.hit("b", limits(1, null), T).allowed).toBe(true);
  });

  test("memory is capped at maxSubjects, evicting the oldest", () => {
    const limiter = createMemoryRateLimiter({ maxSubjects: 1000 });
    for (let i = 0; i < 50_000; i++) limiter.hit(`key-${i}`, limits(1, null), T);
    expect(limiter.size).toBe(1000);
    // The newest are still tracked, the oldest were forgotten.
    expect(limiter.hit("key-49999", limits(1, null), T).allowed).toBe(false);
    expect(limiter.hit("key-0", limits(1, null), T).allowed).toBe(true);
  });

  test("subjects from past days are pruned as new ones arrive", () => {
    const limiter = createMemoryRateLimiter();
    for (let i = 0; i < 100; i++) limiter.hit(`old-${i}`, limits(60, null), T);
    limiter.hit("old-0", limits(60, null), T + DAY); // active again: moves behind the stale ones
    for (let i = 0; i < 30; i++) limiter.hit(`new-${i}`, limits(60, null), T + DAY);
    expect(limiter.size).toBe(31);
    expect(limiter.hit("old-0", limits(60, null), T + DAY).remaining).toBe(58);
  });

  test("a bad maxSubjects is refused", () => {
    expect(() => createMemoryRateLimiter({ maxSubjects: 0 })).toThrow(/maxSubjects/);
  });
});

describe("checkRateLimit", () => {
  test("returns the headers, then the 429 carrying them (without throwing); enforceRateLimit throws it", () => {
    const limiter = createMemoryRateLimiter({ now: () => 1_000_000 });
    const limits = { perMinute: 2, perDay: null };
    const message = (retry: number) => `slow down, ${retry} s`;
    expect(checkRateLimit(limiter, "s", limits, message, 1_000_000)).toMatchObject({ "X-RateLimit-Limit": "2", "X-RateLimit-Remaining": "1" });
    expect(checkRateLimit(limiter, "s", limits, message, 1_000_000)).toMatchObject({ "X-RateLimit-Remaining": "0" });
    const refused = checkRateLimit(limiter, "s", limits, message, 1_000_000);
    expect(refused).toBeInstanceOf(AppError);
    expect(refused).toMatchObject({ status: 429, code: "RATE_LIMITED", headers: { "X-RateLimit-Remaining": "0", "Retry-After": expect.any(String) } });
    expect((refused as AppError).message).toStartWith("slow down, ");
    expect(() => enforceRateLimit(limiter, "s", limits, message, 1_000_000)).toThrow(/slow down/);
  });
});

describe("parsePlans", () => {
  test("defaults are the contract values", () => {
    expect({ ...DEFAULT_PLANS }).toEqual({
      free: { perMinute: 60, perDay: 1_000 },
      starter: { perMinute: 120, perDay: 10_000 },
      pro: { perMinute: 300, perDay: 50_000 },
      business: { perMinute: 600, perDay: 200_000 },
      unlimited: { perMinute: null, perDay: null },
    });
    expect(Object.isFrozen(DEFAULT_PLANS)).toBe(true);
    expect(Object.isFrozen(DEFAULT_PLANS.free)).toBe(true);
  });

  test("undefined or blank -> a copy of the defaults", () => {
    for (const input of [undefined, "", "  "]) {
      const plans = parsePlans(input);
      expect({ ...plans }).toEqual({ ...DEFAULT_PLANS });
      expect(plans).not.toBe(DEFAULT_PLANS);
    }
  });

  test("overrides merge over the defaults", () => {
    const plans = parsePlans('{"free":{"per_minute":30,"per_day":500},"team":{"per_minute":1000,"per_day":null}}');
    expect(plans.free).toEqual({ perMinute: 30, perDay: 500 });
    expect(plans.team).toEqual({ perMinute: 1000, perDay: null });
    expect(plans.pro).toEqual({ perMinute: 300, perDay: 50_000 });
    expect(DEFAULT_PLANS.free).toEqual({ perMinute: 60, perDay: 1_000 });
  });

  test("plan names never hit Object.prototype", () => {
    expect(parsePlans(undefined).toString).toBeUndefined();
    expect(DEFAULT_PLANS.constructor).toBeUndefined();
  });

  const bad: [string, string, RegExp][] = [
    ["not JSON", "{free", /not valid JSON/],
    ["an array", "[]", /expected a JSON object/],
    ["null", "null", /expected a JSON object/],
    ["a number", "42", /expected a JSON object/],
    ["plan not an object", '{"free":60}', /plan "free": expected/],
    ["negative", '{"free":{"per_minute":-1,"per_day":10}}', /plan "free": per_minute must be/],
    ["fraction", '{"pro":{"per_minute":1,"per_day":1.5}}', /plan "pro": per_day must be/],
    ["string number", '{"pro":{"per_minute":"10","per_day":1}}', /plan "pro": per_minute must be/],
    ["missing field", '{"team":{"per_minute":10}}', /plan "team": per_day must be/],
    ["unknown field", '{"team":{"perMinute":10,"per_minute":10,"per_day":1}}', /plan "team": unknown field "perMinute"/],
    ["too big", '{"team":{"per_minute":1e300,"per_day":1}}', /plan "team": per_minute must be/],
    ["proto name", '{"__proto__":{"per_minute":1,"per_day":1}}', /plan "__proto__": name must be/],
    ["empty name", '{"":{"per_minute":1,"per_day":1}}', /plan "": name must be/],
  ];
  for (const [name, json, message] of bad) {
    test(`rejects ${name} with one line naming the plan`, () => {
      let error: unknown;
      try {
        parsePlans(json);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).message).toMatch(message);
      expect((error as Error).message).not.toContain("\n");
    });
  }
});
