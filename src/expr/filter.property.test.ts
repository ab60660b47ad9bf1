/**
 * @module expr/filter.property.test
 * The differential test: for random records and random filters, the SQL from
 * `toSql` run on a real SQLite database selects exactly the records that the
 * in-memory evaluator accepts. Plus the injection property for templates.
 */

import { Database } from "bun:sqlite";
import { afterAll, describe, expect, test } from "bun:test";
import fc from "fast-check";
import type { Expr, LiteralValue } from "./ast.ts";
import { compileFilter } from "./filter.ts";
import { recordFieldResolver } from "./json-path.ts";
import { print } from "./printer.ts";
import { filterArb as filterShapeArb, FILTER_FIELDS, jsonValueArb, recordDataArb, scalarArb, STRING_POOL } from "./test-arbitraries.ts";

const db = new Database(":memory:");
db.run("CREATE TABLE records (id TEXT PRIMARY KEY, created_at INTEGER NOT NULL, data TEXT NOT NULL)");
const insert = db.prepare("INSERT INTO records (id, created_at, data) VALUES (?, ?, ?)");
afterAll(() => db.close());

const fields = recordFieldResolver({ id: "id", created_at: "created_at" });
const TEMPLATES = ["{{t0}}", "{{t1}}", "{{request.params.x}}"];

interface Row {
  id: string;
  created_at: number;
  data: Record<string, unknown>;
}

function load(rows: Row[]): void {
  db.transaction(() => {
    db.run("DELETE FROM records");
    for (const r of rows) insert.run(r.id, r.created_at, JSON.stringify(r.data));
  })();
}

function selectIds(sql: string, params: unknown[]): string[] {
  return (db.query(`SELECT id FROM records WHERE ${sql} ORDER BY id`).all(...(params as never[])) as { id: string }[]).map((r) => r.id);
}

/** What the collections module hands to `matches`: columns and data fields side by side. */
const asRecord = (r: Row) => ({ ...r.data, id: r.id, created_at: r.created_at });

const rowsArb = fc
  .array(fc.tuple(recordDataArb, fc.integer({ min: -3, max: 3 }), fc.constantFrom("r", "", " ", "0")), { minLength: 4, maxLength: 16 })
  .map((items) => items.map(([data, created_at, prefix], i) => ({ id: `${prefix}${i}`, created_at, data })));

const literalArb: fc.Arbitrary<LiteralValue> = fc.oneof({ weight: 5, arbitrary: scalarArb }, { weight: 1, arbitrary: fc.constantFrom(...TEMPLATES) });
const callArb: fc.Arbitrary<Expr> = fc.constantFrom<Expr>(
  { kind: "call", name: "owns_record", args: [], pos: 0 },
  { kind: "call", name: "is_authenticated", args: [], pos: 0 },
  { kind: "call", name: "has_role", args: [{ kind: "literal", value: "admin", pos: 0 }], pos: 0 },
);
const filterArb = filterShapeArb({ fields: fc.constantFrom(...FILTER_FIELDS), literals: literalArb, calls: callArb });
const ctxArb = fc.record({
  auth: fc.record({
    user_id: fc.constantFrom(undefined, null, "", "u1", "5", 5),
    roles: fc.constantFrom([], ["admin"], ["member"]),
  }, { requiredKeys: [] }),
});
const renderedArb = fc.tuple(jsonValueArb, jsonValueArb, jsonValueArb);

describe("filters: SQLite agrees with the in-memory evaluator", () => {
  test("random filters over random records select the same records", () => {
    let informative = 0;
    const numRuns = 500;
    fc.assert(
      fc.property(rowsArb, filterArb, ctxArb, renderedArb, (rows, ast, ctx, rendered) => {
        const source = print(ast);
        const filter = compileFilter(source, { fields, maxLength: 100_000 });
        const values = {
          ctx,
          renderLiteral: (raw: string) => rendered[TEMPLATES.indexOf(raw)] ?? raw,
        };
        load(rows);
        const { sql, params } = filter.toSql(values);
        const matcher = filter.matcher(values);
        const expected = rows.filter((r) => matcher(asRecord(r))).map((r) => r.id).sort();
        expect({ source, ids: selectIds(sql, params) }).toEqual({ source, ids: expected });
        if (expected.length > 0 && expected.length < rows.length) informative++;
      }),
      { numRuns },
    );
    // Guard against a generator drift that makes every filter select all or nothing.
    expect(informative).toBeGreaterThan(numRuns / 5);
  }, 30_000);

  test("every record shape agrees on every single comparison (exhaustive over the pools)", () => {
    // Complements the random test: each operator, field and pool literal meets every generated record.
    const rows: Row[] = fc.sample(rowsArb, { numRuns: 8, seed: 42 }).flat().map((r, i) => ({ ...r, id: `k${i}` }));
    load(rows);
    for (const op of ["=", "!=", "<", "<=", ">", ">=", "~", "!~"]) {
      for (const field of ["name", "age", "x", "meta.a", "tags[0]", "id", "created_at"]) {
        for (const value of [...STRING_POOL, 0, 5, -1, 1.5, 1e21, 3165117988249157600, true, false, null]) {
          const filter = compileFilter(`${field} ${op} ${print({ kind: "literal", value, pos: 0 })}`, { fields });
          const { sql, params } = filter.toSql();
          const expected = rows.filter((r) => filter.matches(asRecord(r))).map((r) => r.id).sort();
          expect({ f: filter.source, ids: selectIds(sql, params) }).toEqual({ f: filter.source, ids: expected });
        }
      }
    }
  });
});

describe("filters: template values can never change the query", () => {
  const filter = compileFilter("name = '{{v}}'", { fields });
  const hostile = fc.oneof(
    fc.string({ unit: "binary", maxLength: 20 }),
    fc.constantFrom("' or 1=1 --", "'; DROP TABLE records; --", '" OR ""="', "\\", "\\'", "\u0000", "a\u0000' OR 1=1", "{{v}}", "%", "_", "*", "5", "É", "😀"),
  );

  test("name = '{{v}}' matches exactly the records whose name is v", () => {
    fc.assert(
      fc.property(hostile, fc.array(fc.oneof(hostile, fc.constantFrom(...STRING_POOL)), { maxLength: 6 }), (s, others) => {
        const names = [s, `${s}x`, s.toUpperCase(), s.toLowerCase(), ...others];
        const rows: Row[] = names.map((name, i) => ({ id: `n${i}`, created_at: 0, data: { name } }));
        load(rows);
        const { sql, params } = filter.toSql({ renderLiteral: (raw) => (raw === "{{v}}" ? s : raw) });
        expect(sql).toBe(filter.sql); // structure fixed at compile time
        const expected = rows.filter((r) => r.data.name === s).map((r) => r.id).sort();
        expect(selectIds(sql, params)).toEqual(expected);
      }),
      { numRuns: 300 },
    );
    expect((db.query("SELECT count(*) AS n FROM sqlite_master WHERE name = 'records'").get() as { n: number }).n).toBe(1);
  }, 30_000);

  test("the SQL text is the same whatever type the rendered value has", () => {
    const texts = new Set([null, 5, "5", "x", true, { a: 1 }, [1]].map((v) => filter.toSql({ renderLiteral: () => v }).sql));
    expect(texts.size).toBe(1);
  });
});
