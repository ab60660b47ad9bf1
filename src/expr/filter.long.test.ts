/**
 * @module expr/filter.long.test
 * Long and deep filters on a real SQLite database. SQLite refuses expression
 * trees deeper than 1000 levels when it prepares a statement, so every filter
 * the parser accepts must compile to SQL that stays under it: long `or` /
 * `and` chains and `in` lists (grouped into balanced trees), and nesting up
 * to the parser's depth limit. Each case also checks that SQL selects exactly
 * the records the in-memory evaluator accepts.
 */

import { Database } from "bun:sqlite";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import fc from "fast-check";
import type { CompareOp, Expr, LiteralValue } from "./ast.ts";
import { compileCondition } from "./condition.ts";
import { compileFilter, type FilterValues } from "./filter.ts";
import { recordFieldResolver } from "./json-path.ts";
import { DEFAULT_MAX_DEPTH, DEFAULT_MAX_LENGTH } from "./parser.ts";
import { print } from "./printer.ts";
import { FILTER_FIELDS, recordDataArb, scalarArb } from "./test-arbitraries.ts";

interface Row {
  id: string;
  data: Record<string, unknown>;
}

/** `n` and `a` in every type a JSON field can hold, so long chains meet numbers, numeric text, text, null and missing. */
const ROWS: Row[] = Array.from({ length: 90 }, (_, i) => {
  const n = [i, String(i), `v${i}`, null, undefined, i + 0.5][i % 6];
  const a = [1, 0, "", "x", null, true, false][i % 7];
  const data: Record<string, unknown> = { s: `v${i}` };
  if (n !== undefined) data.n = n;
  if (a !== null) data.a = a;
  return { id: `r${String(i).padStart(2, "0")}`, data };
});

const db = new Database(":memory:");
db.run("CREATE TABLE records (id TEXT PRIMARY KEY, created_at INTEGER NOT NULL, data TEXT NOT NULL)");
const insert = db.prepare("INSERT INTO records (id, created_at, data) VALUES (?, 0, ?)");
afterAll(() => db.close());

function load(rows: readonly Row[]): void {
  db.transaction(() => {
    db.run("DELETE FROM records");
    for (const r of rows) insert.run(r.id, JSON.stringify(r.data));
  })();
}

const fields = recordFieldResolver({ id: "id", created_at: "created_at" });

/** What SQL selects and what the evaluator accepts, over the loaded `rows`. */
function both(source: string, rows: readonly Row[], values: FilterValues = {}, maxLength = DEFAULT_MAX_LENGTH) {
  const filter = compileFilter(source, { fields, maxLength });
  const { sql, params } = filter.toSql(values);
  const selected = db.query(`SELECT id FROM records WHERE ${sql} ORDER BY id`).all(...(params as never[])) as { id: string }[];
  const matcher = filter.matcher(values);
  return {
    sql: selected.map((r) => r.id),
    memory: rows.filter((r) => matcher({ ...r.data, id: r.id, created_at: 0 })).map((r) => r.id).sort(),
    sqlLength: sql.length,
  };
}

/** Asserts SQL and memory agree and that the filter tells records apart (neither none nor all). */
function expectAgreement(source: string, values: FilterValues = {}, maxLength = DEFAULT_MAX_LENGTH) {
  const { sql, memory, sqlLength } = both(source, ROWS, values, maxLength);
  expect(sql).toEqual(memory);
  expect(memory.length).toBeGreaterThan(0);
  expect(memory.length).toBeLessThan(ROWS.length);
  return { ids: memory, sqlLength };
}

const join = (n: number, operand: (i: number) => string, separator: string) => Array.from({ length: n }, (_, i) => operand(i)).join(separator);

