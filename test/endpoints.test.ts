import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ADMIN, createIdentityTestApp, type TestApp } from "./helpers/app";
import { registerTestActions } from "./helpers/endpoints";
import { DISPATCH_ROUTE, dispatchNativeRoutes } from "../src/modules/endpoints/dispatch-routes";

let t: TestApp;
let admin: string;
let calls: { count: number };
beforeAll(async () => {
  t = await createIdentityTestApp();
  admin = await t.login(ADMIN.email, ADMIN.password);
  calls = registerTestActions(t);
});
afterAll(() => t.close());

const define = async (body: Record<string, unknown>, token = admin) => {
  const res = await t.request("POST", "/api/v1/endpoints", { token, body });
  if (res.status !== 201) throw new Error(`define failed: ${res.status} ${res.text}`);
  return res.json.data as { id: string; url: string };
};
const remove = (id: string) => t.request("DELETE", `/api/v1/endpoints/${id}`, { token: admin });
const call = (method: string, path: string, init: Parameters<TestApp["request"]>[2] = {}) => t.request(method, `/api/v1/x/default${path}`, init);

describe("definitions", () => {
  test("create, get, list with filters, patch, delete", async () => {
    const created = await define({ name: "Hello ünïcode", path: "/hello/:who", method: "GET", actions: [{ type: "transform", config: { template: "hi {{request.params.who}}" } }] });
    expect(created.url).toBe("/api/v1/x/default/hello/:who");
    const other = await define({ name: "Disabled one", path: "/off", method: "POST", enabled: false, actions: [] });
    const list = await t.request("GET", "/api/v1/endpoints?limit=1&page=1", { token: admin });
    expect(list.json.meta).toEqual({ page: 1, limit: 1, total: 2 });
    const enabled = await t.request("GET", "/api/v1/endpoints?enabled=true", { token: admin });
    expect(enabled.json.data.map((e: { id: string }) => e.id)).toEqual([created.id]);
    const search = await t.request("GET", `/api/v1/endpoints?search=${encodeURIComponent("ünï")}`, { token: admin });
    expect(search.json.data.map((e: { id: string }) => e.id)).toEqual([created.id]);
    const wild = await t.request("GET", `/api/v1/endpoints?search=${encodeURIComponent("%")}`, { token: admin });
    expect(wild.json.data).toEqual([]);
    const patched = await t.request("PATCH", `/api/v1/endpoints/${created.id}`, { token: admin, body: { cost: 3 } });
    expect(patched.json.data.cost).toBe(3);
    expect(patched.json.data.path).toBe("/hello/:who");
    expect((await call("GET", "/hello/w%C3%B6rld", { token: admin })).json).toBe("hi wörld");
    expect((await remove(created.id)).status).toBe(200);
    expect((await call("GET", "/hello/x")).status).toBe(404);
    await remove(other.id);
  });

  const bad: [string, Record<string, unknown>, string][] = [
    ["path syntax", { path: "/a//b" }, "path"],
    ["path without slash", { path: "orders" }, "path"],
    ["condition", { condition: "auth.roles = = 'x'" }, "condition"],
    ["unknown action type", { actions: [{ type: "transform", config: { template: 1 } }, { type: "nope" }] }, "actions[1].type"],
    ["action config", { actions: [{ type: "echo_number", config: { n: "not a number" } }] }, "actions[0].config.n"],
    ["action template syntax", { actions: [{ type: "transform", config: { template: { a: "{{#if}}" } } }] }, "actions[0].config.template.a"],
    ["response template", { response_template: { status: "abc" } }, "response_template.status"],
    ["response status true", { response_template: { status: true } }, "response_template.status"],
    ["response status object", { response_template: { status: {} } }, "response_template.status"],
    ["response status 600", { response_template: { status: 600 } }, "response_template.status"],
    ["body schema", { body_schema: { type: "nonsense" } }, "body_schema"],
    ["signature credential", { signature: { scheme: "stripe", credential: "stripe_secret" } }, "signature.credential"],
    ["cors origin", { cors: { origins: ["https://x.test/path"] } }, "cors.origins[0]"],
  ];
  for (const [name, patch, field] of bad) {
    test(`bad ${name} -> 400 naming ${field}`, async () => {
      const res = await t.request("POST", "/api/v1/endpoints", { token: admin, body: { name: "bad", path: "/bad", method: "POST", actions: [], ...patch } });
      expect(res.status).toBe(400);
      expect(res.json.error.code).toBe("VALIDATION_ERROR");
      expect(res.json.error.details.field).toBe(field);
      if (field.startsWith("actions[")) expect(res.json.error.details.action_index).toBe(Number(field[8]));
    });
  }

  test("a status that is not a code or a template is named with what it must be, on create and on change", async () => {
    const message = "Invalid response_template.status: expected a status code (200-599) or a template";
    const created = await t.request("POST", "/api/v1/endpoints", { token: admin, body: { name: "s", path: "/status", method: "POST", actions: [], response_template: { status: true } } });
    expect(created.json.error).toEqual({ code: "VALIDATION_ERROR", message, details: { field: "response_template.status" } });
    const ep = await define({ name: "s", path: "/status", method: "POST", actions: [], response_template: { status: 201 } });
    const changed = await t.request("PATCH", `/api/v1/endpoints/${ep.id}`, { token: admin, body: { response_template: { status: { code: 200 } } } });
    expect(changed.json.error).toEqual({ code: "VALIDATION_ERROR", message, details: { field: "response_template.status" } });
    await remove(ep.id);
  });

  test("an out-of-range page or limit is a 400 naming the query parameter", async () => {
    for (const [query, field] of [["limit=-1", "query.limit"], ["page=0", "query.page"], ["limit=5000", "query.limit"], ["page=0&limit=0", "query"]]) {
      const res = await t.request("GET", `/api/v1/endpoints?${query}`, { token: admin });
      expect(res.status).toBe(400);
      expect(res.json.error.details.on).toBe("query");
      expect(res.json.error.details.errors[0].field).toBe(field);
    }
  });

  test("a template may stand where the schema wants a number", async () => {
    const ep = await define({ name: "n", path: "/double", method: "POST", actions: [{ type: "echo_number", config: { n: "{{request.body.n}}" } }] });
    expect((await call("POST", "/double", { token: admin, body: { n: 21 } })).json).toBe(42);
    const wrong = await call("POST", "/double", { token: admin, body: { n: "abc" } });
    expect(wrong.status).toBe(400);
    expect(wrong.json.error.message).toContain("config.n");
    await remove(ep.id);
  });

  test("schema limits: name length, 50 actions, timeout, cost", async () => {
    const base = { name: "x", path: "/lim", method: "GET", actions: [] };
    for (const patch of [{ name: "n".repeat(201) }, { path: "/" + "p".repeat(500) }, { actions: Array.from({ length: 51 }, () => ({ type: "count_calls" })) }, { timeout_ms: 30_001 }, { cost: 11 }, { method: "TRACE" }, { extra: 1 }]) {
      const res = await t.request("POST", "/api/v1/endpoints", { token: admin, body: { ...base, ...patch } });
      expect(res.status).toBe(400);
    }
  });

  test("(path, method) is unique, also with renamed params; at most 20 per account", async () => {
    const first = await define({ name: "a", path: "/items/:id", method: "GET", actions: [] });
    const clash = await t.request("POST", "/api/v1/endpoints", { token: admin, body: { name: "b", path: "/items/:other", method: "GET", actions: [] } });
    expect(clash.status).toBe(409);
    const otherMethod = await define({ name: "c", path: "/items/:id", method: "DELETE", actions: [] });
    const ids = [first.id, otherMethod.id];
    const current = (await t.request("GET", "/api/v1/endpoints", { token: admin })).json.meta.total;
    for (let i = current; i < 20; i++) ids.push((await define({ name: `f${i}`, path: `/fill/${i}`, method: "GET", actions: [] })).id);
    const over = await t.request("POST", "/api/v1/endpoints", { token: admin, body: { name: "21st", path: "/over", method: "GET", actions: [] } });
    expect(over.status).toBe(409);
    for (const id of ids) await remove(id);
  });
});

