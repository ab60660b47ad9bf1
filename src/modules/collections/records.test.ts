import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { AppError } from "../../http/errors";
import { MAX_RECORD_BYTES } from "./validate";
import { createCollectionsFixture, type CollectionsFixture, thrown } from "./testing";

let f: CollectionsFixture;
const base = "/api/v1/collections";
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

beforeAll(async () => {
  f = await createCollectionsFixture();
  const typed = await f.api("POST", base, {
    name: "typed",
    fields: [
      { name: "title", type: "text", required: true },
      { name: "price", type: "number" },
      { name: "active", type: "bool" },
      { name: "meta", type: "json" },
      { name: "due", type: "date" },
      { name: "email", type: "text", unique: true },
    ],
  });
  expect(typed.status).toBe(201);
  expect((await f.api("POST", base, { name: "free" })).status).toBe(201);
});
afterAll(() => f.close());


describe("record CRUD over REST", () => {
  let id: string;

  test("create answers 201 with id, ISO times and the fields flattened", async () => {
    const res = await f.api("POST", `${base}/typed/records`, { title: "Lamp", price: 12.5, active: true, meta: { tags: ["a"] }, due: "2025-03-01" });
    expect(res.status).toBe(201);
    const r = res.json.data;
    id = r.id;
    expect(r.id).toMatch(/^rec_[a-z0-9]{26}$/);
    expect(r.created_at).toMatch(ISO);
    expect(r.updated_at).toBe(r.created_at);
    expect(r).toEqual({ id, created_at: r.created_at, updated_at: r.updated_at, title: "Lamp", price: 12.5, active: true, meta: { tags: ["a"] }, due: "2025-03-01T00:00:00.000Z" });
    expect(Object.keys(r).slice(0, 3)).toEqual(["id", "created_at", "updated_at"]);
  });

  test("get answers the record; an unknown id or collection is 404", async () => {
    expect((await f.api("GET", `${base}/typed/records/${id}`)).json.data.title).toBe("Lamp");
    const missing = await f.api("GET", `${base}/typed/records/rec_nope`);
    expect(missing.status).toBe(404);
    expect(missing.json.error.code).toBe("NOT_FOUND");
    expect((await f.api("GET", `${base}/nothing/records/${id}`)).status).toBe(404);
    expect((await f.api("GET", `${base}/free/records/${id}`)).status).toBe(404);
  });

  test("patch merges top-level fields, null removes one, updated_at moves on", async () => {
    await Bun.sleep(2);
    const res = await f.api("PATCH", `${base}/typed/records/${id}`, { price: 15, meta: null });
    expect(res.status).toBe(200);
    const r = res.json.data;
    expect(r).toMatchObject({ id, title: "Lamp", price: 15, active: true, due: "2025-03-01T00:00:00.000Z" });
    expect(r.meta).toBeUndefined();
    expect(r.updated_at > r.created_at).toBe(true);
  });

  test("a required field cannot be removed; id and times cannot be written", async () => {
    const res = await f.api("PATCH", `${base}/typed/records/${id}`, { title: null });
    expect(res.status).toBe(400);
    expect(res.json.error.details.field).toBe("data.title");
    for (const key of ["id", "created_at", "updated_at"]) {
      const patch = await f.api("PATCH", `${base}/typed/records/${id}`, { [key]: "x" });
      expect(patch.status).toBe(400);
      expect(patch.json.error.details.field).toBe(`data.${key}`);
      const create = await f.api("POST", `${base}/free/records`, { [key]: "x" });
      expect(create.status).toBe(400);
    }
  });

  test("delete answers the deleted record; it is gone afterwards", async () => {
    const res = await f.api("DELETE", `${base}/typed/records/${id}`);
    expect(res.status).toBe(200);
    expect(res.json.data.id).toBe(id);
    expect((await f.api("GET", `${base}/typed/records/${id}`)).status).toBe(404);
    expect((await f.api("DELETE", `${base}/typed/records/${id}`)).status).toBe(404);
  });

  test("a body that is not an object is 400", async () => {
    expect((await f.api("POST", `${base}/free/records`, [1, 2])).status).toBe(400);
    expect((await f.api("POST", `${base}/free/records`, "text")).status).toBe(400);
    expect((await f.request("POST", `${base}/free/records`, { token: f.token, rawBody: "{bad json" })).status).toBe(400);
  });
});

