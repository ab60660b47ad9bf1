import { describe, expect, test } from "bun:test";
import { bearerToken } from "./access";
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