describe("dispatch order: each failing step stops everything after it", () => {
  test("404 unknown path or account, 405 with Allow, literal beats param", async () => {
    const lit = await define({ name: "me", path: "/users/me", method: "GET", auth_required: false, actions: [{ type: "transform", config: { template: "literal" } }] });
    const param = await define({ name: "user", path: "/users/:id", method: "GET", auth_required: false, actions: [{ type: "transform", config: { template: "{{request.params.id}}" } }] });
    expect((await call("GET", "/users/me")).json).toBe("literal");
    expect((await call("GET", "/users/' OR 1=1 --")).json).toBe("' OR 1=1 --");
    expect((await call("GET", "/users/%22%7D%7B")).json).toBe('"}{');
    const unknown = await call("GET", "/nothing/here");
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get("x-execution-id")).toMatch(/^exe_/);
    expect((await t.request("GET", "/api/v1/x/no-such-account/users/me")).status).toBe(404);
    const wrongMethod = await call("POST", "/users/me");
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get("allow")).toBe("GET");
    expect(wrongMethod.json.error.code).toBe("METHOD_NOT_ALLOWED");
    await remove(lit.id);
    await remove(param.id);
  });

  test("403 for a public endpoint of a disabled account; 500 for an endpoint whose action type is gone; nothing runs", async () => {
    const account = (
      await t.request("POST", "/api/v1/accounts", { token: admin, body: { slug: "paused", owner: { email: "o@paused.test", password: "paused-pass" } } })
    ).json.data;
    const owner = await t.login("o@paused.test", "paused-pass");
    expect((await t.request("POST", "/api/v1/endpoints", { token: owner, body: { name: "p", path: "/p", method: "POST", auth_required: false, actions: [{ type: "count_calls" }] } })).status).toBe(201);
    const before = calls.count;
    expect((await t.request("POST", "/api/v1/x/paused/p", { body: {} })).status).toBe(200);
    expect((await t.request("PATCH", `/api/v1/accounts/${account.id}`, { token: admin, body: { active: false } })).status).toBe(200);
    const refused = await t.request("POST", "/api/v1/x/paused/p", { body: {} });
    expect(refused.status).toBe(403);
    expect(refused.json.error.message).toBe("Account is disabled");
    expect(calls.count).toBe(before + 1);

    // A definition saved while its action type existed, which has since gone (a plugin removed).
    const ep = await define({ name: "gone", path: "/gone", method: "POST", auth_required: false, actions: [{ type: "count_calls" }] });
    t.db.sqlite.run("UPDATE endpoints SET actions = ? WHERE id = ?", [JSON.stringify([{ type: "no_such_type" }]), ep.id]);
    t.services.endpoints.invalidateAll();
    const broken = await call("POST", "/gone", { body: {} });
    expect(broken.status).toBe(500);
    expect(broken.json.error).toMatchObject({ code: "INTERNAL_ERROR", message: expect.stringContaining("no longer available") });
    expect(calls.count).toBe(before + 1);
    await remove(ep.id);
  });

  test("refusals before the body is read are answered synchronously; every answer of the native route leaves at the end of its turn", async () => {
    // A flood of bad keys or unknown paths must cost the dispatcher no promise, timer or body read
    // per call; the listening server's route (Bun's router) then holds every answer until the end
    // of the event loop's turn, to be sent with the others of that turn (http/coalesce.ts).
    const ep = await define({ name: "sync", path: "/sync", method: "POST", actions: [{ type: "count_calls" }] });
    const route = dispatchNativeRoutes(t.services.dispatch, t.logger, t.config.bodyLimitBytes)[DISPATCH_ROUTE];
    const socket = { requestIP: () => ({ address: "127.0.0.1", family: "IPv4", port: 1 }) } as never;
    const request = (path: string, token?: string) =>
      new Request(`http://localhost/api/v1/x/default${path}`, { method: "POST", headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: "{}" });
    const before = calls.count;
    const logged = t.logger.lines.length;
    const refusals = [["/sync", `sb_${"x".repeat(32)}`, 401], ["/sync", undefined, 401], ["/nothing", admin, 404]] as const;
    for (const [path, token, status] of refusals) {
      const direct = t.services.dispatch({ request: request(path, token), slug: "default", rest: path.slice(1), server: socket });
      expect(direct).toBeInstanceOf(Response);
      expect((direct as Response).status).toBe(status);
      expect((direct as Response).bodyUsed).toBe(false);
    }
    for (const [path, token, status] of refusals) {
      const held = route(request(path, token), socket);
      expect(held).toBeInstanceOf(Promise);
      const res = await held;
      expect(res.status).toBe(status);
      expect(res.headers.get("x-execution-id")).toMatch(/^exe_/);
      expect(res.headers.get("x-request-id")).toMatch(/^req_/);
      expect((await res.json()).success).toBe(false);
    }
    const badSlug = await route(new Request("http://localhost/api/v1/x/%E0%A4%A/sync", { method: "POST" }), socket);
    expect(badSlug.status).toBe(400);
    expect((await badSlug.json()).error).toMatchObject({ code: "VALIDATION_ERROR", message: "Malformed request path" });
    const admitted = t.services.dispatch({ request: request("/sync", admin), slug: "default", rest: "sync", server: socket });
    expect(admitted).toBeInstanceOf(Promise);
    expect((await admitted).status).toBe(200);
    expect((await route(request("/sync", admin), socket)).status).toBe(200);
    expect(calls.count).toBe(before + 2);
    // One access line per call of the route, whichever way it was answered (it has no framework
    // hook); a call made straight to the dispatcher without `access` writes none. Only this test's
    // paths: the framework's access lines of earlier calls may be written after an answer here
    // has waited for the end of a turn.
    const paths = new Set(["/api/v1/x/default/sync", "/api/v1/x/default/nothing", "/api/v1/x/%E0%A4%A/sync"]);
    const access = t.logger.lines
      .slice(logged)
      .map((line) => JSON.parse(line))
      .filter((line) => line.msg === "http" && paths.has(line.path));
    expect(access.map((line) => [line.path, line.status])).toEqual([
      ["/api/v1/x/default/sync", 401],
      ["/api/v1/x/default/sync", 401],
      ["/api/v1/x/default/nothing", 404],
      ["/api/v1/x/%E0%A4%A/sync", 400],
      ["/api/v1/x/default/sync", 200],
    ]);
    for (const line of access) expect(line.request_id).toMatch(/^req_/);
    await remove(ep.id);
  });

  test("the native route's X-Request-Id shares the execution id's random part, or is the caller's own", async () => {
    const ep = await define({ name: "ids", path: "/ids", method: "GET", actions: [{ type: "count_calls" }] });
    const route = dispatchNativeRoutes(t.services.dispatch, t.logger, t.config.bodyLimitBytes)[DISPATCH_ROUTE];
    const socket = { requestIP: () => ({ address: "127.0.0.1", family: "IPv4", port: 1 }) } as never;
    const send = async (headers: Record<string, string>) => await route(new Request("http://localhost/api/v1/x/default/ids", { headers: { authorization: `Bearer ${admin}`, ...headers } }), socket);
    const logged = t.logger.lines.length;
    const own = await send({});
    expect(own.status).toBe(200);
    const executionId = own.headers.get("x-execution-id")!;
    expect(executionId).toMatch(/^exe_[0-9a-z]{26}$/);
    expect(own.headers.get("x-request-id")).toBe(`req_${executionId.slice(4)}`);
    // Two calls never share ids.
    expect((await send({})).headers.get("x-execution-id")).not.toBe(executionId);
    const traced = await send({ "x-request-id": "trace-42" });
    expect(traced.headers.get("x-request-id")).toBe("trace-42");
    expect(traced.headers.get("x-execution-id")).toMatch(/^exe_/);
    // Only this route's lines: the framework's own access lines (the endpoint's definition above)
    // may be written after an answer of the native route has waited for the end of a turn.
    const access = t.logger.lines
      .slice(logged)
      .map((line) => JSON.parse(line))
      .filter((line) => line.msg === "http" && line.path === "/api/v1/x/default/ids");
    expect(access.map((line) => line.request_id)).toEqual([`req_${executionId.slice(4)}`, expect.stringMatching(/^req_/), "trace-42"]);
    await remove(ep.id);
  });

  test("401 without or with a bad token; 403 for a manage-only key or another account's token", async () => {
    const ep = await define({ name: "private", path: "/private", method: "GET", actions: [{ type: "count_calls" }] });
    const before = calls.count;
    expect((await call("GET", "/private")).status).toBe(401);
    expect((await call("GET", "/private", { headers: { authorization: `Bearer sb_${"x".repeat(32)}` } })).status).toBe(401);
    const manageOnly = await t.request("POST", "/api/v1/keys", { token: admin, body: { name: "m", scopes: ["manage"] } });
    expect((await call("GET", "/private", { token: manageOnly.json.data.key })).status).toBe(403);
    await t.request("POST", "/api/v1/accounts", { token: admin, body: { slug: "other", owner: { email: "o@other.test", password: "other-password" } } });
    const otherToken = await t.login("o@other.test", "other-password");
    expect((await call("GET", "/private", { token: otherToken })).status).toBe(403);
    expect(calls.count).toBe(before);
    const invokeOnly = await t.request("POST", "/api/v1/keys", { token: admin, body: { name: "i", scopes: ["invoke"] } });
    expect((await call("GET", "/private", { token: invokeOnly.json.data.key })).status).toBe(200);
    expect(calls.count).toBe(before + 1);
    for (const key of [manageOnly, invokeOnly]) await t.request("DELETE", `/api/v1/keys/${key.json.data.id}`, { token: admin });
    await remove(ep.id);
  });

  test("403 when the key's IP allowlist refuses the caller", async () => {
    const ep = await define({ name: "ip", path: "/ip", method: "GET", actions: [{ type: "count_calls" }] });
    const key = await t.request("POST", "/api/v1/keys", { token: admin, body: { name: "ip", ip_allowlist: ["10.0.0.0/8"] } });
    const before = calls.count;
    const res = await call("GET", "/ip", { token: key.json.data.key });
    expect(res.status).toBe(403);
    expect(calls.count).toBe(before);
    await t.request("DELETE", `/api/v1/keys/${key.json.data.id}`, { token: admin });
    await remove(ep.id);
  });

  test("403 from the condition @has_role('admin') or @owns_record()", async () => {
    const ep = await define({
      name: "owned",
      path: "/users/:owner_id/profile",
      method: "GET",
      condition: "@has_role('admin') or @owns_record()",
      actions: [{ type: "transform", config: { template: { owner: "{{request.params.owner_id}}", me: "{{auth.user_id}}" } } }],
    });
    const member = await t.request("POST", "/api/v1/users", { token: admin, body: { email: "member@example.com", password: "member-password", roles: ["member"] } });
    const memberToken = await t.login("member@example.com", "member-password");
    const memberId = member.json.data.id;
    expect((await call("GET", `/users/${memberId}/profile`, { token: memberToken })).json).toEqual({ owner: memberId, me: memberId });
    const denied = await call("GET", "/users/usr_someone_else/profile", { token: memberToken });
    expect(denied.status).toBe(403);
    expect(denied.json.error.code).toBe("FORBIDDEN");
    await t.request("PATCH", `/api/v1/users/${memberId}`, { token: admin, body: { roles: ["admin"] } });
    const asAdmin = await call("GET", "/users/usr_someone_else/profile", { token: await t.login("member@example.com", "member-password") });
    expect(asAdmin.status).toBe(200);
    await remove(ep.id);
  });

  test("429 on the free plan, 402 without credits, nothing run", async () => {
    await t.request("POST", "/api/v1/accounts", { token: admin, body: { slug: "metered", plan: "free", credits: 2, owner: { email: "m@metered.test", password: "metered-pass" } } });
    const owner = await t.login("m@metered.test", "metered-pass");
    const ep = await t.request("POST", "/api/v1/endpoints", { token: owner, body: { name: "c", path: "/c", method: "POST", cost: 1, actions: [{ type: "count_calls" }] } });
    expect(ep.status).toBe(201);
    const key = (await t.request("POST", "/api/v1/keys", { token: owner, body: { name: "k" } })).json.data.key;
    const at = (path: string) => t.request("POST", `/api/v1/x/metered${path}`, { token: key, body: {} });
    const before = calls.count;
    expect((await at("/c")).status).toBe(200);
    expect((await at("/c")).status).toBe(200);
    const broke = await at("/c");
    expect(broke.status).toBe(402);
    expect(broke.json.error.code).toBe("INSUFFICIENT_CREDITS");
    expect(calls.count).toBe(before + 2);
    for (let i = 3; i < 60; i++) expect((await at("/c")).status).toBe(402); // every authenticated call counts
    const limited = await at("/c");
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).not.toBeNull();
    expect(calls.count).toBe(before + 2);
  });

  test("a metered key's calls count down, then get 429; nothing runs", async () => {
    await define({ name: "metered", path: "/metered", method: "POST", actions: [{ type: "count_calls" }] });
    const key = (await t.request("POST", "/api/v1/keys", { token: admin, body: { name: "metered", remaining: 2 } })).json.data.key;
    const before = calls.count;
    const first = await call("POST", "/metered", { token: key, body: {} });
    expect(first.status).toBe(200);
    expect(first.headers.get("x-key-remaining")).toBe("1");
    expect((await call("POST", "/metered", { token: key, body: {} })).status).toBe(200);
    const spent = await call("POST", "/metered", { token: key, body: {} });
    expect(spent.status).toBe(429);
    expect(spent.json.error).toMatchObject({ code: "RATE_LIMITED", message: "This API key has no remaining uses" });
    expect(spent.headers.get("x-execution-id")).toStartWith("exe_");
    expect(calls.count).toBe(before + 2);
    // On an unlimited plan (no X-RateLimit-* headers at all), the count still comes back.
    const unlimited = (await t.request("POST", "/api/v1/keys", { token: admin, body: { name: "metered, unlimited", remaining: 1, plan: "unlimited" } })).json.data.key;
    const once = await call("POST", "/metered", { token: unlimited, body: {} });
    expect(once.status).toBe(200);
    expect(once.headers.get("x-key-remaining")).toBe("0");
    expect(once.headers.get("x-ratelimit-limit")).toBeNull();
    expect((await call("POST", "/metered", { token: unlimited, body: {} })).status).toBe(429);
  });

  test("400 from body_schema names the failing path; nothing runs", async () => {
    const ep = await define({
      name: "schema",
      path: "/orders",
      method: "POST",
      body_schema: { type: "object", required: ["customer_id"], properties: { customer_id: { type: "string", minLength: 1 }, qty: { type: "integer", minimum: 1 } } },
      actions: [{ type: "count_calls" }],
    });
    const before = calls.count;
    const missing = await call("POST", "/orders", { token: admin, body: { qty: 2 } });
    expect(missing.status).toBe(400);
    expect(missing.json.error.message).toContain("customer_id");
    const wrong = await call("POST", "/orders", { token: admin, body: { customer_id: "c1", qty: 0 } });
    expect(wrong.json.error.details.errors[0].path).toBe("/qty");
    const malformed = await call("POST", "/orders", { token: admin, rawBody: "{nope", headers: { "content-type": "application/json" } });
    expect(malformed.status).toBe(400);
    expect(calls.count).toBe(before);
    expect((await call("POST", "/orders", { token: admin, body: { customer_id: "c1", qty: 1 } })).status).toBe(200);
    await remove(ep.id);
  });

  test("a body_schema whose checks multiply is refused when saved; one saved before still checks bodies", async () => {
    // Both allOf branches go down `deep` again: 2^depth checks on [[[[...]]]].
    const costly = { type: "object", required: ["a"], properties: { deep: { type: "array", allOf: [{ items: { $ref: "#/properties/deep" } }, { items: { $ref: "#/properties/deep" } }] } } };
    const refused = await t.request("POST", "/api/v1/endpoints", { token: admin, body: { name: "costly", path: "/costly", method: "POST", actions: [], body_schema: costly } });
    expect(refused.status).toBe(400);
    expect(refused.json.error).toMatchObject({ code: "VALIDATION_ERROR", details: { field: "body_schema", schema_path: "/properties/deep" } });
    expect(refused.json.error.message).toStartWith("Invalid body_schema: at /properties/deep: a body value nested");

    // As a row saved before the check: it loads, and bodies are checked (to their first error).
    const ep = await define({ name: "costly", path: "/costly", method: "POST", actions: [{ type: "count_calls" }], body_schema: { type: "object" } });
    t.db.sqlite.run("UPDATE endpoints SET body_schema = ? WHERE id = ?", [JSON.stringify(costly), ep.id]);
    t.services.endpoints.invalidateAll();
    expect((await call("POST", "/costly", { token: admin, body: { a: 1, deep: [[], [[]]] } })).status).toBe(200);
    const bad = await call("POST", "/costly", { token: admin, body: { deep: [[1]] } });
    expect(bad.status).toBe(400);
    expect(bad.json.error.details.errors).toEqual([{ path: "/", message: 'must have property "a"' }]);
    await remove(ep.id);
  });

  test("504 when the pipeline outlives timeout_ms, and the next action never runs", async () => {
    const ep = await define({ name: "slow", path: "/slow", method: "GET", timeout_ms: 150, actions: [{ type: "sleep", config: { ms: 1000 } }, { type: "count_calls" }] });
    const before = calls.count;
    const started = performance.now();
    const res = await call("GET", "/slow", { token: admin });
    expect(res.status).toBe(504);
    expect(res.json.error.code).toBe("TIMEOUT");
    expect(performance.now() - started).toBeLessThan(900);
    await Bun.sleep(1000);
    expect(calls.count).toBe(before);
    await remove(ep.id);
  });

  test("a failing action stops the pipeline with its code; a raw error does not leak", async () => {
    const ep = await define({ name: "failing", path: "/failing", method: "GET", actions: [{ type: "count_calls" }, { type: "fail" }, { type: "count_calls" }] });
    const before = calls.count;
    const res = await call("GET", "/failing", { token: admin });
    expect(res.status).toBe(502);
    expect(res.json.error).toMatchObject({ code: "UPSTREAM_ERROR", details: { action_index: 1, type: "fail" } });
    expect(calls.count).toBe(before + 1);
    const raw = await define({ name: "raw", path: "/raw", method: "GET", actions: [{ type: "fail", config: { raw: true } }] });
    const rawRes = await call("GET", "/raw", { token: admin });
    expect(rawRes.status).toBe(500);
    expect(rawRes.text).not.toContain("SQLITE");
    await remove(ep.id);
    await remove(raw.id);
  });
});

