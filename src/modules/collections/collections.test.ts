import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createCollectionsFixture, type CollectionsFixture } from "./testing";

let f: CollectionsFixture;
const base = "/api/v1/collections";

beforeAll(async () => {
  f = await createCollectionsFixture();
});
afterAll(() => f.close());

const tableOf = (name: string) => f.collections.byName(f.accountId, name).tableName;
const tableExists = (table: string) =>
  f.testApp.db.sqlite.query("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name = ?").get(table) as { n: number };

describe("collections CRUD", () => {
  test("create answers 201 with the normalised definition; the records table and indexes exist", async () => {
    const res = await f.api("POST", base, {
      name: "customers",
      fields: [
        { name: "email", type: "text", required: true, unique: true },
        { name: "age", type: "number" },
        { name: "vip", type: "bool" },
        { name: "meta", type: "json" },
        { name: "born", type: "date" },
      ],
      indexes: [{ fields: ["age", "vip"] }],
    });
    expect(res.status).toBe(201);
    const data = res.json.data;
    expect(data.id).toMatch(/^col_[a-z0-9]{26}$/);
    expect(data.name).toBe("customers");
    expect(data.fields).toEqual([
      { name: "email", type: "text", required: true, unique: true },
      { name: "age", type: "number", required: false, unique: false },
      { name: "vip", type: "bool", required: false, unique: false },
      { name: "meta", type: "json", required: false, unique: false },
      { name: "born", type: "date", required: false, unique: false },
    ]);
    expect(data.indexes).toEqual([{ fields: ["age", "vip"], unique: false }]);
    expect(data.created_at).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    const table = tableOf("customers");
    expect(table).toBe(`rec_${data.id.slice(4)}`);
    expect(tableExists(table).n).toBe(1);
    // The unique field implies a unique index; the declared one is a plain composite index.
    expect(f.store.listIndexes(table).map(({ fields, unique }) => ({ fields, unique }))).toEqual([
      { fields: ["email"], unique: true },
      { fields: ["age", "vip"], unique: false },
    ]);
  });

  test("a schemaless collection needs only a name", async () => {
    const res = await f.api("POST", base, { name: "notes" });
    expect(res.status).toBe(201);
    expect(res.json.data.fields).toEqual([]);
    expect(res.json.data.indexes).toEqual([]);
  });

  test("names are unique per account: 409", async () => {
    const res = await f.api("POST", base, { name: "notes" });
    expect(res.status).toBe(409);
    expect(res.json.error.code).toBe("CONFLICT");
  });

  const invalid: [string, unknown, string][] = [
    ["upper-case name", { name: "Orders" }, "body.name"],
    ["name starting with a digit", { name: "1orders" }, "body.name"],
    ["name too long", { name: "a".repeat(64) }, "body.name"],
    ["name with a dash", { name: "my-orders" }, "body.name"],
    ["unknown property", { name: "x1", color: "red" }, "body.color"],
    ["unknown field type", { name: "x2", fields: [{ name: "a", type: "integer" }] }, "body.fields[0].type"],
    ["field name with a space", { name: "x3", fields: [{ name: "a b", type: "text" }] }, "body.fields[0].name"],
  ];
  for (const [label, body, field] of invalid) {
    test(`400 for ${label}, naming ${field}`, async () => {
      const res = await f.api("POST", base, body);
      expect(res.status).toBe(400);
      expect(res.json.error.code).toBe("VALIDATION_ERROR");
      expect(JSON.stringify(res.json.error.details)).toContain(field);
    });
  }

  const invalidDefs: [string, unknown, string][] = [
    ["a reserved field name", { name: "y1", fields: [{ name: "created_at", type: "date" }] }, "fields[0].name"],
    ["a field declared twice", { name: "y2", fields: [{ name: "a", type: "text" }, { name: "a", type: "number" }] }, "fields[1].name"],
    ["an index on an undeclared field", { name: "y3", fields: [{ name: "a", type: "text" }], indexes: [{ fields: ["b"] }] }, "indexes[0].fields[0]"],
    ["an index on an invalid path", { name: "y4", indexes: [{ fields: ["a'b"] }] }, "indexes[0].fields[0]"],
    ["the same index twice", { name: "y5", indexes: [{ fields: ["a"] }, { fields: ["a"] }] }, "indexes[1]"],
  ];
  for (const [label, body, field] of invalidDefs) {
    test(`400 for ${label}, naming ${field}`, async () => {
      const res = await f.api("POST", base, body);
      expect(res.status).toBe(400);
      expect(res.json.error.details.field).toBe(field);
    });
  }

  test("list pages by name; get answers one; unknown is 404", async () => {
    const list = await f.api("GET", `${base}?limit=1`);
    expect(list.status).toBe(200);
    expect(list.json.data.map((c: { name: string }) => c.name)).toEqual(["customers"]);
    expect(list.json.meta).toEqual({ page: 1, limit: 1, total: 2 });
    const page2 = await f.api("GET", `${base}?limit=1&page=2`);
    expect(page2.json.data[0].name).toBe("notes");
    expect((await f.api("GET", `${base}/notes`)).json.data.name).toBe("notes");
    const missing = await f.api("GET", `${base}/nope`);
    expect(missing.status).toBe(404);
    expect(missing.json.error.code).toBe("NOT_FOUND");
  });

  test("without a token: 401", async () => {
    expect((await f.request("GET", base)).status).toBe(401);
  });
});

