import { describe, expect, test } from "bun:test";
import { MAX_CHECKS_PER_VALUE, schemaCost } from "./schema-cost";

const problemOf = (schema: Record<string, unknown>) => {
  const cost = schemaCost(schema);
  return "problem" in cost ? cost.problem : null;
};

/** A schema whose checks multiply (2^depth), put where a `$ref` must lead for it to count. */
const BOMB = { allOf: [{ items: { $ref: "#" } }, { items: { $ref: "#" } }] };

describe("schemas whose checks multiply are refused", () => {
  const refused: { name: string; schema: Record<string, unknown>; path: string; message: RegExp }[] = [
    { name: "allOf of two $ref to the root: 2^depth checks on [[[[...]]]]", schema: BOMB, path: "/", message: new RegExp(`could cost \\d+ checks \\(at most ${MAX_CHECKS_PER_VALUE}`) },
    {
      name: "oneOf of two branches going down the same property",
      schema: { definitions: { node: { oneOf: [{ properties: { kind: { const: "a" }, next: { $ref: "#/definitions/node" } } }, { properties: { kind: { const: "b" }, next: { $ref: "#/definitions/node" } } }] } }, $ref: "#/definitions/node" },
      path: "/definitions/node",
      message: /nested \d+ levels deep/,
    },
    { name: "a flat anyOf of 70 branches", schema: { type: "array", items: { anyOf: Array.from({ length: 70 }, (_, i) => ({ minimum: i })) } }, path: "/items", message: /could cost 71 checks/ },
    { name: "a $ref loop that never goes down into the body", schema: { definitions: { a: { allOf: [{ $ref: "#/definitions/a" }] } }, properties: { x: { $ref: "#/definitions/a" } } }, path: "/definitions/a", message: /never end/ },
    { name: "a $ref this cannot follow (another document)", schema: { $ref: "other.json#/definitions/x" }, path: "/$ref", message: /cannot be followed/ },
  ];
  for (const { name, schema, path, message } of refused) {
    test(name, () => {
      const problem = problemOf(schema);
      expect(problem?.path).toBe(path);
      expect(problem?.message).toMatch(message);
    });
  }

  test("a schema too large to count is refused as such, not counted for ever", () => {
    // 40 levels of 75 properties, one of which leads to the next level: 3,000 names to follow one by one.
    let chain: Record<string, unknown> = { type: "string" };
    for (let level = 0; level < 40; level++) {
      chain = { properties: Object.fromEntries(Array.from({ length: 75 }, (_, i) => [`l${level}f${i}`, i === 0 ? chain : { type: "string" }])) };
    }
    expect(problemOf(chain)).toEqual({ path: "/", message: expect.stringMatching(/^too large to check its cost \(3001 subschemas/) });
  });
});

describe("honest schemas are accepted", () => {
  const accepted: { name: string; schema: Record<string, unknown> }[] = [
    { name: "any JSON value (objects in one branch, arrays in the other)", schema: { definitions: { v: { anyOf: [{ type: ["string", "number", "boolean", "null"] }, { type: "array", items: { $ref: "#/definitions/v" } }, { type: "object", additionalProperties: { $ref: "#/definitions/v" } }] } }, $ref: "#/definitions/v" } },
    { name: "a tree of nodes with children", schema: { definitions: { n: { type: "object", required: ["id"], properties: { id: { type: "string" }, children: { type: "array", items: { $ref: "#/definitions/n" } } } } }, $ref: "#/definitions/n" } },
    {
      name: "a filter AST whose branches go down different properties",
      schema: {
        definitions: {
          expr: {
            oneOf: [
              { type: "object", required: ["and"], properties: { and: { type: "array", items: { $ref: "#/definitions/expr" } } } },
              { type: "object", required: ["or"], properties: { or: { type: "array", items: { $ref: "#/definitions/expr" } } } },
              { type: "object", required: ["not"], properties: { not: { $ref: "#/definitions/expr" } } },
              { type: "object", required: ["field", "eq"], properties: { field: { type: "string" }, eq: {} } },
            ],
          },
        },
        $ref: "#/definitions/expr",
      },
    },
    { name: "a oneOf of 20 event shapes by $ref", schema: { definitions: Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`e${i}`, { type: "object", properties: { type: { const: `e${i}` }, data: { type: "object" } } }])), oneOf: Array.from({ length: 20 }, (_, i) => ({ $ref: `#/definitions/e${i}` })) } },
    { name: "an order with nested line items and formats", schema: { type: "object", required: ["customer"], properties: { customer: { type: "object", properties: { email: { type: "string", format: "email" } } }, lines: { type: "array", maxItems: 100, items: { type: "object", properties: { sku: { type: "string" }, qty: { type: "integer", minimum: 1 } } } } } } },
    { name: "boolean subschemas", schema: { properties: { a: true, b: false }, items: false, additionalProperties: false } },
    { name: "a recursive schema with 300 properties per level", schema: { definitions: { n: { type: "object", properties: { ...Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`f${i}`, { type: "string" }])), kids: { type: "array", items: { $ref: "#/definitions/n" } } } } }, $ref: "#/definitions/n" } },
  ];
  for (const { name, schema } of accepted) {
    test(name, () => {
      expect(schemaCost(schema)).toEqual({ maxChecks: expect.any(Number) });
    });
  }
});

