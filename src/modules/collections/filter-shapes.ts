/**
 * @module modules/collections/filter-shapes
 * Templated filters (`customer_id = '{{request.params.customer_id}}'`) are compiled with their
 * rendered values as constants, so an index can serve them. Compiling per query is the costly
 * part of a query, yet the SQL text depends only on what kind of value each template gave (text
 * or number), not on the value: a "shape" is compiled once per kind and reused, with the values
 * put into the bound parameters that hold them.
 *
 * A shape is built only where that is known to hold: every template is a direct operand of a
 * plain comparison (`= != < <= > >=`, `in`) against a field, and each value is plain text (not
 * numeric text, no `{{`) or a finite number. The shape is then compiled twice with two different
 * sets of stand-in values, and kept only when the SQL is the same and the stand-ins appear
 * verbatim in the parameters; anything else takes the per-query compile, as before.
 */
import type { CompiledFilter, Expr, LiteralExpr, LiteralValue } from "../../expr";
// The rule sql-ops uses to pick type-agnostic SQL for numeric text; the kinds must follow it exactly.
import { isNumericString } from "../../expr/values";
import type { Where } from "./store";

/** A filter compiled for one kind of each template value; `slots[i]` is the template in param i. */
export interface FilterShape {
  filter: CompiledFilter;
  slots: readonly (readonly [param: number, template: number])[];
}

/** Shapes of one templated filter, by kind key ("s" text, "n" number per template); null: none possible. */
export type ShapeCache = Map<string, FilterShape | null>;

/** Most shapes kept per filter (a key per mix of kinds; two templates make at most four). */
const MAX_SHAPES = 16;

export const isTemplate = (node: Expr): node is LiteralExpr => node.kind === "literal" && typeof node.value === "string" && node.value.includes("{{");

/** The template literals of a tree, in the order `substitute` renders them. */
export function templateLiterals(node: Expr, into: LiteralExpr[] = []): LiteralExpr[] {
  switch (node.kind) {
    case "literal":
      if (isTemplate(node)) into.push(node);
      break;
    case "logical":
      for (const operand of node.operands) templateLiterals(operand, into);
      break;
    case "not":
      templateLiterals(node.operand, into);
      break;
    case "compare":
      templateLiterals(node.left, into);
      templateLiterals(node.right, into);
      break;
    case "in":
      templateLiterals(node.value, into);
      for (const item of node.items) templateLiterals(item, into);
      break;
  }
  return into;
}

/** Whether every template sits directly against a field in a plain comparison (see the module note). */
export function templatesOnlyAgainstFields(node: Expr): boolean {
  const side = (x: Expr, other: Expr, plain: boolean) => (isTemplate(x) ? plain && other.kind === "field" : templatesOnlyAgainstFields(x));
  switch (node.kind) {
    case "literal":
      return !isTemplate(node);
    case "field":
      return true;
    case "call":
      return !node.args.some(isTemplate);
    case "logical":
      return node.operands.every(templatesOnlyAgainstFields);
    case "not":
      return templatesOnlyAgainstFields(node.operand);
    case "compare": {
      const plain = node.op !== "~" && node.op !== "!~";
      return side(node.left, node.right, plain) && side(node.right, node.left, plain);
    }
    case "in": {
      const value = isTemplate(node.value) ? node.items.every((item) => item.kind === "field") : templatesOnlyAgainstFields(node.value);
      return value && node.items.every((item) => side(item, node.value, true));
    }
  }
}

/** The kind key of rendered values, or null when one of them has no shape (null, booleans, numeric text...). */
export function shapeKey(values: readonly LiteralValue[]): string | null {
  let key = "";
  for (const value of values) {
    if (typeof value === "string" && !value.includes("{{") && !isNumericString(value)) key += "s";
    else if (typeof value === "number" && Number.isFinite(value)) key += "n";
    else return null;
  }
  return key;
}

/** Stand-in values of one kind key: two sets that differ in length, case and magnitude. */
function standIns(key: string, set: 0 | 1): LiteralValue[] {
  return [...key].map((kind, i) =>
    kind === "s" ? (set === 0 ? `\u0001shape-a-${i}\u0001` : `\u0002SHAPE_B_${i}_LONGER\u0002`) : set === 0 ? 0.5 ** (900 + i) : -(0.5 ** (960 + i)),
  );
}

/**
 * Compiles the shape of `key`, or null when the filter does not keep the values apart from its
 * SQL (the stand-in check fails) or does not compile with them.
 * @param compile compiles a tree whose templates are replaced by the given values
 */
export function buildShape(key: string, compile: (values: readonly LiteralValue[]) => CompiledFilter, ctx: Readonly<Record<string, unknown>> | undefined): FilterShape | null {
  const a = standIns(key, 0);
  const b = standIns(key, 1);
  let filter: CompiledFilter;
  let sqlA: { sql: string; params: unknown[] };
  let sqlB: { sql: string; params: unknown[] };
  try {
    filter = compile(a);
    sqlA = filter.toSql({ ctx });
    sqlB = compile(b).toSql({ ctx });
  } catch {
    return null; // the per-query compile reports the error
  }
  if (sqlA.sql !== sqlB.sql || sqlA.params.length !== sqlB.params.length) return null;
  const slots: [number, number][] = [];
  const seen = new Set<number>();
  for (let i = 0; i < sqlA.params.length; i++) {
    const template = a.indexOf(sqlA.params[i] as LiteralValue);
    if (template >= 0) {
      if (!Object.is(sqlB.params[i], b[template])) return null;
      slots.push([i, template]);
      seen.add(template);
    } else if (!Object.is(sqlA.params[i], sqlB.params[i]) || b.includes(sqlB.params[i] as LiteralValue)) {
      return null; // a parameter derived from a value: the shape would not hold for others
    }
  }
  return seen.size === a.length ? { filter, slots } : null;
}

/** The cached shape of `key`, building it on first use. */
export function shapeFor(cache: ShapeCache, key: string, build: () => FilterShape | null): FilterShape | null {
  let shape = cache.get(key);
  if (shape === undefined) {
    shape = build();
    if (cache.size < MAX_SHAPES) cache.set(key, shape);
  }
  return shape;
}

/** The WHERE of one query from a shape: its SQL, with the values in their parameters. */
export function fillShape(shape: FilterShape, values: readonly LiteralValue[], ctx: Readonly<Record<string, unknown>> | undefined): Where {
  const where = shape.filter.toSql({ ctx });
  const params = where.params;
  for (const [param, template] of shape.slots) params[param] = values[template] as string | number;
  return where;
}