describe("long chains and lists run on SQLite and agree with the evaluator", () => {
  beforeAll(() => load(ROWS));

  /** Mostly misses, numbers and numeric text alike, with hits on n ≡ 1 (mod 3). */
  const eqOperand = (i: number) => (i % 2 ? `n = ${3 * i + 1}` : `n = '${3 * i + 1}'`);

  test("a 2,000-operand or chain", () => {
    const source = join(2000, eqOperand, " or ");
    expect(source.length).toBeGreaterThan(DEFAULT_MAX_LENGTH);
    const { ids } = expectAgreement(source, {}, 100_000);
    // n ≡ 1 (mod 3) with n a number or numeric text: r01, r07, r13 ... (r04 and r10 hold v4 / null).
    expect(ids.slice(0, 3)).toEqual(["r01", "r07", "r13"]);
  });

  test("a 2,000-operand and chain", () => {
    expectAgreement(join(2000, (i) => `not (${eqOperand(i)})`, " and "), {}, 100_000);
  });

  test("a 2,000-operand chain of mixed operators, fields, templates and functions", () => {
    const operand = (i: number) =>
      [`n = ${i}`, `s = 'v${i}'`, "n = '{{t}}'", `n > ${i + 50}`, "a", `s ~ '${i}9'`, "@owns_record()", `n in (${i}, '${i + 1}')`][i % 8];
    const values: FilterValues = { renderLiteral: () => 7, ctx: { auth: { user_id: "u1" } } };
    expectAgreement(join(2000, operand, " or "), values, 100_000);
    expectAgreement(join(2000, (i) => `not (${operand(i)})`, " and "), values, 100_000);
  });

  test("a 1,000-element in list, and not in", () => {
    const item = (i: number) => [`${3 * i + 1}`, `'${3 * i + 1}'`, "'v8'", "'{{t}}'", "s"][i % 5];
    const list = join(1000, item, ", ");
    const values: FilterValues = { renderLiteral: () => "v20" };
    expectAgreement(`n in (${list})`, values, 100_000);
    expectAgreement(`n not in (${list})`, values, 100_000);
  });

  test("the reported filters, at the default length limit", () => {
    // total in (1, 1, ... 1000 times) and a || a ... with 1300 terms: both used to fail in SQLite.
    const repro = [`n in (${join(1000, () => "1", ",")})`, join(1300, () => "a", "||"), join(1300, () => "a", "&&")];
    for (const source of repro) expect(source.length).toBeLessThanOrEqual(DEFAULT_MAX_LENGTH);
    expect(both(repro[0]!, ROWS)).toMatchObject({ sql: ["r01"], memory: ["r01"] });
    expectAgreement(repro[1]!);
    expectAgreement(repro[2]!);
  });

  test("the longest chains and lists the default length limit admits", () => {
    for (const source of [join(1366, () => "a", "||"), join(1366, () => "a", "&&"), `n in (${join(2045, () => "1", ",")})`]) {
      expect(source.length).toBe(DEFAULT_MAX_LENGTH);
      const { sql, memory } = both(source, ROWS);
      expect(sql).toEqual(memory);
    }
  });
});

describe("nesting at the parser's depth limit", () => {
  beforeAll(() => load(ROWS));

  /** `wrap` applied `levels` times around `leaf`. */
  const nest = (levels: number, wrap: (inner: string) => string, leaf = "a") => {
    let source = leaf;
    for (let i = 0; i < levels; i++) source = wrap(source);
    return source;
  };

  // Each shape spends one level of parser depth per wrap, at most 64 in all, and fits in 4,096
  // characters; together they cover what one level can add to SQLite's tree.
  const shapes: [string, (inner: string) => string][] = [
    ["nots", (x) => `!${x}`],
    ["or pairs", (x) => `(a || ${x})`],
    ["or chains", (x) => `(a || a || a || a || a || a || a || ${x})`],
    ["comparisons against a field", (x) => `n != (${x})`],
    ["comparisons against a template", (x) => `'{{t}}' <= (${x})`],
    ["comparisons of conditions", (x) => `(${x}) = (a = n)`],
    ["condition values of in lists", (x) => `(${x}) not in (a, 1, '{{t}}', s, (n = 2), 0, 'x')`],
    ["items of long not-in lists", (x) => `n not in ((${x}),a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a)`],
  ];

  test.each(shapes)("%s", (_name, wrap) => {
    const source = nest(DEFAULT_MAX_DEPTH, wrap);
    expect(source.length).toBeLessThanOrEqual(DEFAULT_MAX_LENGTH);
    expect(() => compileFilter(nest(DEFAULT_MAX_DEPTH + 1, wrap), { fields })).toThrow("expression nests deeper than 64 levels");
    const { sql, memory, sqlLength } = both(source, ROWS, { renderLiteral: () => 1 });
    expect(sql).toEqual(memory);
    // Linear in the source: no part of the tree is written once per item of an enclosing list.
    expect(sqlLength).toBeLessThan(source.length * 1000);
  });
});

