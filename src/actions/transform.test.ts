import { describe, expect, test } from "bun:test";
import { TypeCompiler } from "@sinclair/typebox/compiler";
import type { ActionContext } from "../plugin-api";
import { transform } from "./transform";

const ctx = {} as ActionContext;

describe("transform", () => {
  // The engine has already rendered the templates, so whatever arrives is the result, as is.
  const cases: [string, unknown][] = [
    ["an object (from {\"total\": \"{{actions[1].result}}\"})", { total: 42, items: [{ sku: "a" }] }],
    ["an array", [1, "two", null]],
    ["a number (whole-value rule)", 3.5],
    ["a string", "Hello Ada"],
    ["null", null],
    ["a boolean", false],
  ];
  for (const [name, template] of cases) {
    test(`returns ${name}`, async () => {
      expect(await transform.run(ctx, { template })).toEqual(template);
    });
  }

  test("the config schema takes any template but requires the key", () => {
    const check = TypeCompiler.Compile(transform.config);
    expect(check.Check({ template: { a: 1 } })).toBe(true);
    expect(check.Check({ template: null })).toBe(true);
    expect(check.Check({})).toBe(false);
  });
});
