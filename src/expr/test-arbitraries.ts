/**
 * @module expr/test-arbitraries
 * fast-check generators shared by the property tests (test-only; nothing in
 * the runtime imports this). Pools are small on purpose: random filters over
 * random records only say something when values collide often.
 */

import fc from "fast-check";
import type { CompareOp, Expr, LiteralExpr, LiteralValue, PathSegment } from "./ast.ts";

const OPS: CompareOp[] = ["=", "!=", ">", ">=", "<", "<=", "~", "!~"];

/** Strings that exercise quoting, case folding, numeric coercion, UTF-8 order and NUL. */
export const STRING_POOL = [
  "", "a", "A", "ab", "aB", "b", "é", "É", "😀", "\uffff", "a\u0000b", "'", '"', "\\", "' or 1=1 --",
  "5", "5.0", " 5", "05", "-0", "1e2", "+5", ".5", "5.", "0x10", "\u00a05", "10", "9", "true", "null",
  "[1]", '{"a":1}', "{{x}}", "5\u0000", "5\u0000x", "3165117988249157600",
];

/** Any scalar the record generator and literals draw from. */
export const scalarArb: fc.Arbitrary<LiteralValue> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...STRING_POOL) },
  { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 6 }) },
  { weight: 3, arbitrary: fc.integer({ min: -10, max: 10 }) },
  { weight: 1, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }) },
  { weight: 1, arbitrary: fc.constantFrom(0.5, -0, 1e21, 2 ** 60, 3165117988249157600, 1.5, 100, 5) },
  { weight: 1, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => String(d)) },
  { weight: 1, arbitrary: fc.boolean() },
  { weight: 2, arbitrary: fc.constant(null) },
);

/** JSON values for record fields: scalars plus small arrays and objects. */
export const jsonValueArb: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 8, arbitrary: scalarArb },
  { weight: 1, arbitrary: fc.array(scalarArb, { maxLength: 3 }) },
  { weight: 1, arbitrary: fc.dictionary(fc.constantFrom("a", "b", "0"), scalarArb, { maxKeys: 2 }) },
);

/** Top-level record keys, including ones that are prototype names in JS. */
export const RECORD_KEYS = ["name", "age", "flag", "tags", "meta", "owner_id", "__proto__", "constructor", "x"];

/** Field paths filters may use: columns, JSON keys, nested paths, a never-present key. */
export const FILTER_FIELDS: PathSegment[][] = [
  ["id"], ["created_at"], ["name"], ["age"], ["flag"], ["owner_id"], ["__proto__"], ["constructor"], ["x"],
  ["tags", 0], ["tags", 1], ["meta", "a"], ["meta", "b"], ["meta", "c", 0], ["missing"], ["meta"], ["tags"],
];

/** A record's data object built with own properties only (even `__proto__`). */
export const recordDataArb: fc.Arbitrary<Record<string, unknown>> = fc
  .array(
    fc.tuple(
      fc.constantFrom(...RECORD_KEYS),
      jsonValueArb,
    ),
    { minLength: 2, maxLength: 8 },
  )
  .chain((entries) =>
    fc.record({ meta: fc.option(fc.dictionary(fc.constantFrom("a", "b", "c"), jsonValueArb, { maxKeys: 3 }), { nil: undefined }), tags: fc.option(fc.array(scalarArb, { maxLength: 3 }), { nil: undefined }) }).map(
      ({ meta, tags }) => {
        const all: [string, unknown][] = [...entries];
        if (meta !== undefined) all.push(["meta", meta]);
        if (tags !== undefined) all.push(["tags", tags]);
        return JSON.parse(JSON.stringify(Object.fromEntries(all))) as Record<string, unknown>;
      },
    ),
  );

const lit = (value: LiteralValue): LiteralExpr => ({ kind: "literal", value, pos: 0 });

/** Options for {@link exprArb}. */
export interface ExprArbOptions {
  fields: fc.Arbitrary<PathSegment[]>;
  literals: fc.Arbitrary<LiteralValue>;
  calls: fc.Arbitrary<Expr>;
  maxDepth?: number;
}