describe("typed-field validation", () => {
  // [data, field named by the 400, or null when valid]
  const cases: [string, Record<string, unknown>, string | null][] = [
    ["text ok", { title: "t" }, null],
    ["text as a number", { title: 5 }, "data.title"],
    ["required missing", { price: 1 }, "data.title"],
    ["required null", { title: null }, "data.title"],
    ["number ok (negative, fraction)", { title: "t", price: -0.25 }, null],
    ["number as numeric text", { title: "t", price: "5" }, "data.price"],
    ["number as a bool", { title: "t", price: true }, "data.price"],
    ["bool ok", { title: "t", active: false }, null],
    ["bool as 1", { title: "t", active: 1 }, "data.active"],
    ["bool as 'true'", { title: "t", active: "true" }, "data.active"],
    ["json object", { title: "t", meta: { a: [1, { b: null }] } }, null],
    ["json array", { title: "t", meta: [1, "2"] }, null],
    ["json text", { title: "t", meta: "plain" }, null],
    ["date ISO with zone", { title: "t", due: "2025-01-02T03:04:05+02:00" }, null],
    ["date unix ms", { title: "t", due: 1735689600000 }, null],
    ["date impossible day", { title: "t", due: "2025-02-30" }, "data.due"],
    ["date 25 o'clock", { title: "t", due: "2025-01-01T25:00:00Z" }, "data.due"],
    ["date free text", { title: "t", due: "next tuesday" }, "data.due"],
    ["date as a bool", { title: "t", due: true }, "data.due"],
    ["unknown field", { title: "t", colour: "red" }, "data.colour"],
    ["invalid field name", { title: "t", "a-b": 1 }, "data.a-b"],
  ];
  for (const [label, data, field] of cases) {
    test(`${label} -> ${field ? `400 naming ${field}` : "201"}`, async () => {
      const res = await f.api("POST", `${base}/typed/records`, data);
      if (field === null) {
        expect(res.status).toBe(201);
      } else {
        expect(res.status).toBe(400);
        expect(res.json.error.code).toBe("VALIDATION_ERROR");
        expect(res.json.error.details.field).toBe(field);
        expect(res.json.error.message).toContain(field);
      }
    });
  }

  test("dates are stored as ISO text in UTC", async () => {
    const offset = await f.api("POST", `${base}/typed/records`, { title: "d1", due: "2025-01-02T03:04:05.5+02:00" });
    expect(offset.json.data.due).toBe("2025-01-02T01:04:05.500Z");
    const ms = await f.api("POST", `${base}/typed/records`, { title: "d2", due: 0 });
    expect(ms.json.data.due).toBe("1970-01-01T00:00:00.000Z");
    const noZone = await f.api("POST", `${base}/typed/records`, { title: "d3", due: "2024-02-29T12:00" });
    expect(noZone.json.data.due).toBe("2024-02-29T12:00:00.000Z");
  });

  test("every problem is listed, the first one named", async () => {
    const res = await f.api("POST", `${base}/typed/records`, { price: "x", active: "y" });
    expect(res.status).toBe(400);
    expect(res.json.error.details.errors.map((e: { field: string }) => e.field)).toEqual(["data.price", "data.active", "data.title"]);
  });

  test("schemaless records take any JSON object; nulls at the top level are dropped", async () => {
    const res = await f.api("POST", `${base}/free/records`, { a: 1, b: { c: [true, null, "x"] }, gone: null });
    expect(res.status).toBe(201);
    expect(res.json.data).toMatchObject({ a: 1, b: { c: [true, null, "x"] } });
    expect("gone" in res.json.data).toBe(false);
  });

  test("values that are not JSON are refused by the service, naming the field", () => {
    for (const [value, field] of [
      [() => 1, "data.fn"],
      [Number.NaN, "data.fn"],
      [Infinity, "data.fn"],
      [new Date(0), "data.fn"],
      [{ nested: () => 1 }, "data.fn"],
      [10n, "data.fn"],
    ] as const) {
      const error = thrown(() => f.records.create(f.accountId, "free", { fn: value }));
      expect(error.status).toBe(400);
      expect(error.details?.field).toBe(field);
    }
    // A Date is fine where a date is expected.
    const ok = f.records.create(f.accountId, "typed", { title: "x", due: new Date(Date.UTC(2025, 0, 1)) });
    expect(ok.due).toBe("2025-01-01T00:00:00.000Z");
  });

  test(`a record over ${MAX_RECORD_BYTES} bytes of JSON is 413 naming data`, () => {
    const error = thrown(() => f.records.create(f.accountId, "free", { big: "é".repeat(MAX_RECORD_BYTES / 2) }));
    expect(error.status).toBe(413);
    expect(error.details).toEqual({ field: "data", limit_bytes: MAX_RECORD_BYTES });
    expect(f.records.create(f.accountId, "free", { big: "x".repeat(MAX_RECORD_BYTES - 20) }).big).toHaveLength(MAX_RECORD_BYTES - 20);
  });
});

