import { describe, expect, test } from "bun:test";
import { t } from "../../plugin-api";
import { checkActionConfig, configPath, MAX_CONFIG_ISSUES, validateRenderedConfig } from "./config-check";
import { createPluginRegistry } from "./registry";

const registry = createPluginRegistry();
registry.register(
  {
    type: "order",
    title: "Order",
    description: "A schema with a bit of everything",
    config: t.Object(
      {
        to: t.String({ format: "email" }),
        count: t.Integer({ minimum: 1 }),
        urgent: t.Optional(t.Boolean()),
        channel: t.Union([t.Literal("sms"), t.Literal("email")]),
        items: t.Array(t.Object({ sku: t.String({ minLength: 2 }), qty: t.Number() })),
        meta: t.Optional(t.Object({ source: t.String() })),
        payload: t.Optional(t.Unknown()),
      },
      { additionalProperties: false },
    ),
    run: () => null,
  },
  "builtin",
);
const order = registry.get("order")!;
const valid = { to: "a@example.com", count: 2, channel: "sms", items: [{ sku: "ab", qty: 1 }] };

describe("checkActionConfig (save time: templates stand in for any value)", () => {
  const cases: [string, unknown, { path: string; message: RegExp }[]][] = [
    ["a valid literal config", valid, []],
    ["a template where a number is expected", { ...valid, count: "{{request.body.count}}" }, []],
    ["a template where a boolean is expected", { ...valid, urgent: "{{request.query.urgent}}" }, []],
    ["a template where an enum member is expected", { ...valid, channel: "{{request.body.channel}}" }, []],
    ["a template where an array is expected", { ...valid, items: "{{request.body.items}}" }, []],
    ["a template where an object is expected", { ...valid, meta: "{{actions[0].result}}" }, []],
    ["a template where an array item is expected", { ...valid, items: ["{{actions[0].result}}"] }, []],
    ["a template inside an array item", { ...valid, items: [{ sku: "{{request.body.sku}}", qty: "{{request.body.qty}}" }] }, []],
    ["a template where a format is expected", { ...valid, to: "{{auth.email}}" }, []],
    ["a template mixed with text where a format is expected", { ...valid, to: "{{request.params.user}}@example.com" }, []],
    ["a missing required property", { to: valid.to, channel: "sms", items: [] }, [{ path: "config.count", message: /Required property/ }]],
    ["a wrong literal type", { ...valid, count: "two" }, [{ path: "config.count", message: /Expected integer/ }]],
    ["a literal below the minimum", { ...valid, count: 0 }, [{ path: "config.count", message: /greater or equal to 1/ }]],
    ["a literal outside the enum", { ...valid, channel: "fax" }, [{ path: "config.channel", message: /Expected one of "sms", "email"/ }]],
    ["a bad literal deep in an array", { ...valid, items: [{ sku: "ab", qty: 1 }, { sku: "x", qty: 1 }] }, [{ path: "config.items[1].sku", message: /length greater or equal to 2/ }]],
    ["a literal that breaks the format", { ...valid, to: "not-an-email" }, [{ path: "config.to", message: /email/ }]],
    ["an unknown property", { ...valid, colour: "red" }, [{ path: "config.colour", message: /Unknown property/ }]],
    [
      "templates pass while literal mistakes beside them are named",
      { ...valid, count: "{{request.body.count}}", channel: "fax", items: [{ sku: "{{x}}", qty: "one" }] },
      [
        { path: "config.channel", message: /Expected one of/ },
        { path: "config.items[0].qty", message: /Expected number/ },
      ],
    ],
    ["a template without braces is just text", { ...valid, count: "{request.body.count}" }, [{ path: "config.count", message: /Expected integer/ }]],
    ["the whole config as a template is refused", "{{request.body}}", [{ path: "config", message: /Expected object/ }]],
  ];
  for (const [name, config, expected] of cases) {
    test(name, () => {
      const issues = checkActionConfig(order, config);
      expect(issues.map((i) => i.path)).toEqual(expected.map((e) => e.path));
      issues.forEach((issue, i) => expect(issue.message).toMatch(expected[i]!.message));
    });
  }

  test("a template inside a union of objects is accepted (the lenient schema decides)", () => {
    const r = createPluginRegistry();
    r.register(
      {
        type: "shape",
        title: "Shape",
        description: "Union of objects",
        config: t.Object({ shape: t.Union([t.Object({ kind: t.Literal("circle"), r: t.Number() }), t.Object({ kind: t.Literal("square"), side: t.Number() })]) }),
        run: () => null,
      },
      "builtin",
    );
    const shape = r.get("shape")!;
    expect(checkActionConfig(shape, { shape: { kind: "circle", r: "{{request.body.r}}" } })).toEqual([]);
    const issues = checkActionConfig(shape, { shape: { kind: "triangle", r: 1 } });
    expect(issues).toHaveLength(1);
    expect(issues[0]!.path).toBe("config.shape");
  });

  test("issues are capped", () => {
    const r = createPluginRegistry();
    const props = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`f${i}`, t.Number()]));
    r.register({ type: "many", title: "Many", description: "Many fields", config: t.Object(props), run: () => null }, "builtin");
    expect(checkActionConfig(r.get("many")!, {})).toHaveLength(MAX_CONFIG_ISSUES);
  });
});

describe("validateRenderedConfig (run time: strict)", () => {
  test("a rendered valid config passes", () => {
    expect(validateRenderedConfig(order, valid)).toEqual([]);
  });
  test("a template left in place of a number fails", () => {
    expect(validateRenderedConfig(order, { ...valid, count: "{{request.body.count}}" })).toEqual([{ path: "config.count", message: "Expected integer" }]);
  });
  test("a rendered value of the wrong type is named", () => {
    expect(validateRenderedConfig(order, { ...valid, items: [{ sku: "ab", qty: "3" }] })).toEqual([{ path: "config.items[0].qty", message: "Expected number" }]);
  });
});

describe("configPath", () => {
  const cases: [string, string][] = [
    ["", "config"],
    ["/to", "config.to"],
    ["/items/0/sku", "config.items[0].sku"],
    ["/x-y", 'config["x-y"]'],
    ["/a~1b/c~0d", 'config["a/b"]["c~d"]'],
  ];
  for (const [pointer, path] of cases) test(`${JSON.stringify(pointer)} -> ${path}`, () => expect(configPath(pointer)).toBe(path));
});