describe("condition values of in lists (differential)", () => {
  // `(x = 1) in (...)` writes the condition once, as SQLite's own IN (see sql-ops conditionInSql),
  // where other values are repeated per item; this checks it answers as the per-item comparisons do.
  const field = fc.constantFrom(...FILTER_FIELDS).map((path): Expr => ({ kind: "field", path, pos: 0 }));
  const literal = fc.oneof(scalarArb, fc.constant<LiteralValue>("{{t}}")).map((value): Expr => ({ kind: "literal", value, pos: 0 }));
  const leaf = fc.oneof(field, literal);
  const condition: fc.Arbitrary<Expr> = fc.oneof(
    fc.record({ kind: fc.constant("compare" as const), op: fc.constantFrom<CompareOp>("=", "!=", "<", "~"), left: field, right: leaf, pos: fc.constant(0) }),
    fc.record({ kind: fc.constant("not" as const), operand: field, pos: fc.constant(0) }),
    fc.record({ kind: fc.constant("logical" as const), op: fc.constantFrom("and" as const, "or" as const), operands: fc.array(field, { minLength: 2, maxLength: 2 }), pos: fc.constant(0) }),
  );
  const inList = fc.record({
    kind: fc.constant("in" as const),
    negated: fc.boolean(),
    value: condition,
    items: fc.array(fc.oneof(leaf, condition), { minLength: 1, maxLength: 5 }),
    pos: fc.constant(0),
  });
  const rows = fc.array(recordDataArb, { minLength: 5, maxLength: 12 }).map((items) => items.map((data, i): Row => ({ id: `k${String(i).padStart(2, "0")}`, data })));

  test("select the same records as the evaluator", () => {
    let native = 0;
    const numRuns = 1000;
    fc.assert(
      fc.property(rows, inList, scalarArb, (data, ast, rendered) => {
        load(data);
        const source = print(ast);
        // A condition of constants (`id ~ 0.5`) folds to a constant and takes the general path.
        if (compileFilter(source, { fields }).sql.includes(" IN (")) native++;
        const { sql, memory } = both(source, data, { renderLiteral: () => rendered });
        expect({ source, ids: sql }).toEqual({ source, ids: memory });
      }),
      { numRuns },
    );
    expect(native).toBeGreaterThan(numRuns / 2);
  }, 30_000);
});

describe("random long chains (differential)", () => {
  const field = fc.constantFrom(...FILTER_FIELDS).map((path): Expr => ({ kind: "field", path, pos: 0 }));
  const literal = fc.oneof({ weight: 5, arbitrary: scalarArb }, { weight: 1, arbitrary: fc.constant<LiteralValue>("{{t}}") }).map((value): Expr => ({ kind: "literal", value, pos: 0 }));
  const atom: fc.Arbitrary<Expr> = fc.oneof(
    fc.record({ kind: fc.constant("compare" as const), op: fc.constantFrom<CompareOp>("=", "!=", "<", ">=", "~"), left: field, right: fc.oneof(field, literal), pos: fc.constant(0) }),
    fc.record({ kind: fc.constant("in" as const), negated: fc.boolean(), value: field, items: fc.array(fc.oneof(field, literal), { minLength: 1, maxLength: 4 }), pos: fc.constant(0) }),
    fc.record({ kind: fc.constant("not" as const), operand: field, pos: fc.constant(0) }),
  );
  const chain = fc.record({
    kind: fc.constant("logical" as const),
    op: fc.constantFrom("and" as const, "or" as const),
    // size "max": fast-check's default size keeps arrays within a few items of minLength.
    operands: fc.array(atom, { minLength: 1000, maxLength: 2000, size: "max" }),
    pos: fc.constant(0),
  });
  const rows = fc.array(recordDataArb, { minLength: 8, maxLength: 24 }).map((items) => items.map((data, i): Row => ({ id: `k${String(i).padStart(2, "0")}`, data })));

  test("or / and chains of 1,000 to 2,000 random comparisons select the same records", () => {
    fc.assert(
      fc.property(rows, chain, scalarArb, (data, ast, rendered) => {
        load(data);
        const source = print(ast);
        expect(ast.operands.length).toBeGreaterThanOrEqual(1000);
        const { sql, memory } = both(source, data, { renderLiteral: () => rendered }, 1_000_000);
        expect({ source: source.slice(0, 80), ids: sql }).toEqual({ source: source.slice(0, 80), ids: memory });
      }),
      { numRuns: 8 },
    );
  }, 60_000);
});

describe("the in-memory evaluator has no recursion over chain or list length", () => {
  // Far more operands than the JS stack has frames (about 40,000 in Bun), so any per-operand recursion would overflow.
  test("conditions with 100,000 operands and 100,000 list items", () => {
    const ctx = { request: { body: { n: 7 } } };
    const chain = join(100_000, (i) => `request.body.n = ${i === 99_999 ? 7 : -i - 1}`, " or ");
    expect(compileCondition(chain, { maxLength: 10_000_000 }).evaluate(ctx)).toBe(true);
    const all = join(100_000, () => "request.body.n", " and ");
    expect(compileCondition(all, { maxLength: 10_000_000 }).evaluate(ctx)).toBe(true);
    const list = `request.body.n in (${join(100_000, (i) => String(i + 8), ", ")}, 7)`;
    expect(compileCondition(list, { maxLength: 10_000_000 }).evaluate(ctx)).toBe(true);
    expect(compileCondition(`not (${list})`, { maxLength: 10_000_000 }).evaluate(ctx)).toBe(false);
  });
});
