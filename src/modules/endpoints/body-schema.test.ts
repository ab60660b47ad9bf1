import { describe, expect, test } from "bun:test";
import { bodySchemaCostProblem, compileBodySchema } from "./body-schema";
import { withDefaults } from "./definition";
import { validateDefinition, type ValidateDeps } from "./validate";

/** The body as the server sees it: JSON text parsed, as dispatch does. */
const parsed = (value: unknown) => JSON.parse(JSON.stringify(value)) as unknown;

/**
 * Speed is measured in the bench, not here: these tests count how often the validator reads the
 * body instead. Each value wrapped by `counted` adds one to `reads` per property read or key listing.
 */
function counter() {
  const state = { reads: 0 };
  const counted = <T extends object>(value: T): T =>
    new Proxy(value, {
      get(target, key, receiver) {
        state.reads++;
        return Reflect.get(target, key, receiver) as unknown;
      },
      ownKeys(target) {
        state.reads++;
        return Reflect.ownKeys(target);
      },
    });
  return { state, counted };
}

/** Ajv's message, which names the pair "## a and b" as its own keyword would. */
const duplicateAt = (a: number, b: number) => [{ path: "/", message: `must NOT have duplicate items (items ## ${a} and ${b} are identical)` }];

describe("uniqueItems is checked in one pass, not by comparing every pair", () => {
  // The reported request: 879 KB, under the 1 MB limit; Ajv's own keyword compared every pair (15 s).
  const reported = parsed(Array.from({ length: 110_000 }, (_, i) => [i])) as unknown[];

  test("the reported body (110,000 distinct one-item arrays) is valid, and a duplicate at both ends is named", () => {
    const validate = compileBodySchema({ type: "array", uniqueItems: true });
    expect(validate(reported)).toEqual([]);
    expect(validate([...reported, [0]])).toEqual(duplicateAt(0, 110_000));
  });

  test("each item is read a few times: four times the items, four times the reads", () => {
    const validate = compileBodySchema({ type: "array", uniqueItems: true });
    const readsFor = (n: number) => {
      const { state, counted } = counter();
      const body = Array.from({ length: n }, (_, i) => counted([i]));
      expect(validate(body)).toEqual([]);
      return state.reads;
    };
    const small = readsFor(1000);
    const large = readsFor(4000);
    // Comparing every pair reads each item once per other item: ~3,000,000 reads for 1,000.
    expect(small).toBeLessThanOrEqual(10 * 1000);
    expect(large).toBeLessThanOrEqual(4 * small);
  });

  test("uniqueItems at every level of a deep chain reads the large array at its bottom once", () => {
    const schema = { type: "array", uniqueItems: true, items: { anyOf: [{ type: "integer" }, { $ref: "#" }] } };
    const validate = compileBodySchema(schema);
    const readsFor = (levels: number) => {
      const { state, counted } = counter();
      let chain: unknown = Array.from({ length: 2000 }, (_, i) => counted([i]));
      for (let i = 0; i < levels; i++) chain = [i, chain];
      expect(validate(chain)).toEqual([]);
      return state.reads;
    };
    const alone = readsFor(0);
    expect(alone).toBeLessThanOrEqual(10 * 2000);
    // Numbered once for its parent and read again by its own check (small items are not
    // remembered); numbering the subtree again at each of 98 levels would read it 98 times.
    expect(readsFor(98)).toBeLessThanOrEqual(2 * alone);
  });

  // Ajv's own keyword gets these two wrong: its deep equality compares `constructor`s, and its
  // index of scalar items is a plain object, where "__proto__" cannot be a key.
  test('objects with a "constructor" key are compared by it', () => {
    expect(compileBodySchema({ type: "array", uniqueItems: true })(parsed([{ constructor: {} }, { constructor: {} }]))).toEqual(duplicateAt(0, 1));
  });

  test('"__proto__" twice in a list of strings is a duplicate', () => {
    const validate = compileBodySchema({ type: "array", items: { type: "string" }, uniqueItems: true });
    expect(validate(parsed(["__proto__", "x", "__proto__"]))).toEqual(duplicateAt(2, 0));
  });
});