describe("unique fields", () => {
  test("a duplicate value is 409 naming the field, on create and on patch", async () => {
    expect((await f.api("POST", `${base}/typed/records`, { title: "a", email: "x@example.com" })).status).toBe(201);
    const dup = await f.api("POST", `${base}/typed/records`, { title: "b", email: "x@example.com" });
    expect(dup.status).toBe(409);
    expect(dup.json.error.code).toBe("CONFLICT");
    expect(dup.json.error.details).toEqual({ field: "data.email", fields: ["data.email"] });
    const other = await f.api("POST", `${base}/typed/records`, { title: "c", email: "y@example.com" });
    const patch = await f.api("PATCH", `${base}/typed/records/${other.json.data.id}`, { email: "x@example.com" });
    expect(patch.status).toBe(409);
    expect(patch.json.error.details.field).toBe("data.email");
    // Records without the field do not collide.
    expect((await f.api("POST", `${base}/typed/records`, { title: "d" })).status).toBe(201);
    expect((await f.api("POST", `${base}/typed/records`, { title: "e" })).status).toBe(201);
  });

  test("a composite unique index names all its fields", async () => {
    await f.api("POST", base, { name: "seats", indexes: [{ fields: ["row", "seat"], unique: true }] });
    expect((await f.api("POST", `${base}/seats/records`, { row: "A", seat: 1 })).status).toBe(201);
    expect((await f.api("POST", `${base}/seats/records`, { row: "A", seat: 2 })).status).toBe(201);
    const dup = await f.api("POST", `${base}/seats/records`, { row: "A", seat: 1 });
    expect(dup.status).toBe(409);
    expect(dup.json.error.details.fields).toEqual(["data.row", "data.seat"]);
  });
});

