/** @module expr/parser.test Precedence, node shapes, error positions and limits, table-driven. */

import { describe, expect, test } from "bun:test";
import type { Expr } from "./ast.ts";
import { ExprError } from "./errors.ts";
import { parse } from "./parser.ts";
import { pathToString } from "./source-text.ts";

/** Compact S-expression of a tree, so precedence is visible at a glance. */
function sx(e: Expr): string {
  switch (e.kind) {
    case "logical":
      return `(${e.op} ${e.operands.map(sx).join(" ")})`;
    case "not":
      return `(not ${sx(e.operand)})`;
    case "compare":
      return `(${e.op} ${sx(e.left)} ${sx(e.right)})`;
    case "in":
      return `(${e.negated ? "not-in" : "in"} ${sx(e.value)} ${e.items.map(sx).join(" ")})`;
    case "literal":
      return JSON.stringify(e.value);
    case "field":
      return pathToString(e.path);
    case "call":
      return `@${e.name}(${e.args.map(sx).join(" ")})`;
  }
}

function errorOf(fn: () => unknown): ExprError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ExprError) return e;
    throw e;
  }
  throw new Error("expected an ExprError");
}

describe("precedence and shapes", () => {
  test.each([
    ["a = 1", '(= a 1)'],
    ["a or b and c", "(or a (and b c))"],
    ["a and b or c", "(or (and a b) c)"],
    ["a || b && c", "(or a (and b c))"],
    ["(a or b) and c", "(and (or a b) c)"],
    ["a and b and c", "(and a b c)"],
    ["a or b or c or d", "(or a b c d)"],
    ["a and (b and c)", "(and a (and b c))"],
    ["not a and b", "(and (not a) b)"],
    ["not (a and b)", "(not (and a b))"],
    ["!a = 1", "(not (= a 1))"],
    ["not not a", "(not (not a))"],
    ["not a = 1 or b", "(or (not (= a 1)) b)"],
    ["a != 'x'", '(!= a "x")'],
    ["a > 1", "(> a 1)"],
    ["a >= 1", "(>= a 1)"],
    ["a < -1.5", "(< a -1.5)"],
    ["a <= 1e3", "(<= a 1000)"],
    ["a ~ 'X'", '(~ a "X")'],
    ["a !~ 'X'", '(!~ a "X")'],
    ["a == b", "(= a b)"],
    ["a in (1, 'b', null, true)", '(in a 1 "b" null true)'],
    ["a not in (1)", "(not-in a 1)"],
    ["not a in (1)", "(not (in a 1))"],
    ["(a = 1) = true", "(= (= a 1) true)"],
    ["a in ((b or c), d)", "(in a (or b c) d)"],
    ["((((a))))", "a"],
    ["@has_role('admin') or @owns_record()", '(or @has_role("admin") @owns_record())'],
    ["@ip_in('10.0.0.0/8')", '@ip_in("10.0.0.0/8")'],
    ["@f(1, -2, true, null)", "@f(1 -2 true null)"],
    ["request.body.items[0].sku = 'x'", '(= request.body.items[0].sku "x")'],
    ["AND_x = 1", "(= AND_x 1)"],
    ["true", "true"],
    ["null = null", "(= null null)"],
  ])("%j", (src, expected) => {
    expect(sx(parse(src))).toBe(expected);
  });

  test("nodes carry the offset of their first character", () => {
    const ast = parse("  a = 1 or not @f('x')");
    expect(ast).toMatchObject({
      kind: "logical",
      pos: 2,
      operands: [
        { kind: "compare", pos: 2, left: { pos: 2 }, right: { pos: 6 } },
        { kind: "not", pos: 11, operand: { kind: "call", pos: 15, args: [{ pos: 18 }] } },
      ],
    });
  });
});

describe("errors name the position", () => {
  test.each([
    ["", "unexpected end of expression at position 0"],
    ["a = ", "unexpected end of expression at position 4"],
    ["a = 1 )", "unexpected ')' at position 6"],
    ["(a = 1", "expected ')' but the expression ended at position 6"],
    ["(a = 1 b", "expected ')', found 'b' at position 7"],
    ["a = 1 = 2", "unexpected '=' at position 6"],
    ["a and or b", "unexpected 'or' at position 6"],
    ["a b", "unexpected 'b' at position 2"],
    ["a in 1", "expected '(', found number 1 at position 5"],
    ["a in ()", "unexpected ')' at position 6"],
    ["a in (1,)", "unexpected ')' at position 8"],
    ["a not b", "unexpected 'not' at position 2"],
    ["= 1", "unexpected '=' at position 0"],
    ["@f(a)", "function arguments must be constants at position 3"],
    ["@f(@g())", "function arguments must be constants at position 3"],
    ["@f('a',)", "unexpected ')' at position 7"],
    ["@f", "expected '(' but the expression ended at position 2"],
    ["a = 'a very long string literal that goes on' )", "unexpected ')' at position 46"],
    ["x = 'abcdefghijklmnopqrstuvwxyz' 'b'", "unexpected string 'b' at position 33"],
    ["a = 1 2", "unexpected number 2 at position 6"],
  ])("%j", (src, message) => {
    const err = errorOf(() => parse(src));
    expect(err.message).toBe(message);
    expect(err.position).toBe(Number(message.split(" ").pop()));
  });

  test("long tokens are shortened in messages", () => {
    expect(errorOf(() => parse("a 'abcdefghijklmnopqrstuvwxyz'")).message).toBe("unexpected string 'abcdefghijklmnopqrst... at position 2");
  });
});

describe("limits", () => {
  test.each([
    ["10,000 open parentheses", "(".repeat(10_000), "expression is longer than 4096 characters at position 4096"],
  ])("%s", (_name, src, message) => {
    expect(errorOf(() => parse(src)).message).toBe(message);
  });

  test.each([
    ["10,000 nested parentheses", `${"(".repeat(10_000)}a${")".repeat(10_000)}`, 64],
    ["10,000 nots", `${"not ".repeat(10_000)}a`, 256],
    ["10,000 bangs", `${"!".repeat(10_000)}a`, 64],
    ["nested lists", `a in (${"(b in (".repeat(5_000)}`, 6 + 7 * 64],
  ])("%s give a clean ExprError, not a RangeError", (_name, src, position) => {
    const err = errorOf(() => parse(src, { maxLength: 1_000_000 }));
    expect(err.message).toBe(`expression nests deeper than 64 levels at position ${position}`);
  });

  test("the limits are options", () => {
    expect(() => parse("((a))", { maxDepth: 1 })).toThrow("expression nests deeper than 1 levels at position 1");
    expect(() => parse("a = 1", { maxLength: 4 })).toThrow("expression is longer than 4 characters at position 4");
    expect(sx(parse(`${"(".repeat(64)}a${")".repeat(64)}`))).toBe("a");
  });

  test("a long flat chain is fine (n-ary, no deep recursion)", () => {
    const src = Array.from({ length: 500 }, (_, i) => `a${i} = ${i}`).join(" or ");
    const ast = parse(src, { maxLength: 100_000 });
    expect(ast.kind === "logical" && ast.operands.length).toBe(500);
  });

  test("non-string input", () => {
    expect(errorOf(() => parse(42 as unknown as string)).message).toBe("expression must be a string at position 0");
  });
});