// These pin the answers and messages of Ajv's own keyword (they pass with it too), so that
// endpoints saved before see no change.
describe("uniqueItems answers as Ajv's own keyword did", () => {
  const cases: { name: string; items: unknown[]; duplicate: [number, number] | null; schema?: Record<string, unknown> }[] = [
    { name: "objects equal whatever their key order", items: [{ a: 1, b: [1, { c: 2 }] }, { b: [1, { c: 2 }], a: 1 }], duplicate: [0, 1] },
    { name: 'the number 1 and the text "1" differ', items: [1, "1", [1], ["1"], { a: 1 }, { a: "1" }], duplicate: null },
    { name: 'null, false, 0, "", [] and {} all differ', items: [null, false, 0, "", [], {}, [null], [[]], [{}]], duplicate: null },
    { name: "arrays differ by order and by length", items: [[1, 2], [2, 1], [1, 2, 3], [1], [[1, 2]]], duplicate: null },
    { name: "an object with one more key differs", items: [{ a: 1 }, { a: 1, b: null }], duplicate: null },
    { name: "1.0 and 1 are one number", items: [1.0, 2, 1], duplicate: [0, 2] },
    { name: "-0 and 0 are one number", items: [[-0], [0]], duplicate: [0, 1] },
    { name: "named: the last item equal to an earlier one, and the nearest such", items: [["a"], ["b"], ["b"], ["a"], ["a"]], duplicate: [3, 4] },
    { name: "deep duplicates", items: [[[[["x"]]]], [[[["y"]]]], [[[["x"]]]]], duplicate: [0, 2] },
    // With scalar item types Ajv's keyword names the pair the other way round.
    { name: "scalar item types: named from the end", items: [1, 2, 1.0, 2], duplicate: [3, 1], schema: { type: "array", items: { type: "integer" }, uniqueItems: true } },
  ];
  for (const { name, items, duplicate, schema } of cases) {
    test(name, () => {
      const problems = compileBodySchema(schema ?? { type: "array", uniqueItems: true })(parsed(items));
      expect(problems).toEqual(duplicate === null ? [] : duplicateAt(...duplicate));
    });
  }

  test("scalar item types: an item of another type is left to `items`", () => {
    const validate = compileBodySchema({ type: "array", items: { type: ["string", "null"] }, uniqueItems: true });
    expect(validate(parsed(["a", 1, null, 1, "b"]))).toEqual([
      { path: "/1", message: "must be string,null" },
      { path: "/3", message: "must be string,null" },
    ]);
  });

  test('objects parsed with a "__proto__" key are compared by it', () => {
    const validate = compileBodySchema({ type: "array", uniqueItems: true });
    expect(validate(JSON.parse('[{"__proto__": 1}, {"__proto__": 2}, {}]'))).toEqual([]);
    expect(validate(JSON.parse('[{"__proto__": {"a": 1}}, {"__proto__": {"a": 1}}]'))).toEqual(duplicateAt(0, 1));
  });

  test("a number too large for JSON (Infinity once parsed) is not null", () => {
    expect(compileBodySchema({ type: "array", uniqueItems: true })(JSON.parse("[1e999, null, -1e999]"))).toEqual([]);
  });

  test("nested uniqueItems report the inner array's path; uniqueItems: false allows duplicates", () => {
    const validate = compileBodySchema({ type: "object", properties: { lists: { type: "array", uniqueItems: false, items: { type: "array", uniqueItems: true } } } });
    expect(validate(parsed({ lists: [[1, 2], [1, 2], [3, [4], [4]]] }))).toEqual([{ path: "/lists/2", message: "must NOT have duplicate items (items ## 1 and 2 are identical)" }]);
  });
});

describe("enum finds a value by identity, not by comparing it with each allowed one", () => {
  test("a value is read a few times, however many values are allowed", () => {
    const validate = compileBodySchema({ enum: Array.from({ length: 1000 }, (_, i) => ({ id: i })) });
    const { state, counted } = counter();
    expect(validate(counted({ id: 999 }))).toEqual([]);
    // Compared with each allowed object in turn, it would be read about 3,000 times.
    expect(state.reads).toBeLessThanOrEqual(10);
  });

  test("same answers and message as Ajv's own keyword (which passes this too)", () => {
    const validate = compileBodySchema({ type: "object", properties: { v: { enum: [1, "two", null, { a: [1, 2] }, [3], -0] } } });
    for (const ok of [1, "two", null, { a: [1, 2] }, [3], 0]) expect(validate(parsed({ v: ok }))).toEqual([]);
    for (const bad of ["1", 2, false, { a: [2, 1] }, [3, 3], {}, "0"]) {
      expect(validate(parsed({ v: bad }))).toEqual([{ path: "/v", message: "must be equal to one of the allowed values" }]);
    }
  });

  test('an allowed object with a "constructor" key is accepted', () => {
    expect(compileBodySchema({ enum: [{ constructor: { a: 1 } }] })(parsed({ constructor: { a: 1 } }))).toEqual([]);
  });

  test("an empty enum is refused when compiled, as Ajv does", () => {
    expect(() => compileBodySchema({ enum: [] })).toThrow();
  });
});

