/** @module templates/template.test Rendering: whole values, text, object walks, helpers, errors and prototype safety. */

import { describe, expect, test } from "bun:test";
import { checkTemplate, compileTemplate, renderTemplate } from "./template.ts";
import { TemplateError } from "./errors.ts";
import { compileLeaf } from "./leaf.ts";

const data = {
  request: {
    body: { total: 42.5, name: 'Bob "the" {builder}', items: [{ sku: "A" }, { sku: "B" }], empty: "", zero: 0, no: false, nil: null },
    query: { page: "2" },
    params: { id: "p1" },
    headers: { "x-api-key": "k" },
  },
  auth: { user_id: "u1", email: "a@b.c", account_id: "acc" },
  actions: [{ result: { total: 7, rows: [1, 2] } }, { result: "done" }],
  now: "2024-05-06T07:08:09.000Z",
  credentials: { TOKEN: "s3cr3t" },
  input: { x: 1 },
  nodes: { fetch: { result: { ok: true } } },
};

describe("whole-value rule: exactly one {{path}} yields the value itself", () => {
  test.each<[string, unknown]>([
    ["{{request.body.total}}", 42.5],
    ["{{ request.body.total }}", 42.5],
    ["{{request.body.items}}", data.request.body.items],
    ["{{request.body.items[1].sku}}", "B"],
    ["{{request.body}}", data.request.body],
    ["{{request.body.no}}", false],
    ["{{request.body.zero}}", 0],
    ["{{request.body.nil}}", null],
    ["{{request.body.missing}}", null],
    ["{{request.body.missing.deeper}}", null],
    ["{{actions[0].result}}", data.actions[0].result],
    ["{{actions[0].result.total}}", 7],
    ["{{actions.[0].result.total}}", 7],
    ["{{actions[1].result}}", "done"],
    ["{{actions[9].result}}", null],
    ["{{request.headers.x-api-key}}", "k"],
    ["{{auth.user_id}}", "u1"],
    ["{{credentials.TOKEN}}", "s3cr3t"],
    ["{{input.x}}", 1],
    ["{{nodes.fetch.result}}", { ok: true }],
    ["{{now}}", "2024-05-06T07:08:09.000Z"],
    ["{{this.auth.user_id}}", "u1"],
    ["{{request.body.name.length}}", 19],
    ["{{request.body.items.length}}", 2],
  ])("%s", (source, expected) => {
    expect(renderTemplate(source, data)).toEqual(expected as never);
  });

  test("values are returned as is, not copied", () => {
    expect(renderTemplate("{{request.body.items}}", data)).toBe(data.request.body.items);
  });

  test("{{now}} without data.now is the current time", () => {
    const before = Date.now();
    const value = renderTemplate("{{now}}", {}) as string;
    expect(Date.parse(value)).toBeGreaterThanOrEqual(before - 1);
  });
});

describe("text rendering", () => {
  test.each<[string, string]>([
    ["Hello {{auth.email}}", "Hello a@b.c"],
    ["{{request.body.total}} EUR", "42.5 EUR"],
    ["{{request.body.name}}!", 'Bob "the" {builder}!'],
    ["<{{request.body.name}}>", '<Bob "the" {builder}>'],
    ["[{{request.body.missing}}]", "[]"],
    ["[{{request.body.nil}}]", "[]"],
    ["[{{request.body.no}}|{{request.body.zero}}]", "[false|0]"],
    ["items={{request.body.items}}", 'items=[{"sku":"A"},{"sku":"B"}]'],
    ["{{actions[0].result}} and {{actions[0].result.total}}", '{"total":7,"rows":[1,2]} and 7'],
    ["#{{actions[0].result.rows[1]}}", "#2"],
    ["{{request.body.items[0].sku}}{{request.body.items[1].sku}}", "AB"],
    ["{{#each request.body.items}}{{sku}},{{/each}}", "A,B,"],
    ["{{#each actions[0].result.rows}}{{@index}}={{this}};{{/each}}", "0=1;1=2;"],
    ["{{#if request.body.missing}}y{{else}}n{{/if}}", "n"],
    ["{{#with auth}}{{user_id}}/{{account_id}}{{/with}}", "u1/acc"],
    ["{{lookup request.headers 'x-api-key'}}", "k"],
    ["{{{request.body.name}}}", 'Bob "the" {builder}'],
    ["{{this.auth.user_id}}!", "u1!"],
    ["{{@root.auth.user_id}}", "u1"],
  ])("%s", (source, expected) => {
    expect(renderTemplate(source, data)).toBe(expected);
  });
});

describe("helpers", () => {
  test.each<[string, unknown]>([
    ["{{json request.body.items}}", '[{"sku":"A"},{"sku":"B"}]'],
    ["{{json request.body.name}}", '"Bob \\"the\\" {builder}"'],
    ["{{json request.body.missing}}", "null"],
    ["{{default request.body.missing 'n/a'}}", "n/a"],
    ["{{default request.body.empty 'n/a'}}", "n/a"],
    ["{{default request.body.zero 'n/a'}}", "0"],
    ["{{default request.body.missing request.query.page}}", "2"],
    ["{{upper auth.email}}", "A@B.C"],
    ["{{lower 'ÀBC'}}", "àbc"],
    ["{{upper request.body.missing}}", ""],
    ["{{now}}", "2024-05-06T07:08:09.000Z"],
    ["{{now 'iso'}}", "2024-05-06T07:08:09.000Z"],
    ["{{now 'unix'}}", "1714979289"],
    ["{{now 'ms'}}", "1714979289000"],
    ["{{now 'date'}}", "2024-05-06"],
    ["at {{now 'date'}}", "at 2024-05-06"],
    ["{{upper (default request.body.missing 'x')}}", "X"],
    ["{{log 'to the console'}}", ""],
  ])("%s", (source, expected) => {
    expect(renderTemplate(source, data)).toBe(expected as string);
  });
});

