/** @module expr/lexer.test Tokens, escapes and lexical errors, table-driven. */

import { describe, expect, test } from "bun:test";
import { ExprError } from "./errors.ts";
import { tokenize } from "./lexer.ts";

const kinds = (src: string): string[] => tokenize(src).map((t) => (t.type === "symbol" || t.type === "keyword" ? t.value : t.type));

describe("tokenize", () => {
  test.each([
    ["a = 1", ["field", "=", "number", "end"]],
    ["a == 1", ["field", "=", "number", "end"]],
    ["a!=b", ["field", "!=", "field", "end"]],
    ["a !~ 'x'", ["field", "!~", "string", "end"]],
    ["a>=1 and b<=2", ["field", ">=", "number", "and", "field", "<=", "number", "end"]],
    ["a>1 or b<2", ["field", ">", "number", "or", "field", "<", "number", "end"]],
    ["x ~ 'y'", ["field", "~", "string", "end"]],
    ["!a && b || c", ["!", "field", "&&", "field", "||", "field", "end"]],
    ["NOT a AND b OR c", ["not", "field", "and", "field", "or", "field", "end"]],
    ["a in (1, 2)", ["field", "in", "(", "number", ",", "number", ")", "end"]],
    ["TRUE False null", ["true", "false", "null", "end"]],
    ["@has_role('x')", ["function", "(", "string", ")", "end"]],
    ["", ["end"]],
    [" \t\r\n", ["end"]],
  ])("%j", (src, expected) => {
    expect(kinds(src)).toEqual(expected);
  });

  test.each([
    ["request.body.x", ["request", "body", "x"]],
    ["items[0].sku", ["items", 0, "sku"]],
    ["a[12][3]", ["a", 12, 3]],
    ["record.in.not", ["record", "in", "not"]],
    ["headers['x-api-key']", ["headers", "x-api-key"]],
    ['h["a\\"b"].c', ["h", 'a"b', "c"]],
    ["__proto__.constructor", ["__proto__", "constructor"]],
  ])("path %j", (src, path) => {
    const [tok] = tokenize(src);
    expect(tok).toMatchObject({ type: "field", path, pos: 0, end: src.length });
  });

  test.each([
    ["0", 0], ["42", 42], ["-7", -7], ["3.25", 3.25], ["1e3", 1000], ["1E-2", 0.01], ["-0", -0], ["1e+21", 1e21],
  ])("number %j", (src, value) => {
    expect(tokenize(src)[0]).toMatchObject({ type: "number", value });
  });

  test.each([
    ["'plain'", "plain"],
    ['"double"', "double"],
    ["'it\\'s'", "it's"],
    ['"say \\"hi\\""', 'say "hi"'],
    ["'a\"b'", 'a"b'],
    ['"a\'b"', "a'b"],
    ["'back\\\\slash'", "back\\slash"],
    ["'\\n\\r\\t\\b\\f\\/'", "\n\r\t\b\f/"],
    ["'nul\\0'", "nul\u0000"],
    ["'\\u00e9\\u{1F600}'", "é😀"],
    ["'raw é 😀'", "raw é 😀"],
    ["'{{request.params.id}}'", "{{request.params.id}}"],
    ["''", ""],
  ])("string %j", (src, value) => {
    expect(tokenize(src)[0]).toMatchObject({ type: "string", value, pos: 0, end: src.length });
  });

  test.each([
    ["'abc", "unterminated string at position 0"],
    ["a = 'x\\", "unterminated string at position 4"],
    ["'\\q'", "invalid escape '\\q' at position 1"],
    ["'\\u12'", "invalid unicode escape at position 1"],
    ["'\\u{110000}'", "invalid unicode escape at position 1"],
    ["a # b", "unexpected character \"#\" at position 2"],
    ["a & b", "unexpected character \"&\" at position 2"],
    ["a | b", "unexpected character \"|\" at position 2"],
    ["a - b", "unexpected character \"-\" at position 2"],
    ["1.", "invalid number at position 0"],
    ["01", "invalid number at position 0"],
    ["5abc", "invalid number at position 0"],
    ["1e999", "number out of range at position 0"],
    ["a.", "expected a name after '.' at position 2"],
    ["a.1", "expected a name after '.' at position 2"],
    ["a[x]", "expected an index or a quoted name after '[' at position 2"],
    ["a['x'", "expected ']' at position 5"],
    ["@ x()", "expected a function name after '@' at position 1"],
    ["true.x", "'true' is a keyword and cannot start a name at position 0"],
    ["x = \u00a01", "unexpected character \"\u00a0\" at position 4"],
  ])("error %j", (src, message) => {
    let error: unknown;
    try {
      tokenize(src);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ExprError);
    expect((error as ExprError).message).toBe(message);
    expect((error as ExprError).position).toBe(Number(message.split(" ").pop()));
  });
});