describe("a failing body costs one pass, however many errors it holds", () => {
  test("a small failing body lists its errors (up to 20)", () => {
    const validate = compileBodySchema({ type: "object", required: ["a", "b"], properties: { c: { type: "integer" } } });
    expect(validate(parsed({ c: "x" }))).toEqual([
      { path: "/", message: 'must have property "a"' },
      { path: "/", message: 'must have property "b"' },
      { path: "/c", message: "must be integer" },
    ]);
  });

  test("100,000 wrong items: the first error, without checking (and reading) every item", () => {
    const validate = compileBodySchema({ type: "array", items: { anyOf: [{ type: "string" }, { type: "boolean" }] } });
    const { state, counted } = counter();
    const problems = validate(counted(Array(100_000).fill(0)));
    expect(problems[0]).toEqual({ path: "/0", message: "must be string" });
    // Collecting every error reads each item, twice: 200,000 reads.
    expect(state.reads).toBeLessThan(100);
  });
});

describe("a schema too costly to save still works for an endpoint saved before", () => {
  // Each level of `deep` is checked twice, by both allOf branches: 2^depth checks.
  const doubling = { type: "array", allOf: [{ items: { $ref: "#/properties/deep" } }, { items: { $ref: "#/properties/deep" } }] };
  const costly = { type: "object", required: ["a", "b"], properties: { deep: doubling } };

  test("it compiles, and bodies are checked up to their first error", () => {
    const validate = compileBodySchema(costly);
    expect(validate(parsed({ a: 1, b: 2, deep: [[[]], []] }))).toEqual([]);
    // An all-errors pass could cost 2^depth: only the first error is named.
    expect(validate(parsed({}))).toEqual([{ path: "/", message: 'must have property "a"' }]);
    expect(validate(parsed({ a: 1, b: 2, deep: [[1]] }))).toEqual([{ path: "/deep/0/0", message: "must be array" }]);
  });

  test("bodySchemaCostProblem names where it multiplies; an honest schema has none", () => {
    expect(bodySchemaCostProblem(costly)).toEqual({ path: "/properties/deep", message: expect.stringContaining("could cost") });
    expect(bodySchemaCostProblem({ type: "object", required: ["a", "b"], properties: { deep: { type: "array", items: { $ref: "#/properties/deep" } } } })).toBeNull();
  });

  test("an invalid schema still throws, for both", () => {
    expect(() => compileBodySchema({ type: "nonsense" })).toThrow();
    expect(() => bodySchemaCostProblem({ type: "nonsense" })).toThrow();
  });

  test("saving it is a 400 on body_schema naming the schema path", () => {
    const deps: ValidateDeps = { registry: { get: () => undefined } as never, maxBodyLimitBytes: 1_048_576, credentialExists: () => false };
    const def = withDefaults({ name: "costly", path: "/costly", method: "POST", actions: [], body_schema: costly });
    let thrown: unknown;
    try {
      validateDefinition(def, deps);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toMatchObject({ status: 400, code: "VALIDATION_ERROR", details: { field: "body_schema", schema_path: "/properties/deep" } });
    expect((thrown as Error).message).toStartWith("Invalid body_schema: at /properties/deep: a body value nested");
  });
});

describe("compiling many schemas keeps memory bounded", () => {
  const schemaFor = (i: number) => ({ type: "object", properties: { n: { const: i }, s: { type: "string", maxLength: 10 } }, required: ["n"] });

  test("5,000 distinct schemas: the heap grows by what the cache holds, not by every schema ever compiled", () => {
    // Ajv keeps a trace of every schema an instance compiles (~6 KB each): 5,000 grew the heap by
    // ~30 MB before its instances were replaced with the cache, and ~10 MB after.
    Bun.gc(true);
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 5000; i++) compileBodySchema(schemaFor(i));
    Bun.gc(true);
    expect((process.memoryUsage().heapUsed - before) / 1e6).toBeLessThan(18);
  }, 30_000); // ~4 s alone, ~8 s beside the rest of the suite

  test("a validator compiled before the cache was emptied keeps working", () => {
    const early = compileBodySchema({ type: "object", required: ["lang"], properties: { lang: { enum: ["en", "fr"] }, tags: { type: "array", uniqueItems: true } } });
    for (let i = 0; i < 1100; i++) compileBodySchema(schemaFor(100_000 + i));
    expect(early({ lang: "en", tags: [[1], [2]] })).toEqual([]);
    expect(early({ lang: "de" }).map((p) => p.path)).toEqual(["/lang"]);
    expect(early({ lang: "fr", tags: [{ a: 1 }, { a: 1 }] }).map((p) => p.path)).toEqual(["/tags"]);
  }, 30_000);
});