/** Random expression trees (positions 0) over the given leaves. */
export function exprArb(options: ExprArbOptions): fc.Arbitrary<Expr> {
  const { expr } = fc.letrec<{ expr: Expr; leaf: Expr }>((tie) => ({
    leaf: fc.oneof(
      options.literals.map(lit),
      options.fields.map((path): Expr => ({ kind: "field", path, pos: 0 })),
      options.calls,
    ),
    expr: fc.oneof(
      { maxDepth: options.maxDepth ?? 4, depthIdentifier: "expr" },
      tie("leaf"),
      fc.record({ kind: fc.constant("compare" as const), op: fc.constantFrom(...OPS), left: tie("expr"), right: tie("expr"), pos: fc.constant(0) }),
      fc.record({ kind: fc.constant("in" as const), negated: fc.boolean(), value: tie("expr"), items: fc.array(tie("expr"), { minLength: 1, maxLength: 3 }), pos: fc.constant(0) }),
      fc.record({ kind: fc.constant("not" as const), operand: tie("expr"), pos: fc.constant(0) }),
      fc.record({ kind: fc.constant("logical" as const), op: fc.constantFrom("and" as const, "or" as const), operands: fc.array(tie("expr"), { minLength: 2, maxLength: 3 }), pos: fc.constant(0) }),
    ),
  }));
  return expr;
}

/** Field paths for the printer round trip: keyword and odd segments after the root. */
export const anyPathArb: fc.Arbitrary<PathSegment[]> = fc.tuple(
  fc.constantFrom("a", "request", "_x9", "__proto__", "nots", "order"),
  fc.array(fc.oneof(fc.constantFrom("in", "and", "null", "b", "x-y", "it's", "", "ü"), fc.nat({ max: 999_999_999 })), { maxLength: 3 }),
).map(([root, rest]) => [root, ...rest]);

/** Any call node with constant arguments. */
export const anyCallArb: fc.Arbitrary<Expr> = fc.record({
  kind: fc.constant("call" as const),
  name: fc.constantFrom("has_role", "owns_record", "f"),
  args: fc.array(scalarArb.map(lit), { maxLength: 2 }),
  pos: fc.constant(0),
});

/**
 * Filter-shaped trees: mostly `field op literal` atoms (the shape real
 * filters have, and the one that meets record values), combined with
 * and/or/not, plus some free-form nesting from {@link exprArb}.
 */
export function filterArb(options: ExprArbOptions): fc.Arbitrary<Expr> {
  const field = options.fields.map((path): Expr => ({ kind: "field", path, pos: 0 }));
  const literal = options.literals.map(lit);
  const side = fc.oneof({ weight: 1, arbitrary: field }, { weight: 2, arbitrary: literal });
  const atom: fc.Arbitrary<Expr> = fc.oneof(
    { weight: 6, arbitrary: fc.record({ kind: fc.constant("compare" as const), op: fc.constantFrom(...OPS), left: field, right: side, pos: fc.constant(0) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant("compare" as const), op: fc.constantFrom(...OPS), left: literal, right: field, pos: fc.constant(0) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant("in" as const), negated: fc.boolean(), value: field, items: fc.array(side, { minLength: 1, maxLength: 4 }), pos: fc.constant(0) }) },
    { weight: 1, arbitrary: options.calls },
    { weight: 1, arbitrary: field },
    { weight: 1, arbitrary: exprArb({ ...options, maxDepth: 2 }) },
  );
  const { expr } = fc.letrec<{ expr: Expr }>((tie) => ({
    expr: fc.oneof(
      { maxDepth: options.maxDepth ?? 3, depthIdentifier: "filter" },
      atom,
      fc.record({ kind: fc.constant("not" as const), operand: tie("expr"), pos: fc.constant(0) }),
      fc.record({ kind: fc.constant("logical" as const), op: fc.constantFrom("and" as const, "or" as const), operands: fc.array(tie("expr"), { minLength: 2, maxLength: 3 }), pos: fc.constant(0) }),
    ),
  }));
  return expr;
}