describe("pipeline and answers", () => {
  test("the Customer Order Summary shape works with transform-only actions", async () => {
    const ep = await define({
      name: "Customer Order Summary",
      description: "Orders, total and summary of one customer",
      path: "/customers/:customer_id/summary",
      method: "GET",
      auth_required: true,
      actions: [
        { type: "transform", name: "orders", config: { template: [{ id: "o1", customer_id: "{{request.params.customer_id}}", total: 30 }, { id: "o2", total: 12.5 }] } },
        { type: "transform", name: "total", config: { template: 42.5 } },
        { type: "transform", name: "summary", config: { template: { customer_id: "{{request.params.customer_id}}", orders: "{{actions[0].result}}", order_count: 2, total_spent: "{{actions[1].result}}", generated_at: "{{now}}" } } },
      ],
      response_template: { status: 200, body: "{{actions[2].result}}", headers: { "x-customer": "{{request.params.customer_id}}" } },
    });
    const res = await call("GET", "/customers/c%2042/summary", { token: admin });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-customer")).toBe("c 42");
    expect(res.json).toMatchObject({ customer_id: "c 42", order_count: 2, total_spent: 42.5, orders: [{ id: "o1", customer_id: "c 42", total: 30 }, { id: "o2", total: 12.5 }] });
    expect(Date.parse(res.json.generated_at)).toBeGreaterThan(0);
    await remove(ep.id);
  });

  test("no response template: 200 with the last result; hostile values keep the JSON valid", async () => {
    const ep = await define({ name: "echo", path: "/echo", method: "POST", actions: [{ type: "transform", config: { template: { said: "{{request.body.text}}", n: "{{request.body.n}}" } } }] });
    for (const text of ['"}, {"injected": true', "' or 1=1 --", "\\\u0000\n", "🚀", "{{constructor}}"]) {
      const res = await call("POST", "/echo", { token: admin, body: { text, n: 7 } });
      expect(res.status).toBe(200);
      expect(res.json).toEqual({ said: text, n: 7 });
    }
    await remove(ep.id);
  });

  test("response template with a status and a text body", async () => {
    const ep = await define({ name: "created", path: "/made", method: "POST", actions: [], response_template: { status: "{{request.body.status}}", body: "made {{request.body.what}}" } });
    const res = await call("POST", "/made", { token: admin, body: { status: 201, what: "it" } });
    expect(res.status).toBe(201);
    expect(res.text).toBe("made it");
    expect(res.headers.get("content-type")).toContain("text/plain");
    await remove(ep.id);
  });

  test("rendered header values HTTP cannot carry are made sendable: control characters to spaces, the rest percent-encoded", async () => {
    const ep = await define({ name: "hdr", path: "/hdr/:p", method: "POST", actions: [], response_template: { status: 200, body: "ok", headers: { "x-b": "{{request.body.h}}", "x-p": "{{request.params.p}}" } } });
    const cases: [string, string][] = [
      ["plain ascii; tab\tok", "plain ascii; tab\tok"],
      ["€uro", "%E2%82%ACuro"],
      ["zoë", "zo%C3%AB"],
      ["a\u0001b\r\nSet-Cookie: x=1", "a b  Set-Cookie: x=1"],
      ["lone \ud800 surrogate", "lone %EF%BF%BD surrogate"],
    ];
    for (const [sent, expected] of cases) {
      const res = await call("POST", "/hdr/%E2%82%AC", { token: admin, body: { h: sent } });
      expect(res.status).toBe(200);
      expect(res.headers.get("x-b")).toBe(expected);
      expect(res.headers.get("x-p")).toBe("%E2%82%AC");
      expect(res.headers.get("set-cookie")).toBeNull();
    }
    // A stored answer replays as it was sent, and history holds the status sent.
    const first = await call("POST", "/hdr/x", { token: admin, body: { h: "€" }, headers: { "idempotency-key": "hdr-1" } });
    const again = await call("POST", "/hdr/x", { token: admin, body: { h: "€" }, headers: { "idempotency-key": "hdr-1" } });
    expect([first.status, again.status]).toEqual([200, 200]);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.headers.get("x-b")).toBe("%E2%82%AC");
    t.services.recorder.flush();
    const history = await t.request("GET", `/api/v1/executions/${first.headers.get("x-execution-id")}`, { token: admin });
    expect(history.json.data).toMatchObject({ status: "completed", http_status: 200 });
    await remove(ep.id);
  });

  test("a 1xx status is refused when saved, and is an enveloped 500 when a template renders one", async () => {
    for (const status of [101, "101", 199]) {
      const res = await t.request("POST", "/api/v1/endpoints", { token: admin, body: { name: "s", path: "/s1xx", method: "POST", actions: [], response_template: { status } } });
      expect(res.status).toBe(400);
      expect(res.json.error.code).toBe("VALIDATION_ERROR");
    }
    const ep = await define({ name: "s", path: "/s1xx", method: "POST", actions: [], response_template: { status: "{{request.body.s}}" } });
    for (const s of [100, 101, 103, "1e2"]) {
      const res = await call("POST", "/s1xx", { token: admin, body: { s } });
      expect(res.status).toBe(500);
      expect(res.json.error.code).toBe("INTERNAL_ERROR");
      expect(res.headers.get("x-execution-id")).toMatch(/^exe_/);
    }
    await remove(ep.id);
  });

  test("a body the client stops sending midway is a 400, not an internal error", async () => {
    const ep = await define({ name: "cut", path: "/cut", method: "POST", actions: [] });
    let sent = false;
    const cut = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent) return controller.error(new Error("connection reset"));
        sent = true;
        controller.enqueue(new TextEncoder().encode('{"a":'));
      },
    });
    const errorsBefore = t.logger.lines.filter((l) => l.includes("dispatch failed")).length;
    const res = await call("POST", "/cut", { token: admin, rawBody: cut, headers: { "content-type": "application/json" } });
    expect(res.status).toBe(400);
    expect(res.json.error.code).toBe("VALIDATION_ERROR");
    expect(t.logger.lines.filter((l) => l.includes("dispatch failed")).length).toBe(errorsBefore);
    await remove(ep.id);
  });

  test("Idempotency-Key replays the first answer without running again; another body is a conflict", async () => {
    const ep = await define({ name: "idem", path: "/charge", method: "POST", actions: [{ type: "count_calls" }] });
    const before = calls.count;
    const first = await call("POST", "/charge", { token: admin, body: { amount: 5 }, headers: { "idempotency-key": "order-1" } });
    const again = await call("POST", "/charge", { token: admin, body: { amount: 5 }, headers: { "idempotency-key": "order-1" } });
    expect(again.status).toBe(first.status);
    expect(again.text).toBe(first.text);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(calls.count).toBe(before + 1);
    const changed = await call("POST", "/charge", { token: admin, body: { amount: 6 }, headers: { "idempotency-key": "order-1" } });
    expect(changed.status).toBe(409);
    const fresh = await call("POST", "/charge", { token: admin, body: { amount: 5 }, headers: { "idempotency-key": "order-2" } });
    expect(fresh.status).toBe(200);
    expect(calls.count).toBe(before + 2);
    await remove(ep.id);
  });

  test("a concurrent duplicate Idempotency-Key gets 409 while the first runs", async () => {
    const ep = await define({ name: "slow idem", path: "/slow-charge", method: "POST", actions: [{ type: "sleep", config: { ms: 200 } }] });
    const send = () => call("POST", "/slow-charge", { token: admin, body: { a: 1 }, headers: { "idempotency-key": "same" } });
    const [a, b] = await Promise.all([send(), Bun.sleep(30).then(send)]);
    expect([a.status, b.status].sort()).toEqual([200, 409]);
    const later = await send();
    expect(later.status).toBe(200);
    expect(later.headers.get("idempotent-replayed")).toBe("true");
    await remove(ep.id);
  });

  test("CORS preflight answers without running; allowed origins get the header", async () => {
    const ep = await define({ name: "cors", path: "/public", method: "POST", auth_required: false, cors: { origins: ["https://app.example.com"] }, actions: [{ type: "count_calls" }] });
    const before = calls.count;
    const pre = await call("OPTIONS", "/public", { headers: { origin: "https://app.example.com", "access-control-request-method": "POST" } });
    expect(pre.status).toBe(204);
    expect(pre.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
    expect(pre.headers.get("access-control-allow-methods")).toContain("POST");
    const evil = await call("OPTIONS", "/public", { headers: { origin: "https://evil.example", "access-control-request-method": "POST" } });
    expect(evil.headers.get("access-control-allow-origin")).toBeNull();
    expect(calls.count).toBe(before);
    const actual = await call("POST", "/public", { headers: { origin: "https://app.example.com" }, body: {} });
    expect(actual.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
    await remove(ep.id);
  });

  test("a per-endpoint body limit answers 413", async () => {
    const ep = await define({ name: "small", path: "/small", method: "POST", body_limit_bytes: 64, actions: [] });
    const res = await call("POST", "/small", { token: admin, body: { text: "x".repeat(100) } });
    expect(res.status).toBe(413);
    expect((await call("POST", "/small", { token: admin, body: { ok: 1 } })).status).toBe(200);
    await remove(ep.id);
  });
});

