/** @module expr/sql-fragment.test joinBalanced: the shape of the grouping, parameter order, and SQLite's depth limit. */

import { Database } from "bun:sqlite";
import { afterAll, describe, expect, test } from "bun:test";
import { constant, joinBalanced, joinSql, type SqlFragment } from "./sql-fragment.ts";

const db = new Database(":memory:");
afterAll(() => db.close());

const leaves = (n: number): SqlFragment[] => Array.from({ length: n }, (_, i) => ({ sql: `x${i}`, params: [() => i] }));

/**
 * Height of the operator tree SQLite builds for joinBalanced's output: a flat
 * run inside one pair of parentheses is left-deep (one level per operator),
 * parentheses add no level of their own.
 */
function height(text: string): number {
  const tokens = text.match(/\(|\)|[A-Z]+|[a-z]\w*/g)!;
  let i = 0;
  const operand = (): number => {
    const tok = tokens[i++];
    if (tok !== "(") return 0;
    let h = operand();
    while (tokens[i] === "AND" || tokens[i] === "OR") {
      i++;
      h = Math.max(h, operand()) + 1;
    }
    if (tokens[i++] !== ")") throw new Error(`unbalanced: ${text}`);
    return h;
  };
  const h = operand();
  if (i !== tokens.length) throw new Error(`trailing text: ${text}`);
  return h;
}

describe("joinBalanced", () => {
  test.each([
    [1, "(x0)"],
    [2, "(x0 OR x1)"],
    [3, "(x0 OR x1 OR x2)"],
    [4, "((x0 OR x1) OR (x2 OR x3))"],
    [5, "((x0 OR x1 OR x2) OR (x3 OR x4))"],
    [7, "(((x0 OR x1) OR (x2 OR x3)) OR (x4 OR x5 OR x6))"],
  ])("%i operands: %s", (n, expected) => {
    expect(joinBalanced(leaves(n), "OR").sql).toBe(expected);
  });

  test("up to three operands it is the plain flat join", () => {
    for (const n of [1, 2, 3]) expect(joinBalanced(leaves(n), "AND").sql).toBe(`(${joinSql(leaves(n), " AND ").sql})`);
  });

  test("the tree is ceil(log2 n) levels deep, and the operands and params keep their order", () => {
    for (const n of [1, 2, 3, 4, 5, 8, 9, 100, 1000, 2000, 4097, 100_000]) {
      const joined = joinBalanced(leaves(n), "AND");
      expect({ n, height: height(joined.sql) }).toEqual({ n, height: Math.ceil(Math.log2(n)) });
      expect(joined.sql.match(/x\d+/g)?.slice()).toEqual(leaves(n).map((l) => l.sql));
      expect(joined.params.map((get) => get({ ctx: {}, values: [] }))).toEqual(leaves(n).map((_, i) => i));
    }
  });

  test("SQLite refuses a flat chain of 2,000 but runs the balanced one, with the same answer", () => {
    const parts = Array.from({ length: 2000 }, (_, i) => constant(i === 1234 ? 1 : 0));
    const run = (f: SqlFragment) => db.query(`SELECT ${f.sql} AS v`).get(...(f.params.map((get) => get({ ctx: {}, values: [] })) as never[]));
    expect(() => run(joinSql(parts, " OR "))).toThrow("Expression tree is too large");
    expect(run(joinBalanced(parts, "OR"))).toEqual({ v: 1 });
    expect(run(joinBalanced(parts, "AND"))).toEqual({ v: 0 });
  });
});
