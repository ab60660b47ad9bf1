import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ADMIN, createIdentityTestApp, type TestApp } from "../../../test/helpers/app";
import { executionsRoutes } from "./routes";
import type { ExecutionsStore } from "./store";
import { makeRecord } from "./testing";
import type { ExecutionRecord } from "./types";

const T0 = Date.UTC(2025, 0, 1);
let testApp: TestApp;
let store: ExecutionsStore;
let token: string;
let accountId: string;
const endpoints = new Set<string>();
const records: ExecutionRecord[] = [];

beforeAll(async () => {
  testApp = await createIdentityTestApp();
  store = testApp.services.executionsStore;
  const { services } = testApp;
  testApp.app.use(
    executionsRoutes({ store, access: services.access, clientIps: services.clientIps, endpointExists: (acc, ep) => endpoints.has(`${acc}/${ep}`) }),
  );
  token = await testApp.login(ADMIN.email, ADMIN.password);
  accountId = (await testApp.request("GET", "/api/v1/account", { token })).json.data.id;
  endpoints.add(`${accountId}/ep_live`);
  endpoints.add(`acc_other/ep_foreign`);
  for (let i = 0; i < 30; i++) {
    records.push(
      makeRecord({
        account_id: accountId,
        endpoint_id: "ep_live",
        started_at: T0 + i * 1000,
        status: i % 4 === 0 ? "failed" : "completed",
        client_ip: "203.0.113.7",
        steps: [{ index: 0, type: "transform", name: "shape", status: "completed", duration_ms: 2, result: { n: i } }],
      }),
    );
  }
  // History of a deleted endpoint of this account, and another account's.
  records.push(makeRecord({ account_id: accountId, endpoint_id: "ep_deleted", started_at: T0 }));
  records.push(makeRecord({ account_id: "acc_other", endpoint_id: "ep_foreign", started_at: T0 }));
  store.insertMany(records);
});
afterAll(() => testApp.close());

const live = (pick: (r: ExecutionRecord) => boolean = () => true) =>
  records.filter((r) => r.endpoint_id === "ep_live" && pick(r)).sort((a, b) => b.started_at - a.started_at).map((r) => r.id);

async function listAll(query: string) {
  const ids: string[] = [];
  let cursor = "";
  for (let i = 0; i < 100; i++) {
    const res = await testApp.request("GET", `/api/v1/endpoints/ep_live/executions?${query}${cursor ? `&cursor=${cursor}` : ""}`, { token });
    expect(res.status).toBe(200);
    ids.push(...res.json.data.map((e: { id: string }) => e.id));
    if (!res.json.meta.has_more) {
      expect(res.json.meta.next_cursor).toBeNull();
      return ids;
    }
    cursor = res.json.meta.next_cursor;
  }
  throw new Error("no end");
}