describe("listing over REST", () => {
  beforeAll(async () => {
    await f.api("POST", base, { name: "people", fields: [{ name: "name", type: "text" }, { name: "age", type: "number" }, { name: "city", type: "text" }] });
    for (const [name, age, city] of [
      ["Ann", 31, "Paris"],
      ["Bob", 25, "Oslo"],
      ["Cid", 40, "Paris"],
      ["Dee", 25, "Rome"],
      ["Eve", 35, "Oslo"],
    ] as const) {
      expect((await f.api("POST", `${base}/people/records`, { name, age, city })).status).toBe(201);
    }
  });
  const names = (res: { json: { data: { name: string }[] } }) => res.json.data.map((r) => r.name);
  const list = (query: string) => f.api("GET", `${base}/people/records?${query}`);

  test("default: oldest first, offset meta with the total", async () => {
    const res = await list("");
    expect(names(res)).toEqual(["Ann", "Bob", "Cid", "Dee", "Eve"]);
    expect(res.json.meta).toEqual({ limit: 50, offset: 0, total: 5, next_cursor: null });
  });

  test("sort: -created_at, data fields, several keys", async () => {
    expect(names(await list("sort=-created_at"))).toEqual(["Eve", "Dee", "Cid", "Bob", "Ann"]);
    expect(names(await list("sort=age,-name"))).toEqual(["Dee", "Bob", "Ann", "Eve", "Cid"]);
    expect(names(await list("sort=city,-created_at"))).toEqual(["Eve", "Bob", "Cid", "Ann", "Dee"]);
    expect(names(await list(`sort=${encodeURIComponent("-age, name")}`))).toEqual(["Cid", "Eve", "Ann", "Bob", "Dee"]);
  });

  test("filter, limit, offset and page", async () => {
    const q = encodeURIComponent("city = 'Paris' or age < 30");
    const res = await list(`filter=${q}&limit=2&offset=1`);
    expect(names(res)).toEqual(["Bob", "Cid"]);
    expect(res.json.meta).toMatchObject({ limit: 2, offset: 1, total: 4 });
    const page = await list(`filter=${q}&limit=2&page=2`);
    expect(names(page)).toEqual(["Cid", "Dee"]);
    expect(page.json.meta).toMatchObject({ page: 2, limit: 2, offset: 2, total: 4 });
    expect((await list("limit=1001")).status).toBe(400);
    expect((await list("limit=0")).status).toBe(400);
    expect((await list("page=1&offset=1")).status).toBe(400);
  });

  test("fields picks top-level fields", async () => {
    const res = await list("fields=name,id&limit=1");
    expect(Object.keys(res.json.data[0]).sort()).toEqual(["id", "name"]);
    expect((await list("fields=name,nope")).status).toBe(400);
  });

  test("bad filters and sorts are 400 naming where", async () => {
    const bad = await list(`filter=${encodeURIComponent("age >")}`);
    expect(bad.status).toBe(400);
    expect(bad.json.error.details).toMatchObject({ field: "filter", position: 5 });
    const unknown = await list(`filter=${encodeURIComponent("agee = 1")}`);
    expect(unknown.status).toBe(400);
    expect(unknown.json.error.message).toContain("unknown field 'agee' at position 0");
    const sort = await list("sort=nope");
    expect(sort.status).toBe(400);
    expect(sort.json.error.details.field).toBe("sort");
  });

  test("cursor pages over REST: empty cursor starts, next_cursor continues, has_more ends", async () => {
    const seen: string[] = [];
    let cursor = "";
    for (let i = 0; i < 10; i++) {
      const res = await list(`sort=-created_at&limit=2&cursor=${cursor}`);
      expect(res.status).toBe(200);
      seen.push(...names(res));
      if (!res.json.meta.has_more) {
        expect(res.json.meta.next_cursor).toBeNull();
        break;
      }
      cursor = res.json.meta.next_cursor;
    }
    expect(seen).toEqual(["Eve", "Dee", "Cid", "Bob", "Ann"]);
    expect((await list("sort=name&cursor=")).status).toBe(400);
    expect((await list("cursor=garbage!")).status).toBe(400);
  });

  test("aggregate over REST", async () => {
    const sum = await f.api("GET", `${base}/people/aggregate?function=sum&field=age&filter=${encodeURIComponent("city = 'Oslo'")}`);
    expect(sum.json.data).toBe(60);
    const grouped = await f.api("GET", `${base}/people/aggregate?function=count&group_by=city`);
    expect(grouped.json.data).toEqual([
      { group: "Oslo", value: 2 },
      { group: "Paris", value: 2 },
      { group: "Rome", value: 1 },
    ]);
    expect((await f.api("GET", `${base}/people/aggregate?function=median&field=age`)).status).toBe(400);
    expect((await f.api("GET", `${base}/people/aggregate?function=sum`)).status).toBe(400);
    expect((await f.api("GET", `${base}/people/aggregate?function=sum&field=nope`)).status).toBe(400);
  });

  test("REST filters see the caller: @owns_record() matches records whose owner_id is the caller's user id", async () => {
    const me = f.owner.principal.user_id;
    await f.api("POST", `${base}/free/records`, { label: "mine", owner_id: me });
    await f.api("POST", `${base}/free/records`, { label: "theirs", owner_id: "usr_someone_else" });
    const res = await f.api("GET", `${base}/free/records?filter=${encodeURIComponent("@owns_record()")}`);
    expect(res.json.data.map((r: { label: string }) => r.label)).toEqual(["mine"]);
  });

  test("REST filters are not templates: braces are plain text", async () => {
    await f.api("POST", `${base}/free/records`, { label: "{{request.params.id}}" });
    const res = await f.api("GET", `${base}/free/records?filter=${encodeURIComponent("label = '{{request.params.id}}'")}`);
    expect(res.json.data.map((r: { label: string }) => r.label)).toEqual(["{{request.params.id}}"]);
  });
});

