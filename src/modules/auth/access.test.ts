import { describe, expect, test } from "bun:test";
import { AppError } from "../../http/errors";
import { createMemoryRateLimiter, DEFAULT_PLANS } from "../../http/rate-limit";
import { bearerToken, createAccess } from "./access";
import { identityFromKey } from "./identity";

describe("bearerToken", () => {
  test("takes the token of the usual spelling and of any other the header grammar allows", () => {
    expect(bearerToken("Bearer sb_abc")).toBe("sb_abc");
    expect(bearerToken("bearer sb_abc")).toBe("sb_abc");
    expect(bearerToken("Bearer \t sb_abc  ")).toBe("sb_abc");
  });

  test("refuses what is not one bearer token", () => {
    for (const header of [null, undefined, "", "Bearer", "Bearer ", "Bearer a b", "Bearer a\tb", "Basic dXNlcjpwYXNz", "Bearersb_abc"]) {
      expect(bearerToken(header)).toBeUndefined();
    }
  });
});

describe("identityFromKey", () => {
  test("the principal is frozen, roles included: calls share it instead of copying it", () => {
    const identity = identityFromKey({
      account_id: "acc_1", user_id: "usr_1", email: "a@example.com", roles: '["owner"]', key_id: "key_1", account_slug: "default",
      scopes: '["invoke"]', instance_admin: 0, key_plan: null, account_plan: "free", account_ip_allowlist: "[]", key_ip_allowlist: "[]",
      expires_at: null, revoked_at: null, disabled: 0, account_active: 1, remaining: null, refill_interval: null,
    } as never);
    expect(Object.isFrozen(identity.principal)).toBe(true);
    expect(Object.isFrozen(identity.principal.roles)).toBe(true);
    expect(() => identity.principal.roles.push("admin")).toThrow();
  });
});

describe("createAccess: check and authenticate", () => {
  // No token exists: every lookup misses.
  const store = { principalByHash: () => undefined, keyPrincipalByHash: () => undefined } as never;
  const usage = { record() {}, pendingFor: () => undefined, flush() {}, stop() {} };
  const access = createAccess({ store, usage, limiter: createMemoryRateLimiter(), plans: DEFAULT_PLANS });

  test("check returns the 401 instead of throwing it; authenticate throws the same", () => {
    const cases: [string | null, string][] = [
      [null, "Missing bearer token: send Authorization: Bearer <API key or session token>"],
      ["Bearer not-a-token", "Invalid API key or session token"],
      [`Bearer sb_${"A".repeat(32)}`, "Invalid API key or session token"],
    ];
    for (const [header, message] of cases) {
      const checked = access.check(bearerToken(header));
      expect(checked).toBeInstanceOf(AppError);
      expect(checked).toMatchObject({ status: 401, code: "UNAUTHORIZED", message });
      expect(() => access.authenticate(header)).toThrow(message);
    }
  });

  test("an unknown token's refusal is one shared, frozen error; authenticate throws a copy of it", () => {
    const refused = access.check(`sb_${"A".repeat(32)}`);
    expect(access.check(`sb_${"B".repeat(32)}`)).toBe(refused);
    expect(Object.isFrozen(refused)).toBe(true);
    let thrown: unknown;
    try {
      access.authenticate(`Bearer sb_${"A".repeat(32)}`);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(AppError);
    expect(thrown).not.toBe(refused);
    expect(Object.isFrozen(thrown)).toBe(false);
    expect((thrown as AppError).message).toBe((refused as AppError).message);
  });
});