describe("a $ref is followed where Ajv follows it", () => {
  // Each schema hides BOMB behind a $ref: refused at BOMB's pointer proves the $ref led there.
  const followed: { name: string; schema: Record<string, unknown>; path: string }[] = [
    { name: "#/definitions/NAME and #/$defs/NAME", schema: { definitions: { b: BOMB }, $defs: { c: { $ref: "#/definitions/b" } }, properties: { x: { $ref: "#/$defs/c" } } }, path: "/definitions/b" },
    { name: "a pointer with ~1, ~0 and percent escapes", schema: { definitions: { "a/b~c d": BOMB }, properties: { x: { $ref: "#/definitions/a~1b~0c%20d" } } }, path: "/definitions/a~1b~0c d" },
    { name: "#/... inside an $id resolves within that $id", schema: { properties: { a: { $id: "item", definitions: { b: BOMB }, properties: { y: { $ref: "#/definitions/b" } } } } }, path: "/properties/a/definitions/b" },
    { name: "an $id by name, from elsewhere", schema: { definitions: { b: { $id: "bomb.json", ...BOMB } }, properties: { x: { $ref: "bomb.json" } } }, path: "/definitions/b" },
    { name: "an $id nested in an absolute one, by its full URI", schema: { definitions: { a: { $id: "http://example.com/a/", definitions: { b: { $id: "b.json", ...BOMB } } } }, properties: { z: { $ref: "http://example.com/a/b.json" } } }, path: "/definitions/a/definitions/b" },
    { name: "a plain-name $id and an $anchor", schema: { definitions: { b: { $id: "#bomb", ...BOMB }, c: { $anchor: "other", $ref: "#bomb" } }, properties: { x: { $ref: "#other" } } }, path: "/definitions/b" },
    // A property named like a data keyword is a subschema like any other (it was skipped, and its $ref refused).
    { name: "through properties named default, enum and const", schema: { definitions: { b: BOMB }, properties: { default: { properties: { enum: { properties: { const: { $ref: "#/definitions/b" } } } } } } }, path: "/definitions/b" },
  ];
  for (const { name, schema, path } of followed) {
    test(name, () => {
      expect(problemOf(schema)).toEqual({ path, message: expect.stringContaining("could cost") });
    });
  }

  test("a property named default holding a $ref is accepted", () => {
    expect(problemOf({ definitions: { x: { type: "string" } }, properties: { default: { $ref: "#/definitions/x" }, enum: { $ref: "#/definitions/x" } } })).toBeNull();
  });

  test("an $id inside data (enum, const, default) names nothing", () => {
    const schema = { properties: { a: { enum: [{ $id: "x.json" }] }, b: { default: { $id: "x.json" } } }, definitions: { x: { $id: "x.json", type: "string" } }, $ref: "x.json" };
    expect(problemOf(schema)).toBeNull();
  });

  test("two subschemas claiming one $id: the $ref is refused, not guessed", () => {
    const schema = { definitions: { a: { $id: "x.json", type: "string" }, b: { $id: "x.json", ...BOMB } }, properties: { x: { $ref: "x.json" } } };
    expect(problemOf(schema)).toEqual({ path: "/properties/x/$ref", message: expect.stringContaining("cannot be followed") });
  });
});
