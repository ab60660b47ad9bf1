/** @module expr/printer.test Canonical printing, table-driven, and the print/parse round trip as a property. */

import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { stripPositions } from "./ast.ts";
import { parse } from "./parser.ts";
import { print } from "./printer.ts";
import { anyCallArb, anyPathArb, exprArb, scalarArb } from "./test-arbitraries.ts";

describe("print", () => {
  test.each([
    ["a=1", "a = 1"],
    ["A == 'x' AND b", "A = 'x' and b"],
    ["a && b || !c", "a and b or not c"],
    ["(a or b) and c", "(a or b) and c"],
    ["a or (b and c)", "a or b and c"],
    ["a or (b or c)", "a or (b or c)"],
    ["(a and b) and c", "(a and b) and c"],
    ["not (a or b)", "not (a or b)"],
    ["not (a = 1)", "not a = 1"],
    ["(a = 1) = (b > 2)", "(a = 1) = (b > 2)"],
    ['a = "it\'s"', "a = 'it\\'s'"],
    ["a = 'back\\\\slash\\n\\u0000'", "a = 'back\\\\slash\\n\\u0000'"],
    ["a = 'é😀'", "a = 'é😀'"],
    ["a = -0", "a = -0"],
    ["a = 1e21", "a = 1e+21"],
    ["a = 0.000001", "a = 0.000001"],
    ["a = 1e-7", "a = 1e-7"],
    ["x in ( 1,2 )", "x in (1, 2)"],
    ["x not in ((a or b))", "x not in ((a or b))"],
    ["h[\"x-y\"].in[0]", "h['x-y'].in[0]"],
    ["@ip_in( '10.0.0.0/8' )", "@ip_in('10.0.0.0/8')"],
    ["@f(TRUE, NULL, -1)", "@f(true, null, -1)"],
  ])("%j -> %j", (src, expected) => {
    expect(print(parse(src))).toBe(expected);
  });
});

describe("round trip", () => {
  const trees = exprArb({ fields: anyPathArb, literals: scalarArb, calls: anyCallArb, maxDepth: 5 });

  test("parse(print(ast)) rebuilds any tree", () => {
    fc.assert(
      fc.property(trees, (ast) => {
        const source = print(ast);
        expect(stripPositions(parse(source, { maxLength: 1_000_000 }))).toEqual(stripPositions(ast));
      }),
      { numRuns: 500 },
    );
  });

  test("printing is idempotent on canonical text", () => {
    fc.assert(
      fc.property(trees, (ast) => {
        const once = print(ast);
        expect(print(parse(once, { maxLength: 1_000_000 }))).toBe(once);
      }),
      { numRuns: 300 },
    );
  });

  test("any string literal survives quoting", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), (s) => {
        const ast = parse(print({ kind: "literal", value: s, pos: 0 }), { maxLength: 1_000_000 });
        expect(ast).toEqual({ kind: "literal", value: s, pos: 0 });
      }),
      { numRuns: 300 },
    );
  });
});