describe("concurrency", () => {
  test("50 clients creating at once over a real socket: every record lands", async () => {
    await f.api("POST", base, { name: "burst", fields: [{ name: "n", type: "number", unique: true }] });
    const server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: (request) => f.app.handle(request) });
    try {
      const url = `http://127.0.0.1:${server.port}${base}/burst/records`;
      const responses = await Promise.all(
        Array.from({ length: 50 }, (_, n) =>
          fetch(url, { method: "POST", headers: { authorization: `Bearer ${f.token}`, "content-type": "application/json" }, body: JSON.stringify({ n }) }),
        ),
      );
      const bodies = await Promise.all(responses.map((r) => r.json() as Promise<{ data: { id: string; n: number } }>));
      expect(responses.map((r) => r.status)).toEqual(Array(50).fill(201));
      expect(new Set(bodies.map((b) => b.data.id)).size).toBe(50);
    } finally {
      server.stop(true);
    }
    const count = await f.api("GET", `${base}/burst/aggregate?function=count`);
    expect(count.json.data).toBe(50);
    const all = f.records.list(f.accountId, "burst", { limit: 1000 });
    expect(all.meta).toMatchObject({ total: 50 });
    expect(all.records.map((r) => r.n).sort((a, b) => (a as number) - (b as number))).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });
});

describe("select (what query_records returns)", () => {
  test("the records of list() for the same page, and nothing else", async () => {
    for (let i = 0; i < 7; i++) expect((await f.api("POST", `${base}/free/records`, { n: i, kind: i % 2 ? "odd" : "even" })).status).toBe(201);
    const cases = [
      { filter: { source: "kind = 'even'", renderLiteral: (raw: string) => raw }, limit: 2 },
      { sort: "-n", limit: 3, offset: 2 },
      { sort: "n", limit: 100, fields: ["n"] },
      { filter: { source: "kind = 'none'", renderLiteral: (raw: string) => raw } },
    ];
    for (const options of cases) {
      const selected = await f.records.select(f.accountId, "free", options);
      expect(selected).toEqual(f.records.list(f.accountId, "free", options).records);
      expect(selected.length).toBeLessThanOrEqual(options.limit ?? 50);
    }
    expect((await f.records.select(f.accountId, "free", { sort: "-n", limit: 3, offset: 2 })).map((r) => r.n)).toEqual([4, 3, 2]);
    expect(thrown(() => f.records.select(f.accountId, "free", { limit: 0 })).code).toBe("VALIDATION_ERROR");
  });
});