describe("roles and accounts", () => {
  test("members cannot define collections but can read and write records", async () => {
    const member = await f.addMember("member@example.com");
    expect((await f.request("POST", base, { token: member, body: { name: "member_made" } })).status).toBe(403);
    expect((await f.request("PATCH", `${base}/notes`, { token: member, body: { fields: [] } })).status).toBe(403);
    expect((await f.request("DELETE", `${base}/notes`, { token: member })).status).toBe(403);
    expect((await f.request("GET", `${base}/notes`, { token: member })).status).toBe(200);
    const created = await f.request("POST", `${base}/notes/records`, { token: member, body: { text: "from a member" } });
    expect(created.status).toBe(201);
    const read = await f.request("GET", `${base}/notes/records/${created.json.data.id}`, { token: member });
    expect(read.json.data.text).toBe("from a member");
  });

  test("another account sees none of this account's collections or records, and may reuse the name", async () => {
    const other = await f.addAccount("other");
    const record = await f.api("POST", `${base}/notes/records`, { text: "private" });
    expect((await f.request("GET", `${base}/notes`, { token: other })).status).toBe(404);
    expect((await f.request("GET", `${base}/notes/records/${record.json.data.id}`, { token: other })).status).toBe(404);
    expect((await f.request("GET", base, { token: other })).json.data).toEqual([]);
    const own = await f.request("POST", base, { token: other, body: { name: "notes" } });
    expect(own.status).toBe(201);
    const list = await f.request("GET", `${base}/notes/records`, { token: other });
    expect(list.json.data).toEqual([]);
    expect(list.json.meta.total).toBe(0);
  });
});

