/**
 * @module templates/template.property.test
 * Properties: output stays valid JSON whatever the data holds, values pass
 * through text unchanged (never re-interpreted as templates), the whole-value
 * rule returns the value itself, and prototype names never resolve.
 */

import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { toText } from "./helpers.ts";
import { compileLookup, lookupOwn } from "./lookup.ts";
import { compileTemplate, renderTemplate } from "./template.ts";

const hostileString = fc.oneof(
  fc.string({ unit: "binary" }),
  fc.constantFrom('"', "'", "\\", '\\"', "}", "{", "}}", "{{", "{{v}}", "{{{v}}}", '","x":"', "</script>", "\u0000", "\u2028", "\ud800", "😀", "{{constructor}}", '{"a":1}'),
);
const hostileValue = fc.oneof(hostileString, fc.jsonValue(), fc.constantFrom(null, undefined, true, 0, -0, 1e21));

const RESPONSE = compileTemplate({
  status: 200,
  headers: { "x-v": "{{v}}", "x-text": "v={{v}};" },
  body: {
    whole: "{{v}}",
    text: "Hello {{v}}!",
    quoted: '{"inner": "{{v}}"}',
    nested: [{ deep: "{{v}}" }, "{{json v}}", "{{default v 'd'}}"],
    upper: "{{upper v}}",
  },
});

describe("template output for hostile values", () => {
  test("is always well-formed JSON and carries the value exactly", () => {
    fc.assert(
      fc.property(hostileValue, (v) => {
        const out = RESPONSE.render({ v }) as { body: Record<string, unknown>; headers: Record<string, unknown> };
        const text = JSON.stringify(out);
        expect(JSON.parse(text)).toEqual(JSON.parse(text)); // parses at all
        expect(out.body.whole).toBe(v === undefined ? null : (v as never));
        expect(out.body.text).toBe(`Hello ${toText(v)}!`);
        expect(out.body.quoted).toBe(`{"inner": "${toText(v)}"}`);
        expect(out.headers["x-text"]).toBe(`v=${toText(v)};`);
        expect((out.body.nested as unknown[])[1]).toBe(JSON.stringify(v ?? null) ?? "null");
      }),
      { numRuns: 500 },
    );
  });

  test("a value that looks like a template is never rendered again", () => {
    fc.assert(
      fc.property(hostileString, fc.string(), (v, secret) => {
        const out = renderTemplate({ a: "{{v}}", b: "[{{v}}]" }, { v, secret, constructor: undefined });
        expect(out).toEqual({ a: v, b: `[${v}]` });
      }),
      { numRuns: 300 },
    );
  });

  test("random templates over random data serialise cleanly", () => {
    const leaf = fc.constantFrom("{{a}}", "{{b.c}}", "x {{a}} y", "{{json b}}", "{{#each list}}{{this}},{{/each}}", "{{list[0]}}", "{{missing}}", "plain", "{{b.c}}{{a}}");
    const templateArb = fc.letrec<{ node: unknown }>((tie) => ({
      node: fc.oneof({ maxDepth: 3 }, leaf, fc.array(tie("node"), { maxLength: 3 }), fc.dictionary(fc.string(), tie("node"), { maxKeys: 3 })),
    })).node;
    const dataArb = fc.record({ a: hostileValue, b: fc.record({ c: hostileValue }), list: fc.array(hostileValue, { maxLength: 3 }) });
    fc.assert(
      fc.property(templateArb, dataArb, (template, data) => {
        const out = compileTemplate(template).render(data);
        const text = JSON.stringify(out);
        if (text !== undefined) expect(() => JSON.parse(text)).not.toThrow();
      }),
      { numRuns: 300 },
    );
  });
});

describe("prototype names never resolve", () => {
  const protoName = fc.constantFrom("constructor", "__proto__", "prototype", "toString", "valueOf", "hasOwnProperty", "__defineGetter__", "__lookupGetter__", "isPrototypeOf");
  test("whatever the path, through any data", () => {
    fc.assert(
      fc.property(fc.array(protoName, { minLength: 1, maxLength: 3 }), fc.jsonValue(), (names, value) => {
        const path = names.join(".");
        const data = { value, obj: { value } };
        expect(renderTemplate(`{{${path}}}`, data)).toBeNull();
        expect(renderTemplate(`{{obj.${path}}}`, data)).toBeNull();
        expect(renderTemplate(`<{{${path}}}>`, data)).toBe("<>");
        expect(renderTemplate(`<{{this.obj.${path}}}>`, data)).toBe("<>");
      }),
      { numRuns: 200 },
    );
  });
});

describe("compiled lookups and object renderers (code built from names)", () => {
  // Names and keys are written into generated code; whatever they hold must stay data.
  const nameArb = fc.stringMatching(/^[A-Za-z_$][A-Za-z0-9_$-]{0,12}$/);
  const segmentArb = fc.oneof(nameArb, fc.integer({ min: 0, max: 999_999_999 }));

  test("compileLookup answers exactly as lookupOwn", () => {
    const valueArb = fc.letrec<{ v: unknown }>((tie) => ({
      v: fc.oneof({ maxDepth: 3 }, fc.jsonValue(), fc.array(tie("v"), { maxLength: 3 }), fc.dictionary(nameArb, tie("v"), { maxKeys: 4 })),
    })).v;
    fc.assert(
      fc.property(fc.array(segmentArb, { minLength: 1, maxLength: 4 }), valueArb, (path, value) => {
        // Put the value where the path leads, half the time, so hits are tested as much as misses.
        let root: unknown = value;
        for (let i = path.length - 1; i >= 0; i--) root = typeof path[i] === "number" ? Object.assign([], { [path[i]!]: root }) : { [path[i]!]: root };
        for (const data of [root, value, { fn: () => 1 }, "text"]) expect(compileLookup(path)(data)).toBe(lookupOwn(data, path));
      }),
      { numRuns: 500 },
    );
  });

  test("object templates with any keys render every key as given", () => {
    const keyArb = fc.oneof(fc.string({ unit: "binary", maxLength: 8 }), fc.constantFrom('"', "\\", "'", "`", "${x}", "};throw 1;({", "\u2028", "0", "10", "constructor", "toString", "__proto__"));
    fc.assert(
      fc.property(fc.uniqueArray(keyArb, { maxLength: 6 }), hostileValue, (keys, v) => {
        const source: Record<string, unknown> = {};
        for (const key of keys) Object.defineProperty(source, key, { value: "{{v}}", enumerable: true, writable: true, configurable: true });
        const out = compileTemplate(source).render({ v }) as Record<string, unknown>;
        expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
        expect(Object.keys(out)).toEqual(Object.keys(source));
        for (const key of keys) expect(Object.getOwnPropertyDescriptor(out, key)?.value).toBe(v === undefined ? null : v);
      }),
      { numRuns: 500 },
    );
  });
});
