/** @module templates/paths.test Whole-value detection and `[N]` rewriting, table-driven. */

import { describe, expect, test } from "bun:test";
import { rewriteIndexes, wholeValuePath } from "./paths.ts";

describe("wholeValuePath", () => {
  test.each<[string, (string | number)[] | null]>([
    ["{{x}}", ["x"]],
    ["{{ request.body.total }}", ["request", "body", "total"]],
    ["{{actions[0].result}}", ["actions", 0, "result"]],
    ["{{actions.[0].result.total}}", ["actions", 0, "result", "total"]],
    ["{{actions.0.result}}", ["actions", 0, "result"]],
    ["{{m[1][2]}}", ["m", 1, 2]],
    ["{{request.headers.x-api-key}}", ["request", "headers", "x-api-key"]],
    ["{{credentials.STRIPE_KEY}}", ["credentials", "STRIPE_KEY"]],
    ["{{nodes.step_1.result}}", ["nodes", "step_1", "result"]],
    ["{{\n  now\n}}", ["now"]],
    ["{{x}} ", null],
    [" {{x}}", null],
    ["{{x}}{{y}}", null],
    ["{{json x}}", null],
    ["{{{x}}}", null],
    ["{{~x~}}", null],
    ["{{../x}}", null],
    ["{{@root.x}}", null],
    ["{{#if x}}{{/if}}", null],
    ["{{x.}}", null],
    ["{{}}", null],
    ["plain", null],
  ])("%j", (source, expected) => {
    expect(wholeValuePath(source)).toEqual(expected);
  });
});

describe("rewriteIndexes", () => {
  test.each([
    ["{{actions[0].result}}", "{{actions.[0].result}}"],
    ["a[0] {{a[0]}} b[1]", "a[0] {{a.[0]}} b[1]"],
    ["{{m[1][2]}}", "{{m.[1].[2]}}"],
    ["{{a.[0]}}", "{{a.[0]}}"],
    ['{{default x "a[0]"}}', '{{default x "a[0]"}}'],
    ["{{default x 'it\\'s [0]'}} {{y[3]}}", "{{default x 'it\\'s [0]'}} {{y.[3]}}"],
    ["{{json actions[2]}}", "{{json actions.[2]}}"],
    ["{{#each items[0].list}}{{name}}{{/each}}", "{{#each items.[0].list}}{{name}}{{/each}}"],
    ["no mustache [0]", "no mustache [0]"],
    ["{{unclosed[0]", "{{unclosed[0]"],
  ])("%j", (source, expected) => {
    expect(rewriteIndexes(source)).toBe(expected);
  });
});
