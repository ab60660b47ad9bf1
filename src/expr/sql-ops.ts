/**
 * @module expr/sql-ops
 * SQLite text for each comparison, written to give exactly the answers of
 * `values.ts` (the differential test checks this on random data). Three
 * rules make that possible:
 * - every emitted condition yields 0 or 1, never NULL, so NOT/AND/OR behave
 *   as two-valued logic (COALESCE and CASE guard each NULL source);
 * - operands are compared only after `typeof()` shows they share a storage
 *   class, so column affinity and mixed-type ordering never come into play;
 * - numbers are compared as REAL (a JS number is a double; SQLite reads a
 *   big JSON integer as an exact int64 that would otherwise differ).
 */

import type { CompareOp } from "./ast.ts";
import { asBoolean, constant, joinSql, param, sql, SQL_FALSE, SQL_TRUE, type SqlFragment, type SqlRuntime } from "./sql-fragment.ts";
import { applyCompare, asciiLower, isNumericString, toNumber, truthy, type Scalar } from "./values.ts";

/** A comparison side as the SQL compiler sees it. */
export type SqlOperand =
  /** A constant from the source: its type picks the simplest SQL. */
  | { kind: "const"; value: Scalar }
  /** Known per query, not per row (a rendered template, a record-independent call). */
  | { kind: "dynamic"; get: (rt: SqlRuntime) => Scalar }
  /** Varies per row: a field or a sub-condition. */
  | { kind: "row"; frag: SqlFragment };

type OrderOp = "<" | "<=" | ">" | ">=";
const FLIP: Record<OrderOp, OrderOp> = { "<": ">", "<=": ">=", ">": "<", ">=": "<=" };

/** SQL for `left op right`; always a 0/1 condition. */
export function compareSql(operator: CompareOp, left: SqlOperand, right: SqlOperand): SqlFragment {
  if (operator === "!=") return notSql(compareSql("=", left, right));
  if (operator === "!~") return notSql(compareSql("~", left, right));
  const op = operator as "=" | "~" | OrderOp;
  if (left.kind !== "row" && right.kind !== "row") return knownCompare(op, left, right);
  if (isCondition(left) || isCondition(right)) return conditionCompare(op, left, right);
  if (left.kind === "row" && right.kind === "row") return rowVsRow(op, left.frag, right.frag);
  if (left.kind === "row") return rowVsValue(op, left.frag, right as ValueOperand, false);
  const flipped = op === "=" || op === "~" ? op : FLIP[op as OrderOp];
  return rowVsValue(flipped, (right as { frag: SqlFragment }).frag, left as ValueOperand, true);
}

/** SQL for a value used as a condition (null, 0 and '' are false). */
export function truthySql(operand: SqlOperand): SqlFragment {
  if (operand.kind === "const") return truthy(operand.value) ? SQL_TRUE : SQL_FALSE;
  if (operand.kind === "dynamic") {
    const get = operand.get;
    return asBoolean(param((rt) => (truthy(get(rt)) ? 1 : 0)));
  }
  const x = operand.frag;
  if (x.boolean) return x;
  return asBoolean(sql`(CASE typeof(${x}) WHEN 'null' THEN 0 WHEN 'text' THEN ${x} <> '' COLLATE BINARY WHEN 'blob' THEN 1 ELSE ${x} <> 0 END)`);
}

/** `NOT (cond)`; safe because every condition here is 0/1. */
export function notSql(cond: SqlFragment): SqlFragment {
  return asBoolean(sql`(NOT ${cond})`);
}

/**
 * SQL for `cond in (items)` where the value is itself a condition (0/1): the
 * answer of OR-ing {@link compareSql}`("=", cond, item)` over the items, with
 * the condition written once. The general expansion repeats the value per
 * item, which is cheap for a field but makes nested
 * `((x in (...)) in (...)) in (...)` grow exponentially. Each item gives its
 * number exactly as {@link conditionCompare} takes it; SQLite's IN then
 * compares the 0/1 with each, and a miss among NULLs (NULL) becomes 0.
 */
export function conditionInSql(cond: SqlFragment, items: readonly SqlOperand[]): SqlFragment {
  const numbers = items.map((item): SqlFragment => {
    if (item.kind === "row") return item.frag.boolean ? item.frag : num(item.frag);
    const get = getter(item);
    return param((rt) => toNumber(get(rt)));
  });
  return asBoolean(sql`COALESCE(${cond} IN (${joinSql(numbers, ", ")}), 0)`);
}