describe("execution history", () => {
  test("every call is recorded with per-step durations; the token never appears", async () => {
    const ep = await define({ name: "hist", path: "/hist", method: "POST", actions: [{ type: "transform", name: "first", config: { template: "{{request.body.v}}" } }, { type: "sleep", config: { ms: 20 } }] });
    const key = (await t.request("POST", "/api/v1/keys", { token: admin, body: { name: "hist" } })).json.data;
    const ok = await call("POST", "/hist", { token: key.key, body: { v: "hello" } });
    const refused = await call("POST", "/hist", { body: { v: "anon" } });
    expect(refused.status).toBe(401); // refused at authentication: not recorded
    const failed = await call("POST", "/hist", { token: key.key, rawBody: "{bad json", headers: { "content-type": "application/json" } });
    expect(failed.status).toBe(400);
    t.services.recorder.flush();
    const list = await t.request("GET", `/api/v1/endpoints/${ep.id}/executions`, { token: admin });
    expect(list.status).toBe(200);
    expect(list.json.data.length).toBe(2);
    const execution = await t.request("GET", `/api/v1/executions/${ok.headers.get("x-execution-id")}`, { token: admin });
    expect(execution.json.data).toMatchObject({ status: "completed", http_status: 200, key_prefix: key.prefix, method: "POST", path: "/hist" });
    const steps = execution.json.data.steps;
    expect(steps.map((s: { type: string }) => s.type)).toEqual(["transform", "sleep"]);
    expect(steps[0]).toMatchObject({ name: "first", status: "completed", result: "hello" });
    expect(steps[1].duration_ms).toBeGreaterThanOrEqual(15);
    const failedRecord = await t.request("GET", `/api/v1/executions/${failed.headers.get("x-execution-id")}`, { token: admin });
    expect(failedRecord.json.data).toMatchObject({ status: "failed", http_status: 400, error_code: "VALIDATION_ERROR" });
    expect((await t.request("GET", `/api/v1/executions/${refused.headers.get("x-execution-id")}`, { token: admin })).status).toBe(404);
    const everything = JSON.stringify(t.services.historyDb.sqlite.query("SELECT * FROM execution_chunks").all());
    expect(everything).not.toContain(key.key);
    const onlyFailed = await t.request("GET", `/api/v1/endpoints/${ep.id}/executions?status=failed`, { token: admin });
    expect(onlyFailed.json.data.map((e: { http_status: number }) => e.http_status)).toEqual([400]);
    await remove(ep.id);
  });

  test("history policy errors keeps only failures; none keeps nothing", async () => {
    const errorsOnly = await define({ name: "e", path: "/errors-only", method: "GET", history: "errors", condition: "request.query.fail != '1'", actions: [] });
    const none = await define({ name: "n", path: "/none", method: "GET", history: "none", actions: [] });
    await call("GET", "/errors-only", { token: admin });
    await call("GET", "/errors-only?fail=1", { token: admin });
    await call("GET", "/none", { token: admin });
    t.services.recorder.flush();
    const e = await t.request("GET", `/api/v1/endpoints/${errorsOnly.id}/executions`, { token: admin });
    expect(e.json.data.map((x: { http_status: number }) => x.http_status)).toEqual([403]);
    const n = await t.request("GET", `/api/v1/endpoints/${none.id}/executions`, { token: admin });
    expect(n.json.data).toEqual([]);
    await remove(errorsOnly.id);
    await remove(none.id);
  });
});

test("the account's OpenAPI document lists its endpoints", async () => {
  const ep = await define({ name: "Doc me", path: "/docs/:id", method: "POST", body_schema: { type: "object", properties: { a: { type: "string" } } }, actions: [] });
  const doc = await t.request("GET", "/api/v1/x/default/openapi.json", { token: admin });
  expect(doc.status).toBe(200);
  const op = doc.json.paths["/api/v1/x/default/docs/{id}"].post;
  expect(op.summary).toBe("Doc me");
  expect(op.parameters[0]).toMatchObject({ name: "id", in: "path" });
  expect(op.requestBody.content["application/json"].schema.properties.a.type).toBe("string");
  expect((await t.request("GET", "/api/v1/x/default/openapi.json")).status).toBe(401);
  await remove(ep.id);
});
