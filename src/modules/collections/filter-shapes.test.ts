import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { compileFilterAst, parse, type LiteralValue } from "../../expr";
import { buildShape, shapeKey, templateLiterals, templatesOnlyAgainstFields } from "./filter-shapes";
import type { FilterInput, RecordView } from "./records-service";
import { createCollectionsFixture, type CollectionsFixture } from "./testing";

describe("which filters get shapes", () => {
  const cases: [string, boolean][] = [
    ["customer_id = '{{request.params.customer_id}}'", true],
    ["'{{v}}' = customer_id", true],
    ["a != '{{v}}' and (b > '{{w}}' or not c <= '{{w}}')", true],
    ["a in ('{{v}}', 'x', '{{w}}')", true],
    ["'{{v}}' in (a, b)", true],
    ["a = 'no template'", true],
    ["@owns_record() or a = '{{v}}'", true],
    ["a ~ '{{v}}'", false],
    ["a !~ '{{v}}'", false],
    ["'{{v}}' = 'x'", false],
    ["'{{v}}' = '{{w}}'", false],
    ["'{{v}}'", false],
    ["not '{{v}}'", false],
    ["'{{v}}' in ('a', b)", false],
    ["@has_role('{{v}}')", false],
  ];
  for (const [source, expected] of cases) {
    test(`${source}: ${expected ? "yes" : "no"}`, () => expect(templatesOnlyAgainstFields(parse(source))).toBe(expected));
  }

  test("templates come in the order they are rendered", () => {
    expect(templateLiterals(parse("a = '{{1}}' and ('{{2}}' in (b, c) or d in ('{{3}}', 'x', '{{4}}'))")).map((n) => n.value)).toEqual(["{{1}}", "{{2}}", "{{3}}", "{{4}}"]);
  });

  test("kinds: plain text and finite numbers only", () => {
    expect(shapeKey(["c_1", 5, -0.5, ""])).toBe("snns");
    for (const value of [null, true, false, "5", " 1e3 ", "-2.5", "a {{b}}", Number.NaN, Number.POSITIVE_INFINITY]) expect(shapeKey(["x", value as LiteralValue])).toBeNull();
  });

  test("a shape whose parameter is derived from the value (a contains test lowercases it) is refused", () => {
    const ast = parse("a ~ '{{v}}'");
    const [template] = templateLiterals(ast);
    const fields = (name: string) => `"${name}"`;
    const compile = (values: readonly LiteralValue[]) => compileFilterAst({ ...ast, right: { ...template!, value: values[0]! } } as typeof ast, { fields });
    expect(buildShape("s", compile, {})).toBeNull();
    const plain = parse("a = '{{v}}'");
    const [t2] = templateLiterals(plain);
    const compilePlain = (values: readonly LiteralValue[]) => compileFilterAst({ ...plain, right: { ...t2!, value: values[0]! } } as typeof plain, { fields });
    expect(buildShape("s", compilePlain, {})?.slots).toEqual([[0, 0]]);
  });
});

describe("a shaped filter answers exactly what the same filter with its values written in does", () => {
  let f: CollectionsFixture;
  let acc: string;
  const data: Record<string, unknown>[] = [
    { label: "a", status: "open", total: 10, owner_id: "usr_1" },
    { label: "b", status: "closed", total: 250.5, owner_id: "usr_2" },
    { label: "c", status: "open", total: 99 },
    { label: "d", status: "pending", total: "100", owner_id: "usr_1" },
    { label: "e", total: 0 },
    { label: "f", status: "OPEN", total: -5 },
    { label: "g", status: "10", total: 7 },
  ];
  beforeAll(async () => {
    f = await createCollectionsFixture();
    acc = f.accountId;
    f.collections.create(f.owner, { name: "shaped", indexes: [{ fields: ["status"] }] });
    for (const d of data) f.records.create(acc, "shaped", d);
  });
  afterAll(() => f.close());

  const labels = (rows: RecordView[]) => rows.map((r) => r.label);
  const list = (filter: FilterInput) => labels(f.records.list(acc, "shaped", { filter, limit: 100 }).records);
  const literal = (value: unknown) => (value === undefined || value === null ? "null" : typeof value === "string" ? `'${value.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'` : String(value));

  const sources = [
    "status = '{{v}}'",
    "status != '{{v}}'",
    "'{{v}}' = status",
    "total > '{{v}}'",
    "total <= '{{v}}'",
    "'{{v}}' < total",
    "label >= '{{v}}' and label < '{{w}}'",
    "status in ('{{v}}', 'closed', '{{w}}')",
    "'{{v}}' in (status, label)",
    "not (status = '{{v}}' or total = '{{w}}')",
    "status ~ '{{v}}'",
  ];
  const values: unknown[] = ["open", "closed", "OPEN", "b", "", "10", "100", 10, 99, -5, 250.5, 0, true, null, undefined, "x' OR 1=1 --"];

  test("for every value kind, on first and later calls (the shape is reused)", () => {
    for (const source of sources) {
      for (let round = 0; round < 2; round++) {
        for (const v of values) {
          const w = values[(values.indexOf(v) + 3) % values.length];
          const render = (raw: string) => (raw === "{{v}}" ? v : w);
          const expected = list({ source: source.replaceAll("'{{v}}'", literal(v)).replaceAll("'{{w}}'", literal(w)) });
          expect(`${source} v=${String(v)} w=${String(w)}: ${list({ source, renderLiteral: render }).join(",")}`).toBe(
            `${source} v=${String(v)} w=${String(w)}: ${expected.join(",")}`,
          );
        }
      }
    }
  });

  test("values from the caller's context are read per query, not kept with the shape", () => {
    const filter = (user: string): FilterInput => ({ source: "@owns_record() and status = '{{v}}'", renderLiteral: () => "pending", ctx: { auth: { user_id: user } } });
    expect(list(filter("usr_1"))).toEqual(["d"]);
    expect(list(filter("usr_2"))).toEqual([]);
    expect(list({ ...filter("usr_2"), renderLiteral: () => "closed" })).toEqual(["b"]);
    expect(list(filter("usr_1"))).toEqual(["d"]);
  });

  test("a shaped text equality still uses the index", () => {
    const filter: FilterInput = { source: "status = '{{v}}'", renderLiteral: () => "open" };
    list(filter);
    expect(f.records.explain(acc, "shaped", { filter, limit: 10 }).join("\n")).toContain("USING INDEX");
  });

  test("records keep their keys in order, with both times as Date#toISOString writes them", () => {
    const [first] = f.records.list(acc, "shaped", { filter: { source: "label = '{{v}}'", renderLiteral: () => "a" }, limit: 1 }).records;
    const stored = f.store.recordById(f.collections.byName(acc, "shaped").tableName, first!.id)!;
    expect(Object.keys(first!)).toEqual(["id", "created_at", "updated_at", "label", "status", "total", "owner_id"]);
    expect(first!.created_at).toBe(new Date(stored.created_at).toISOString());
    const updated = f.records.update(acc, "shaped", first!.id, { total: 11 });
    const row = f.store.recordById(f.collections.byName(acc, "shaped").tableName, first!.id)!;
    expect(updated.updated_at).toBe(new Date(row.updated_at).toISOString());
    expect(updated.created_at).toBe(first!.created_at);
  });
});