/** SQL for `x = value-of-get`, for functions (e.g. an owner field against the caller's id). */
export function equalsValueSql(x: SqlFragment, get: (rt: SqlRuntime) => Scalar): SqlFragment {
  return parametricEquals(x, get);
}

type ValueOperand = Exclude<SqlOperand, { kind: "row" }>;

function isCondition(operand: SqlOperand): boolean {
  return operand.kind === "row" && operand.frag.boolean === true;
}

/**
 * A side that is itself a condition is a non-null integer (0/1), so it is
 * compared as a plain number and written once. Treating it like a field
 * would repeat its SQL in every CASE branch, and nested comparisons would
 * grow exponentially.
 */
function conditionCompare(op: "=" | "~" | OrderOp, left: SqlOperand, right: SqlOperand): SqlFragment {
  if (op === "~") return SQL_FALSE; // a number never contains or is contained
  if (!isCondition(left)) {
    return conditionCompare(op === "=" ? op : FLIP[op], right, left);
  }
  const b = (left as { frag: SqlFragment }).frag;
  const o = raw(op);
  if (right.kind === "row") {
    if (right.frag.boolean) return asBoolean(sql`(${b} ${o} ${right.frag})`);
    return asBoolean(sql`COALESCE(${b} ${o} ${num(right.frag)}, 0)`);
  }
  const get = getter(right);
  return asBoolean(sql`COALESCE(${b} ${o} ${param((rt) => toNumber(get(rt)))}, 0)`);
}

function knownCompare(op: CompareOp, left: ValueOperand, right: ValueOperand): SqlFragment {
  if (left.kind === "const" && right.kind === "const") return applyCompare(op, left.value, right.value) ? SQL_TRUE : SQL_FALSE;
  const l = getter(left);
  const r = getter(right);
  return asBoolean(param((rt) => (applyCompare(op, l(rt), r(rt)) ? 1 : 0)));
}

function getter(operand: ValueOperand): (rt: SqlRuntime) => Scalar {
  if (operand.kind === "dynamic") return operand.get;
  const value = operand.value;
  return () => value;
}

/** `x op v`, or `v ~ x` when `reversed` (the only asymmetric case that cannot be flipped). */
function rowVsValue(op: "=" | "~" | OrderOp, x: SqlFragment, v: ValueOperand, reversed: boolean): SqlFragment {
  if (op === "~") return containsValue(x, v, reversed);
  if (v.kind === "const") {
    const value = v.value;
    if (value === null) return op === "=" ? asBoolean(sql`(${x} IS NULL)`) : SQL_FALSE;
    if (typeof value === "string" && !isNumericString(value)) {
      // Plain text: only text can match. `x IS 'v'` is 0 for NULL, numbers and other text, so it
      // needs no typeof() guard (which made SQLite extract x once more on every row the index
      // found: ~10% of an indexed 10-row query), and SQLite serves it from an index like `x = ?`.
      if (op === "=") return asBoolean(sql`(${x} IS ${constant(value)} COLLATE BINARY)`);
      // Ordering needs the guard: numbers sort before all text in SQLite.
      return asBoolean(sql`(typeof(${x}) = 'text' AND ${x} ${raw(op)} ${constant(value)} COLLATE BINARY)`);
    }
    if (typeof value === "number") return asBoolean(sql`COALESCE(${num(x)} ${raw(op)} ${constant(value)}, 0)`);
  }
  const get = getter(v);
  return op === "=" ? parametricEquals(x, get) : parametricOrder(op, x, get);
}

/**
 * Type-agnostic `x = v`: the SQL text is the same whatever v turns out to
 * be; v's facets (is-null, as-text, as-number) are bound separately.
 */
function parametricEquals(x: SqlFragment, get: (rt: SqlRuntime) => Scalar): SqlFragment {
  const isNull = param((rt) => (get(rt) === null ? 1 : 0));
  const { str, numAny, numOnly } = facets(get);
  return asBoolean(sql`(CASE typeof(${x}) WHEN 'null' THEN ${isNull} WHEN 'text' THEN (CASE WHEN ${x} = ${str} COLLATE BINARY THEN 1 WHEN ${numOnly} IS NULL THEN 0 ELSE COALESCE(${numText(x)} = ${numOnly}, 0) END) WHEN 'integer' THEN COALESCE(CAST(${x} AS REAL) = ${numAny}, 0) WHEN 'real' THEN COALESCE(${x} = ${numAny}, 0) ELSE 0 END)`);
}