describe("GET /api/v1/endpoints/:id/executions", () => {
  test("a page in the envelope: snake_case views, ISO started_at, cursor meta", async () => {
    const res = await testApp.request("GET", "/api/v1/endpoints/ep_live/executions?limit=2", { token });
    expect(res.status).toBe(200);
    expect(res.json.success).toBe(true);
    expect(res.json.meta).toEqual({ next_cursor: expect.any(String), has_more: true });
    expect(res.json.data).toHaveLength(2);
    const newest = records[29]!;
    expect(res.json.data[0]).toEqual({
      id: newest.id,
      account_id: accountId,
      endpoint_id: "ep_live",
      kind: "endpoint",
      status: "completed",
      http_status: 200,
      error_code: null,
      error_message: null,
      method: "POST",
      path: "/api/v1/x/default/orders",
      client_ip: "203.0.113.7",
      key_prefix: null,
      started_at: new Date(T0 + 29_000).toISOString(),
      duration_ms: 3,
      steps: [{ index: 0, type: "transform", name: "shape", status: "completed", duration_ms: 2, result: { n: 29 }, error: null }],
    });
  });

  const cases: [string, string, (r: ExecutionRecord) => boolean][] = [
    ["all, default limit", "", () => true],
    ["pages of 7", "limit=7", () => true],
    ["status=failed", "status=failed&limit=3", (r) => r.status === "failed"],
    ["from (ISO)", `from=${new Date(T0 + 20_000).toISOString()}&limit=4`, (r) => r.started_at >= T0 + 20_000],
    ["to (unix ms)", `to=${T0 + 5_000}`, (r) => r.started_at <= T0 + 5_000],
    ["from..to + completed", `from=${T0 + 3_000}&to=${new Date(T0 + 12_000).toISOString()}&status=completed&limit=2`, (r) => r.status === "completed" && r.started_at >= T0 + 3_000 && r.started_at <= T0 + 12_000],
  ];
  for (const [name, query, pick] of cases) {
    test(name, async () => {
      expect(await listAll(query)).toEqual(live(pick));
    });
  }

  test("a deleted endpoint's history stays listable by its account", async () => {
    const res = await testApp.request("GET", "/api/v1/endpoints/ep_deleted/executions", { token });
    expect(res.status).toBe(200);
    expect(res.json.data).toHaveLength(1);
  });

  const notFound: [string, string][] = [
    ["unknown endpoint", "/api/v1/endpoints/ep_nope/executions"],
    ["another account's endpoint", "/api/v1/endpoints/ep_foreign/executions"],
  ];
  for (const [name, path] of notFound) {
    test(`404 for ${name}`, async () => {
      const res = await testApp.request("GET", path, { token });
      expect(res.status).toBe(404);
      expect(res.json).toEqual({ success: false, error: { code: "NOT_FOUND", message: "Endpoint not found" } });
    });
  }

  const invalid: [string, string][] = [
    ["garbage cursor", "cursor=nope!"],
    ["forged cursor", `cursor=${Buffer.from("1;drop table").toString("base64url")}`],
    ["limit 0", "limit=0"],
    ["limit 201", "limit=201"],
    ["limit not a number", "limit=ten"],
    ["unknown status", "status=running"],
    ["bad from", "from=yesterday"],
    ["bad to", "to=2025-13-45T99:00:00Z"],
  ];
  for (const [name, query] of invalid) {
    test(`400 VALIDATION_ERROR for ${name}`, async () => {
      const res = await testApp.request("GET", `/api/v1/endpoints/ep_live/executions?${query}`, { token });
      expect(res.status).toBe(400);
      expect(res.json.success).toBe(false);
      expect(res.json.error.code).toBe("VALIDATION_ERROR");
    });
  }

  test("401 without a token, and with a bad one", async () => {
    const attempts: Record<string, string>[] = [{}, { authorization: "Bearer sb_notarealkeynotarealkeynotareal12" }];
    for (const headers of attempts) {
      const res = await testApp.request("GET", "/api/v1/endpoints/ep_live/executions", { headers });
      expect(res.status).toBe(401);
      expect(res.json.error.code).toBe("UNAUTHORIZED");
    }
  });
});

describe("GET /api/v1/executions/:id", () => {
  test("one execution of the caller's account", async () => {
    const rec = records[0]!;
    const res = await testApp.request("GET", `/api/v1/executions/${rec.id}`, { token });
    expect(res.status).toBe(200);
    expect(res.json.data).toMatchObject({ id: rec.id, status: "failed", started_at: new Date(T0).toISOString() });
  });

  test("404 for another account's execution and for an unknown id", async () => {
    for (const id of [records.at(-1)!.id, "exe_missing"]) {
      const res = await testApp.request("GET", `/api/v1/executions/${id}`, { token });
      expect(res.status).toBe(404);
      expect(res.json.error).toEqual({ code: "NOT_FOUND", message: "Execution not found" });
    }
  });

  test("401 without a token", async () => {
    const res = await testApp.request("GET", `/api/v1/executions/${records[0]!.id}`);
    expect(res.status).toBe(401);
  });
});

test("OpenAPI: tagged executions, behind the bearer scheme", async () => {
  const res = await testApp.request("GET", "/swagger/json");
  for (const [path, method] of [
    ["/api/v1/endpoints/{id}/executions", "get"],
    ["/api/v1/executions/{id}", "get"],
  ] as const) {
    expect(res.json.paths[path][method].tags).toEqual(["executions"]);
    expect(res.json.paths[path][method].security).toEqual([{ bearer: [] }]);
  }
  const params = res.json.paths["/api/v1/endpoints/{id}/executions"].get.parameters.map((p: { name: string }) => p.name);
  expect(params).toEqual(expect.arrayContaining(["id", "status", "from", "to", "cursor", "limit"]));
});
