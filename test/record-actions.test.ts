import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ADMIN, createIdentityTestApp, type TestApp } from "./helpers/app";

let t: TestApp;
let admin: string;
beforeAll(async () => {
  t = await createIdentityTestApp();
  admin = await t.login(ADMIN.email, ADMIN.password);
  const created = await t.request("POST", "/api/v1/collections", {
    token: admin,
    body: {
      name: "orders",
      fields: [
        { name: "customer_id", type: "text", required: true },
        { name: "total", type: "number" },
        { name: "status", type: "text" },
      ],
      indexes: [{ fields: ["customer_id"] }],
    },
  });
  expect(created.status).toBe(201);
  const rows = [
    { customer_id: "c1", total: 30, status: "paid" },
    { customer_id: "c1", total: 12.5, status: "open" },
    { customer_id: "c2", total: 99, status: "paid" },
    { customer_id: "' OR 1=1 --", total: 1, status: "open" },
  ];
  for (const row of rows) expect((await t.request("POST", "/api/v1/collections/orders/records", { token: admin, body: row })).status).toBe(201);
});
afterAll(() => t.close());

const define = async (body: Record<string, unknown>) => {
  const res = await t.request("POST", "/api/v1/endpoints", { token: admin, body });
  if (res.status !== 201) throw new Error(`define failed: ${res.status} ${res.text}`);
  return res.json.data as { id: string };
};
const call = (method: string, path: string, body?: unknown) => t.request(method, `/api/v1/x/default${path}`, { token: admin, body });

describe("record actions in endpoints", () => {
  test("the Customer Order Summary example works end to end", async () => {
    await define({
      name: "Customer Order Summary",
      description: "Recent orders and total spent for one customer",
      path: "/customers/:customer_id/orders/summary",
      method: "GET",
      actions: [
        { type: "query_records", config: { collection: "orders", filter: "customer_id = '{{request.params.customer_id}}'", sort: "-created_at", limit: 10 } },
        { type: "aggregate_records", config: { collection: "orders", function: "sum", field: "total", filter: "customer_id = '{{request.params.customer_id}}'" } },
        {
          type: "transform",
          config: { template: { customer_id: "{{request.params.customer_id}}", order_count: "{{actions[0].result.length}}", recent_orders: "{{actions[0].result}}", total_spent: "{{actions[1].result}}" } },
        },
      ],
      response_template: { status: 200, body: "{{actions[2].result}}" },
    });
    const res = await call("GET", "/customers/c1/orders/summary");
    expect(res.status).toBe(200);
    expect(res.json.customer_id).toBe("c1");
    expect(res.json.total_spent).toBe(42.5);
    expect(res.json.order_count).toBe(2);
    expect(res.json.recent_orders.map((o: { total: number }) => o.total)).toEqual([12.5, 30]); // newest first
    expect(res.json.recent_orders[0].id).toMatch(/^rec_/);
  });

  test("injection through a path parameter matches only the exact value", async () => {
    const res = await call("GET", `/customers/${encodeURIComponent("' OR 1=1 --")}/orders/summary`);
    expect(res.status).toBe(200);
    expect(res.json.recent_orders.map((o: { customer_id: string }) => o.customer_id)).toEqual(["' OR 1=1 --"]);
    expect(res.json.total_spent).toBe(1);
    for (const hostile of ["c1' OR '1'='1", 'c1" OR "1"="1', "c1\\", "c1'); DROP TABLE accounts; --", "ç1 🚀"]) {
      const other = await call("GET", `/customers/${encodeURIComponent(hostile)}/orders/summary`);
      expect(other.status).toBe(200);
      expect(other.json.recent_orders).toEqual([]);
      expect(other.json.total_spent).toBe(0);
    }
    expect((await t.request("GET", "/api/v1/account", { token: admin })).status).toBe(200);
  });

  test("create, update by filter (limited), delete by id", async () => {
    await define({ name: "new order", path: "/orders", method: "POST", actions: [{ type: "create_record", config: { collection: "orders", data: { customer_id: "{{request.body.customer}}", total: "{{request.body.total}}", status: "open" } } }] });
    const made = await call("POST", "/orders", { customer: "c9", total: 5 });
    expect(made.status).toBe(200);
    expect(made.json).toMatchObject({ customer_id: "c9", total: 5, status: "open" });
    const invalid = await call("POST", "/orders", { customer: "c9", total: "lots" });
    expect(invalid.status).toBe(400);
    expect(invalid.json.error.message).toContain("total");

    await define({ name: "close all", path: "/close/:customer", method: "POST", actions: [{ type: "update_record", config: { collection: "orders", filter: "customer_id = '{{request.params.customer}}' and status = 'open'", data: { status: "closed" } } }] });
    const closed = await call("POST", "/close/c1", {});
    expect(closed.json.updated).toBe(1);
    const stillPaid = await t.request("GET", `/api/v1/collections/orders/records?filter=${encodeURIComponent("status = 'paid'")}`, { token: admin });
    expect(stillPaid.json.data.length).toBe(2);

    await define({ name: "drop", path: "/orders/:id", method: "DELETE", actions: [{ type: "delete_record", config: { collection: "orders", id: "{{request.params.id}}" } }] });
    expect((await call("DELETE", `/orders/${made.json.id}`)).json).toEqual({ deleted: 1 });
    expect((await call("DELETE", `/orders/${made.json.id}`)).status).toBe(404);
  });

  test("a bad filter is refused when the endpoint is saved, naming the action and position", async () => {
    const res = await t.request("POST", "/api/v1/endpoints", {
      token: admin,
      body: { name: "bad filter", path: "/bad", method: "GET", actions: [{ type: "query_records", config: { collection: "orders", filter: "customer_id = = 'x'" } }] },
    });
    expect(res.status).toBe(400);
    expect(res.json.error.details).toMatchObject({ field: "actions[0].config.filter", action_index: 0 });
    expect(res.json.error.details.position).toBeNumber();
  });

  test("an unknown collection fails the step with 404", async () => {
    await define({ name: "ghost", path: "/ghost", method: "GET", actions: [{ type: "query_records", config: { collection: "nope" } }] });
    const res = await call("GET", "/ghost");
    expect(res.status).toBe(404);
    expect(res.json.error.details.action_index).toBe(0);
  });

  test("group_by answers [{group, value}]", async () => {
    await define({ name: "by status", path: "/by-status", method: "GET", actions: [{ type: "aggregate_records", config: { collection: "orders", function: "count", group_by: "status" } }] });
    const res = await call("GET", "/by-status");
    expect(res.status).toBe(200);
    expect(Array.isArray(res.json)).toBe(true);
    const groups = Object.fromEntries(res.json.map((g: { group: string; value: number }) => [g.group, g.value]));
    expect(groups.paid).toBe(2);
  });

  test("dropping a collection an endpoint uses is refused, naming the endpoints", async () => {
    const res = await t.request("DELETE", "/api/v1/collections/orders", { token: admin });
    expect(res.status).toBe(409);
    expect(res.text).toContain("Customer Order Summary");
  });
});
