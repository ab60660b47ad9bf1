/** @module expr/values.test The value semantics, one row per rule. */

import { describe, expect, test } from "bun:test";
import { applyCompare, compareStrings, isNumericString, lookupPath, normalize, truthy } from "./values.ts";
import type { CompareOp } from "./ast.ts";

describe("normalize", () => {
  test.each([
    [undefined, null], [null, null], [NaN, null], [true, 1], [false, 0], [5, 5], [-0, -0], ["x", "x"], [10n, 10],
    [{ a: 1 }, '{"a":1}'], [[1, "a"], '[1,"a"]'], [new Date(0), "1970-01-01T00:00:00.000Z"], [() => 1, null], [Symbol("s"), null],
  ])("%p -> %p", (input, expected) => {
    expect(normalize(input)).toBe(expected as never);
  });

  test("cyclic objects count as missing", () => {
    const a: Record<string, unknown> = {};
    a.self = a;
    expect(normalize(a)).toBeNull();
  });
});

describe("numeric strings are JSON numbers", () => {
  test.each([
    ["5", true], ["-5", true], ["5.25", true], ["1e3", true], ["1E+3", true], [" 5 ", true], ["\t5\n", true], ["-0", true],
    ["", false], ["+5", false], [".5", false], ["5.", false], ["05", false], ["0x10", false], ["1_000", false],
    ["\u00a05", false], ["Infinity", false], ["NaN", false], ["5\u0000", false], ["５", false], ["1e", false],
  ])("%j -> %p", (s, expected) => {
    expect(isNumericString(s)).toBe(expected);
  });
});

describe("comparisons", () => {
  // [left, op, right, expected]
  test.each<[unknown, CompareOp, unknown, boolean]>([
    // = : null only equals null
    [null, "=", null, true],
    [undefined, "=", null, true],
    [null, "=", 0, false],
    [null, "=", "", false],
    [null, "!=", "x", true],
    // = : strings exactly, case-sensitive
    ["a", "=", "a", true],
    ["a", "=", "A", false],
    ["5", "=", "5.0", false],
    // = : numbers numerically, numeric strings coerced against numbers
    [5, "=", 5.0, true],
    [5, "=", "5", true],
    ["5.0", "=", 5, true],
    [" 5 ", "=", 5, true],
    ["+5", "=", 5, false],
    ["abc", "=", 0, false],
    [-0, "=", 0, true],
    // booleans are 1/0
    [true, "=", 1, true],
    [true, "=", "1", true],
    [false, "=", 0, true],
    [true, "=", "true", false],
    // objects compare as their JSON text
    [{ a: 1 }, "=", '{"a":1}', true],
    [[1, 2], "=", "[1,2]", true],
    // != is exactly not =
    [null, "!=", null, false],
    [5, "!=", "5", false],
    ["a", "!=", 1, true],
    // ordering: numbers, strings by code point, mixed or null -> false
    [2, "<", 10, true],
    ["2", "<", "10", false],
    ["2", "<", 10, true],
    [10, ">=", "10", true],
    ["b", ">", "a", true],
    ["B", ">", "a", false],
    ["\uffff", "<", "😀", true],
    ["a", "<", 5, false],
    ["a", ">", 5, false],
    [null, "<", 1, false],
    [null, ">=", null, false],
    [1, "<=", null, false],
    // ~ : case-insensitive (ASCII) contains, strings only
    ["Hello World", "~", "WORLD", true],
    ["hello", "~", "", true],
    ["Éclair", "~", "é", false],
    ["éclair", "~", "É", false],
    ["a\u0000b", "~", "\u0000", true],
    [12345, "~", "23", false],
    ["12345", "~", 23, false],
    [null, "~", "a", false],
    ["abc", "!~", "B", false],
    [null, "!~", "a", true],
  ])("%p %s %p -> %p", (a, op, b, expected) => {
    expect(applyCompare(op, normalize(a), normalize(b))).toBe(expected);
  });
});

describe("truthiness", () => {
  test.each([
    [null, false], [undefined, false], [0, false], [-0, false], ["", false], [false, false],
    [1, true], [-1, true], ["0", true], ["false", true], [true, true], [[], true], [{}, true],
  ])("%p -> %p", (v, expected) => {
    expect(truthy(normalize(v))).toBe(expected);
  });
});

describe("compareStrings orders by code point", () => {
  test.each([
    ["a", "b", -1], ["b", "a", 1], ["a", "a", 0], ["a", "ab", -1], ["\uffff", "😀", -1], ["😀", "\ue000", 1], ["", "\u0000", -1],
  ])("%j vs %j", (a, b, sign) => {
    expect(Math.sign(compareStrings(a, b))).toBe(sign);
  });
});

describe("lookupPath reads own properties only", () => {
  const proto = { inherited: 1 };
  const obj = Object.assign(Object.create(proto), { own: { list: [10, { x: 2 }] } });
  const parsed = JSON.parse('{"__proto__": {"polluted": true}, "constructor": "c"}');
  test.each<[unknown, (string | number)[], unknown]>([
    [obj, ["own", "list", 1, "x"], 2],
    [obj, ["own", "list", 0], 10],
    [obj, ["own", "list", 5], undefined],
    [obj, ["own", "list", "length"], undefined],
    [obj, ["inherited"], undefined],
    [obj, ["constructor"], undefined],
    [obj, ["__proto__"], undefined],
    [obj, ["toString"], undefined],
    [{ a: "str" }, ["a", "length"], undefined],
    [{ a: { 0: "x" } }, ["a", 0], undefined],
    [parsed, ["__proto__", "polluted"], true],
    [parsed, ["constructor"], "c"],
    [null, ["a"], undefined],
  ])("%#", (root, path, expected) => {
    expect(lookupPath(root, path)).toBe(expected);
  });
});