/** Type-agnostic `x op v` for the ordering operators. */
function parametricOrder(op: OrderOp, x: SqlFragment, get: (rt: SqlRuntime) => Scalar): SqlFragment {
  const { str, numAny, numOnly } = facets(get);
  const o = raw(op);
  return asBoolean(sql`(CASE typeof(${x}) WHEN 'text' THEN (CASE WHEN ${str} IS NOT NULL THEN ${x} ${o} ${str} COLLATE BINARY WHEN ${numOnly} IS NULL THEN 0 ELSE COALESCE(${numText(x)} ${o} ${numOnly}, 0) END) WHEN 'integer' THEN COALESCE(CAST(${x} AS REAL) ${o} ${numAny}, 0) WHEN 'real' THEN COALESCE(${x} ${o} ${numAny}, 0) ELSE 0 END)`);
}

/** The bound views of a value: as text (if text), as a number (numbers and numeric text), as a number (numbers only). */
function facets(get: (rt: SqlRuntime) => Scalar) {
  return {
    str: param((rt) => {
      const v = get(rt);
      return typeof v === "string" ? v : null;
    }),
    numAny: param((rt) => toNumber(get(rt))),
    numOnly: param((rt) => {
      const v = get(rt);
      return typeof v === "number" ? v : null;
    }),
  };
}

function containsValue(x: SqlFragment, v: ValueOperand, reversed: boolean): SqlFragment {
  if (v.kind === "const") {
    if (typeof v.value !== "string") return SQL_FALSE;
    const needle = constant(asciiLower(v.value));
    return asBoolean(reversed
      ? sql`(typeof(${x}) = 'text' AND instr(${needle}, lower(${x})) > 0)`
      : sql`(typeof(${x}) = 'text' AND instr(lower(${x}), ${needle}) > 0)`);
  }
  const get = v.get;
  const lowered = param((rt) => {
    const value = get(rt);
    return typeof value === "string" ? asciiLower(value) : null;
  });
  return asBoolean(reversed
    ? sql`(typeof(${x}) = 'text' AND COALESCE(instr(${lowered}, lower(${x})) > 0, 0))`
    : sql`(typeof(${x}) = 'text' AND COALESCE(instr(lower(${x}), ${lowered}) > 0, 0))`);
}

function rowVsRow(op: "=" | "~" | OrderOp, x: SqlFragment, y: SqlFragment): SqlFragment {
  if (op === "~") return asBoolean(sql`(typeof(${x}) = 'text' AND typeof(${y}) = 'text' AND instr(lower(${x}), lower(${y})) > 0)`);
  if (op === "=") {
    return asBoolean(sql`(CASE WHEN ${x} IS NULL OR ${y} IS NULL THEN (${x} IS NULL AND ${y} IS NULL) WHEN typeof(${x}) = 'text' AND typeof(${y}) = 'text' THEN ${x} = ${y} COLLATE BINARY ELSE COALESCE(${num(x)} = ${num(y)}, 0) END)`);
  }
  const o = raw(op);
  return asBoolean(sql`(CASE WHEN typeof(${x}) = 'text' AND typeof(${y}) = 'text' THEN ${x} ${o} ${y} COLLATE BINARY ELSE COALESCE(${num(x)} ${o} ${num(y)}, 0) END)`);
}

/** The numeric value of any x (numbers, numeric text) as REAL, else NULL. */
function num(x: SqlFragment): SqlFragment {
  return sql`(CASE typeof(${x}) WHEN 'integer' THEN CAST(${x} AS REAL) WHEN 'real' THEN ${x} WHEN 'text' THEN ${numText(x)} END)`;
}

/**
 * The numeric value of text x, else NULL. json_valid() is the numeric-string
 * test (strict JSON, no JSON5); it stops at NUL, hence the instr guard.
 * json_type() errors on invalid JSON, so it sits inside the CASE.
 */
function numText(x: SqlFragment): SqlFragment {
  return sql`(CASE WHEN instr(${x}, char(0)) = 0 AND json_valid(${x}) THEN (CASE WHEN json_type(${x}) IN ('integer', 'real') THEN CAST(json_extract(${x}, '$') AS REAL) END) END)`;
}

/** Operator text as a fragment; only ever one of our own fixed operators. */
function raw(op: "=" | OrderOp): SqlFragment {
  return { sql: op, params: [] };
}