describe("changing a collection never corrupts records", () => {
  beforeAll(async () => {
    const res = await f.api("POST", base, { name: "products", fields: [{ name: "sku", type: "text" }, { name: "price", type: "text" }, { name: "old", type: "text" }] });
    expect(res.status).toBe(201);
    for (const [sku, price] of [["a", "10"], ["b", "20"], ["a", "30"]]) {
      expect((await f.api("POST", `${base}/products/records`, { sku, price, old: "legacy" })).status).toBe(201);
    }
  });

  const skus = async () => (await f.api("GET", `${base}/products/records?sort=created_at`)).json.data.map((r: { sku: string }) => r.sku);

  test("making a field unique over duplicate values is 409 naming it, and changes nothing", async () => {
    const before = (await f.api("GET", `${base}/products`)).json.data;
    const indexesBefore = f.store.listIndexes(tableOf("products"));
    const res = await f.api("PATCH", `${base}/products`, {
      fields: [{ name: "sku", type: "text", unique: true }, { name: "price", type: "number" }, { name: "old", type: "text" }],
      indexes: [{ fields: ["price"] }],
    });
    expect(res.status).toBe(409);
    expect(res.json.error.details.field).toBe("data.sku");
    expect((await f.api("GET", `${base}/products`)).json.data).toEqual(before);
    // The index that would have been created alongside was rolled back too.
    expect(f.store.listIndexes(tableOf("products"))).toEqual(indexesBefore);
    expect(await skus()).toEqual(["a", "b", "a"]);
  });

  test("a declared unique index over duplicates is refused the same way", async () => {
    const res = await f.api("PATCH", `${base}/products`, { indexes: [{ fields: ["sku"], unique: true }] });
    expect(res.status).toBe(409);
    expect(res.json.error.details.fields).toEqual(["data.sku"]);
  });

  test("making a field required while records lack it is 409 with the count", async () => {
    const res = await f.api("PATCH", `${base}/products`, {
      fields: [{ name: "sku", type: "text" }, { name: "price", type: "text" }, { name: "old", type: "text" }, { name: "stock", type: "number", required: true }],
    });
    expect(res.status).toBe(409);
    expect(res.json.error.details).toEqual({ field: "fields[3].required", missing: 3 });
    expect(res.json.error.message).toContain("3 existing records");
  });

  test("changing a type keeps records readable; they are checked when next written", async () => {
    const res = await f.api("PATCH", `${base}/products`, {
      fields: [{ name: "sku", type: "text" }, { name: "price", type: "number" }, { name: "old", type: "text" }],
    });
    expect(res.status).toBe(200);
    const list = (await f.api("GET", `${base}/products/records`)).json.data;
    expect(list.map((r: { price: unknown }) => r.price)).toEqual(["10", "20", "30"]);
    const id = list[0].id;
    const stale = await f.api("PATCH", `${base}/products/records/${id}`, { sku: "a2" });
    expect(stale.status).toBe(400);
    expect(stale.json.error.details.field).toBe("data.price");
    const fixed = await f.api("PATCH", `${base}/products/records/${id}`, { sku: "a2", price: 10 });
    expect(fixed.status).toBe(200);
    expect(fixed.json.data).toMatchObject({ sku: "a2", price: 10, old: "legacy" });
  });

  test("removing a field keeps its values in records; writing one asks to drop it", async () => {
    const res = await f.api("PATCH", `${base}/products`, { fields: [{ name: "sku", type: "text" }, { name: "price", type: "number" }] });
    expect(res.status).toBe(200);
    const list = (await f.api("GET", `${base}/products/records`)).json.data;
    expect(list.every((r: { old: string }) => r.old === "legacy")).toBe(true);
    const id = list[0].id;
    const write = await f.api("PATCH", `${base}/products/records/${id}`, { price: 11 });
    expect(write.status).toBe(400);
    expect(write.json.error.details.field).toBe("data.old");
    expect(write.json.error.message).toContain("set it to null");
    const dropped = await f.api("PATCH", `${base}/products/records/${id}`, { price: 11, old: null });
    expect(dropped.status).toBe(200);
    expect(dropped.json.data.old).toBeUndefined();
  });

  test("removing a field an index uses is 400 naming the index", async () => {
    await f.api("PATCH", `${base}/products`, { indexes: [{ fields: ["sku"] }] });
    const res = await f.api("PATCH", `${base}/products`, { fields: [{ name: "price", type: "number" }] });
    expect(res.status).toBe(400);
    expect(res.json.error.details.field).toBe("indexes[0].fields[0]");
  });

  test("unique succeeds once values are distinct; indexes are added and dropped without touching the others", async () => {
    const list = (await f.api("GET", `${base}/products/records`)).json.data;
    await f.api("PATCH", `${base}/products/records/${list[2].id}`, { sku: "c", price: 30, old: null });
    const ok = await f.api("PATCH", `${base}/products`, {
      fields: [{ name: "sku", type: "text", unique: true }, { name: "price", type: "number" }],
      indexes: [{ fields: ["price"] }],
    });
    expect(ok.status).toBe(200);
    const table = tableOf("products");
    const first = f.store.listIndexes(table);
    expect(first.map((i) => [i.fields, i.unique])).toEqual([
      [["sku"], true],
      [["price"], false],
    ]);
    // Replace the price index; the sku index keeps its name (it is not rebuilt).
    const again = await f.api("PATCH", `${base}/products`, { indexes: [{ fields: ["price", "sku"] }] });
    expect(again.status).toBe(200);
    const second = f.store.listIndexes(table);
    expect(second.find((i) => i.fields.join() === "sku")!.name).toBe(first.find((i) => i.fields.join() === "sku")!.name);
    expect(second.map((i) => i.fields.join())).toEqual(["sku", "price,sku"]);
    expect(await skus()).toEqual(["a2", "b", "c"]);
    const dup = await f.api("POST", `${base}/products/records`, { sku: "b", price: 1 });
    expect(dup.status).toBe(409);
  });

  test("required succeeds once every record has a value", async () => {
    const res = await f.api("PATCH", `${base}/products`, {
      fields: [{ name: "sku", type: "text", unique: true, required: true }, { name: "price", type: "number" }],
    });
    expect(res.status).toBe(200);
    const missing = await f.api("POST", `${base}/products/records`, { price: 1 });
    expect(missing.status).toBe(400);
    expect(missing.json.error.details.field).toBe("data.sku");
  });
});

