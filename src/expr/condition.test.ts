/** @module expr/condition.test Endpoint conditions: every operator end to end, compile-time errors, prototype safety. */

import { describe, expect, test } from "bun:test";
import { parse } from "./parser.ts";
import { compileCondition, evaluate } from "./condition.ts";
import { ExprError } from "./errors.ts";
import { createRegistry } from "./functions.ts";

const ctx = {
  request: {
    ip: "10.1.2.3",
    body: { total: 120, name: "Widget Pro", tags: ["a", "b"], items: [{ sku: "X1", qty: 2 }], flag: true, nothing: null },
    query: { page: "3", q: "hello" },
    params: { id: "42" },
    headers: { "x-api-version": "2" },
  },
  auth: { user_id: "u1", email: "a@b.c", roles: ["admin", "member"] },
  record: { owner_id: "u1", status: "open" },
  now: "2024-01-01T00:00:00Z",
};

describe("operators", () => {
  test.each([
    ["request.body.total = 120", true],
    ["request.body.total = '120'", true],
    ["request.body.total != 120", false],
    ["request.body.total > 100", true],
    ["request.body.total >= 120", true],
    ["request.body.total < 120", false],
    ["request.body.total <= 120", true],
    ["request.query.page > 2", true],
    ["request.query.page = 3", true],
    ["request.query.page < '10'", false],
    ["request.body.name ~ 'pro'", true],
    ["request.body.name ~ 'PRO'", true],
    ["request.body.name !~ 'basic'", true],
    ["request.body.name in ('A', 'Widget Pro')", true],
    ["request.body.name not in ('A', 'Widget Pro')", false],
    ["request.params.id in (41, 42)", true],
    ["request.body.missing = null", true],
    ["request.body.nothing = null", true],
    ["request.body.missing != 'x'", true],
    ["request.body.missing > 0", false],
    ["request.body.missing < 0", false],
    ["request.body.flag = true", true],
    ["request.body.flag", true],
    ["request.body.missing", false],
    ["not request.body.missing", true],
    ["request.body.items[0].sku = 'X1'", true],
    ["request.body.items[0].qty * 2", null],
    ["request.body.items[1].sku = null", true],
    ["request.body.tags ~ '\"b\"'", true],
    ["request.headers['x-api-version'] = 2", true],
    ["auth.email = 'a@b.c' and request.body.total > 100", true],
    ["auth.email = 'x' or request.body.total > 100", true],
    ["auth.email = 'x' || request.body.total > 1000", false],
    ["!(auth.email = 'x') && true", true],
    ["not (auth.email = 'a@b.c' or false)", false],
    ["record.status = 'open' and @owns_record()", true],
    ["@has_role('admin') or @owns_record()", true],
    ["@has_role('owner')", false],
    ["@is_authenticated()", true],
    ["@ip_in('10.0.0.0/8')", true],
    ["@ip_in('192.168.0.0/16')", false],
    ["now > '2023-12-31'", true],
    ["(1 = 1) = true", true],
    ["'abc' ~ 'B'", true],
    ["null", false],
    ["0", false],
    ["''", false],
    ["'0'", true],
  ])("%s -> %p", (source, expected) => {
    if (expected === null) {
      expect(() => compileCondition(source)).toThrow(ExprError);
      return;
    }
    expect(compileCondition(source).evaluate(ctx)).toBe(expected);
    expect(evaluate(parse(source), ctx)).toBe(expected);
  });
});

describe("compile-time errors name the position", () => {
  test.each([
    ["foo.bar = 1", "unknown name 'foo' (expected request, auth, record, now) at position 0"],
    ["auth.user_id = 1 and bogus", "unknown name 'bogus' (expected request, auth, record, now) at position 21"],
    ["request.x = 1 or @nope()", "unknown function '@nope' at position 17"],
    ["@has_role()", "@has_role() takes 1 argument, got 0 at position 0"],
    ["@owns_record(1)", "@owns_record() takes 0 arguments, got 1 at position 0"],
    ["@has_role(1)", "argument 1 of @has_role() must be a string at position 10"],
    ["@ip_in('10.0.0.0/33')", "@ip_in(): '10.0.0.0/33' is not a CIDR range at position 7"],
    ["@ip_in('nonsense')", "@ip_in(): 'nonsense' is not a CIDR range at position 7"],
    ["@constructor()", "unknown function '@constructor' at position 0"],
    ["@__proto__()", "unknown function '@__proto__' at position 0"],
  ])("%s", (source, message) => {
    expect(() => compileCondition(source)).toThrow(message);
  });

  test("allowed roots are an option", () => {
    expect(compileCondition("input.x = 1", { fields: ["input"] }).evaluate({ input: { x: 1 } })).toBe(true);
    expect(() => compileCondition("request.x = 1", { fields: ["input"] })).toThrow("unknown name 'request' (expected input) at position 0");
  });

  test("the registry is an option", () => {
    const functions = createRegistry([{ name: "is_even", args: ["number"], evaluate: ([n]) => (n as number) % 2 === 0 }]);
    expect(compileCondition("@is_even(4)", { functions }).evaluate({})).toBe(true);
    expect(() => compileCondition("@has_role('x')", { functions })).toThrow("unknown function '@has_role' at position 0");
  });
});

describe("prototype safety", () => {
  test.each([
    "request.constructor != null",
    "request.__proto__ != null",
    "request.body.name.length = 10",
    "request.body.tags.length = 2",
    "auth.roles.constructor ~ 'Array'",
    "request.toString ~ 'function'",
  ])("%s is false: nothing is read from a prototype", (source) => {
    expect(compileCondition(source).evaluate(ctx)).toBe(false);
  });

  test("own __proto__ keys from JSON are ordinary data", () => {
    const body = JSON.parse('{"__proto__": {"admin": true}}');
    expect(compileCondition("request.body.__proto__.admin = true").evaluate({ request: { body } })).toBe(true);
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
  });

  test("odd contexts never throw", () => {
    const c = compileCondition("request.body.a.b = 1 or @has_role('x') or @owns_record() or @ip_in('::1/128') or @is_authenticated()");
    for (const odd of [{}, { request: null }, { request: "str" }, { auth: { roles: "admin" } }, { request: { ip: 42 } }, { auth: [] }]) {
      expect(c.evaluate(odd)).toBe(false);
    }
  });
});

describe("compile once, run many", () => {
  test("a compiled condition evaluates 100,000 times without re-parsing", () => {
    const c = compileCondition("request.body.total > 100 and (@has_role('admin') or @owns_record()) and request.body.name ~ 'pro'");
    const start = performance.now();
    let hits = 0;
    for (let i = 0; i < 100_000; i++) if (c.evaluate(ctx)) hits++;
    expect(hits).toBe(100_000);
    // Re-parsing would cost several microseconds per call; closures take well under one.
    expect(performance.now() - start).toBeLessThan(1_000);
  });

  test("compiled conditions keep their source and tree", () => {
    const c = compileCondition("a.b = 1", { fields: ["a"] });
    expect(c.source).toBe("a.b = 1");
    expect(c.ast.kind).toBe("compare");
    expect(Object.isFrozen(c.ast)).toBe(true);
  });
});