describe("object templates render leaf by leaf", () => {
  test("a response template", () => {
    const template = compileTemplate({
      status: 201,
      headers: { "x-id": "{{request.params.id}}", static: "no templates here" },
      body: {
        total: "{{actions[0].result.total}}",
        label: "Total: {{actions[0].result.total}}",
        items: "{{request.body.items}}",
        missing: "{{request.body.missing}}",
        list: ["{{auth.user_id}}", 3, null, true, "x{{auth.user_id}}"],
        "{{not.a.key.template}}": "{{auth.email}}",
      },
    });
    expect(template.render(data)).toEqual({
      status: 201,
      headers: { "x-id": "p1", static: "no templates here" },
      body: {
        total: 7,
        label: "Total: 7",
        items: data.request.body.items,
        missing: null,
        list: ["u1", 3, null, true, "xu1"],
        "{{not.a.key.template}}": "a@b.c",
      },
    });
  });

  test("each render builds new containers", () => {
    const template = compileTemplate({ a: { b: [1] } });
    const one = template.render({}) as { a: { b: number[] } };
    one.a.b.push(2);
    expect(template.render({})).toEqual({ a: { b: [1] } });
  });

  test("a __proto__ key stays an own property", () => {
    const source = JSON.parse('{"__proto__": {"polluted": "{{auth.user_id}}"}}');
    const out = renderTemplate(source, data) as Record<string, unknown>;
    expect(Object.hasOwn(out, "__proto__")).toBe(true);
    expect(JSON.stringify(out)).toBe('{"__proto__":{"polluted":"u1"}}');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  test.each([[42], [null], [true], [undefined], ["plain"]])("%p renders as itself", (value) => {
    expect(renderTemplate(value, data)).toBe(value as never);
  });
});

describe("no prototype access", () => {
  test.each([
    "{{constructor}}",
    "{{__proto__}}",
    "{{constructor.name}}",
    "{{this.constructor}}",
    "{{request.constructor}}",
    "{{request.body.items.constructor}}",
    "{{request.__proto__.constructor}}",
    "{{toString}}",
    "{{hasOwnProperty}}",
    "{{__defineGetter__}}",
  ])("%s yields null as a whole value and '' in text", (source) => {
    expect(renderTemplate(source, data)).toBeNull();
    expect(renderTemplate(`[${source}]`, data)).toBe("[]");
  });

  test.each([
    "{{lookup this 'constructor'}}",
    "{{#with constructor}}{{name}}{{/with}}",
    "{{#with __proto__}}{{constructor}}{{/with}}",
    "{{lookup (lookup this 'constructor') 'constructor'}}",
    "{{#each constructor}}{{this}}{{/each}}",
  ])("%s yields nothing", (source) => {
    expect(renderTemplate(source, data)).toBe("");
  });
});

describe("errors are found at compile time and name the leaf", () => {
  test.each([
    [{ body: { total: "{{#if x}}" } }, "body.total"],
    [{ body: { items: ["ok", "{{unclosed"] } }, "body.items[1]"],
    [{ headers: { a: "{{foo bar}}" } }, "headers.a"],
    [{ body: "{{> partial}}" }, "body"],
    ["{{now 'weekday'}}", ""],
    [{ a: "{{#each}}{{/each}}" }, "a"],
    [{ a: "{{#if}}x{{/if}}" }, "a"],
  ])("%j", (source, path) => {
    const check = checkTemplate(source);
    expect(check.ok).toBe(false);
    if (!check.ok) {
      expect(check.path).toBe(path);
      expect(check.message.startsWith(path ? `${path}: ` : "")).toBe(true);
    }
    expect(() => compileTemplate(source)).toThrow(TemplateError);
  });

  test("messages say what is wrong", () => {
    expect(checkTemplate({ h: { a: "{{foo bar}}" } })).toEqual({ ok: false, path: "h.a", message: "h.a: unknown helper foo - 1:0" });
    expect(checkTemplate("{{now 'x'}}")).toEqual({ ok: false, path: "", message: "unknown format 'x' for now (use iso, unix, ms, date)" });
    const parse = checkTemplate({ b: "{{a" });
    expect(!parse.ok && parse.message).toStartWith("b: Parse error on line 1:");
  });

  test("valid templates pass", () => {
    expect(checkTemplate({ status: 200, body: { a: "{{x}}", b: ["{{#each y}}{{this}}{{/each}}"] } })).toEqual({ ok: true });
  });

  test("absurd nesting is refused cleanly", () => {
    let deep: unknown = "{{x}}";
    for (let i = 0; i < 10_000; i++) deep = { a: deep };
    const check = checkTemplate(deep);
    expect(check.ok).toBe(false);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(checkTemplate(cyclic).ok).toBe(false);
  });
});

describe("compile cache and speed", () => {
  test("string leaves are compiled once", () => {
    expect(compileLeaf("cache {{auth.user_id}} me")).toBe(compileLeaf("cache {{auth.user_id}} me"));
  });

  test("rendering a compiled template is cheap", () => {
    const template = compileTemplate({ body: { id: "{{request.params.id}}", total: "{{actions[0].result.total}}", msg: "Hi {{auth.email}}" } });
    const start = performance.now();
    for (let i = 0; i < 20_000; i++) template.render(data);
    expect(performance.now() - start).toBeLessThan(1_000);
  });
});