describe("dropping and renaming", () => {
  beforeAll(async () => {
    await f.api("POST", base, { name: "invoices", indexes: [{ fields: ["n"] }] });
    await f.api("POST", `${base}/invoices/records`, { n: 1 });
  });

  test("drop is refused while endpoints use the collection, naming them", async () => {
    f.usedBy.set("invoices", ["Create invoice", "List invoices"]);
    const res = await f.api("DELETE", `${base}/invoices`);
    expect(res.status).toBe(409);
    expect(res.json.error.details.endpoints).toEqual(["Create invoice", "List invoices"]);
    expect(res.json.error.message).toContain('"Create invoice"');
    expect((await f.api("GET", `${base}/invoices/records`)).json.meta.total).toBe(1);
  });

  test("rename is refused too while in use; force renames and keeps the records", async () => {
    const refused = await f.api("PATCH", `${base}/invoices`, { name: "bills" });
    expect(refused.status).toBe(409);
    const forced = await f.api("PATCH", `${base}/invoices?force=true`, { name: "bills" });
    expect(forced.status).toBe(200);
    expect((await f.api("GET", `${base}/bills/records`)).json.data[0].n).toBe(1);
    expect((await f.api("GET", `${base}/invoices`)).status).toBe(404);
    const back = await f.api("PATCH", `${base}/bills?force=true`, { name: "invoices" });
    expect(back.status).toBe(200);
  });

  test("renaming onto an existing name is 409", async () => {
    expect((await f.api("PATCH", `${base}/invoices?force=true`, { name: "notes" })).status).toBe(409);
  });

  test("force drops the table and the definition in one go; the name can be reused, empty", async () => {
    const table = tableOf("invoices");
    const res = await f.api("DELETE", `${base}/invoices?force=true`);
    expect(res.status).toBe(200);
    expect(res.json.data.name).toBe("invoices");
    expect(tableExists(table).n).toBe(0);
    expect((await f.api("GET", `${base}/invoices`)).status).toBe(404);
    expect((await f.api("GET", `${base}/invoices/records`)).status).toBe(404);
    f.usedBy.delete("invoices");
    expect((await f.api("POST", base, { name: "invoices" })).status).toBe(201);
    expect((await f.api("GET", `${base}/invoices/records`)).json.meta.total).toBe(0);
  });

  test("a collection no endpoint uses drops without force", async () => {
    await f.api("POST", base, { name: "scratch" });
    expect((await f.api("DELETE", `${base}/scratch`)).status).toBe(200);
  });
});
