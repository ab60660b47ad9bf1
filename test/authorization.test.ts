/**
 * Authorization and tenant isolation: regressions of problems an audit found against a running
 * server (each test failed before its fix).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ADMIN, createIdentityTestApp, type TestApp } from "./helpers/app";

let t: TestApp;
let admin: string;
let adminId: string;
beforeAll(async () => {
  t = await createIdentityTestApp();
  admin = await t.login(ADMIN.email, ADMIN.password);
  adminId = (await t.request("GET", "/api/v1/auth/me", { token: admin })).json.data.user.id;
});
afterAll(() => t.close());

const createUser = async (roles: string[]) => {
  const email = `${roles.join("-")}-${crypto.randomUUID().slice(0, 8)}@example.com`;
  const res = await t.request("POST", "/api/v1/users", { token: admin, body: { email, password: "password-123", roles } });
  expect(res.status).toBe(201);
  return { id: res.json.data.id as string, email, token: await t.login(email, "password-123") };
};

describe("instance admins", () => {
  test("an owner who is not an instance admin cannot take over, demote or disable the instance admin", async () => {
    const owner = await createUser(["owner"]);
    const key = await t.request("POST", "/api/v1/keys", { token: owner.token, body: { name: "co-owner" } });
    for (const token of [owner.token, key.json.data.key]) {
      for (const body of [{ password: "taken-over-123" }, { roles: ["member"] }, { disabled: true }]) {
        const res = await t.request("PATCH", `/api/v1/users/${adminId}`, { token, body });
        expect(res.status).toBe(403);
        expect(res.json.error.code).toBe("FORBIDDEN");
      }
      expect((await t.request("DELETE", `/api/v1/users/${adminId}`, { token })).status).toBe(403);
    }
    // Nothing changed: the instance admin still signs in with the old password and keeps the account list.
    const again = await t.login(ADMIN.email, ADMIN.password);
    expect((await t.request("GET", "/api/v1/accounts", { token: again })).status).toBe(200);
    expect((await t.request("POST", "/api/v1/auth/login", { body: { email: ADMIN.email, password: "taken-over-123" } })).status).toBe(401);
    // The owner still manages ordinary users, and the instance admin still manages the owner.
    const member = await createUser(["member"]);
    expect((await t.request("PATCH", `/api/v1/users/${member.id}`, { token: owner.token, body: { roles: ["admin"] } })).status).toBe(200);
    expect((await t.request("PATCH", `/api/v1/users/${owner.id}`, { token: admin, body: { roles: ["admin"] } })).status).toBe(200);
  });
});

describe("the account's OpenAPI document", () => {
  test("a key's IP allowlist applies to it (no socket address here, so an allowlist refuses)", async () => {
    const open = await t.request("POST", "/api/v1/keys", { token: admin, body: { name: "anywhere" } });
    const locked = await t.request("POST", "/api/v1/keys", { token: admin, body: { name: "lan only", ip_allowlist: ["10.0.0.0/8"] } });
    expect((await t.request("GET", "/api/v1/x/default/openapi.json", { token: open.json.data.key })).status).toBe(200);
    const refused = await t.request("GET", "/api/v1/x/default/openapi.json", { token: locked.json.data.key });
    expect(refused.status).toBe(403);
    expect(refused.json.error.message).toContain("IP");
    // The same key is refused by the management API too: the document is no way around it.
    expect((await t.request("GET", "/api/v1/endpoints", { token: locked.json.data.key })).status).toBe(403);
  });

  test("an account allowlist applies to it", async () => {
    const res = await t.request("POST", "/api/v1/accounts", {
      token: admin,
      body: { slug: "walled", ip_allowlist: ["10.0.0.0/8"], owner: { email: "owner@walled.test", password: "walled-password" } },
    });
    expect(res.status).toBe(201);
    const token = await t.login("owner@walled.test", "walled-password");
    expect((await t.request("GET", "/api/v1/x/walled/openapi.json", { token })).status).toBe(403);
  });

  test("an authenticated answer carries the rate-limit headers like every other", async () => {
    const res = await t.request("POST", "/api/v1/accounts", {
      token: admin,
      body: { slug: "metered", plan: "free", owner: { email: "owner@metered.test", password: "metered-password" } },
    });
    expect(res.status).toBe(201);
    const token = await t.login("owner@metered.test", "metered-password");
    const doc = await t.request("GET", "/api/v1/x/metered/openapi.json", { token });
    expect(doc.status).toBe(200);
    expect(doc.headers.get("x-ratelimit-limit")).toBe("60");
  });
});

describe("custom endpoint history", () => {
  test("a call refused for another account's token or a missing invoke scope is not recorded", async () => {
    const created = await t.request("POST", "/api/v1/accounts", {
      token: admin,
      body: { slug: "tenant-b", owner: { email: "owner@tenant-b.test", password: "tenant-b-password" } },
    });
    expect(created.status).toBe(201);
    const other = await t.login("owner@tenant-b.test", "tenant-b-password");
    const otherKey = (await t.request("POST", "/api/v1/keys", { token: other, body: { name: "b's key" } })).json.data;
    const manageOnly = (await t.request("POST", "/api/v1/keys", { token: admin, body: { name: "manage only", scopes: ["manage"] } })).json.data;
    const ep = await t.request("POST", "/api/v1/endpoints", {
      token: admin,
      body: { name: "audited", path: "/audited", method: "GET", actions: [{ type: "transform", config: { template: 1 } }] },
    });
    expect(ep.status).toBe(201);
    const foreign = await t.request("GET", "/api/v1/x/default/audited", { token: otherKey.key });
    expect(foreign.status).toBe(403);
    expect((await t.request("GET", "/api/v1/x/default/audited", { token: manageOnly.key })).status).toBe(403);
    const ok = await t.request("GET", "/api/v1/x/default/audited", { token: admin });
    expect(ok.status).toBe(200);
    t.services.recorder.flush();
    const history = await t.request("GET", `/api/v1/endpoints/${ep.json.data.id}/executions`, { token: admin });
    expect(history.status).toBe(200);
    // Only the call that got past authentication: nothing of the other account (its key prefix) lands here.
    expect(history.json.data.map((e: { id: string }) => e.id)).toEqual([ok.headers.get("x-execution-id")]);
    expect(history.text).not.toContain(otherKey.prefix);
    expect((await t.request("GET", `/api/v1/executions/${foreign.headers.get("x-execution-id")}`, { token: admin })).status).toBe(404);
  });
});
