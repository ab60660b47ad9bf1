/**
 * @module expr/values
 * The value semantics of the language, in one place. Conditions run these
 * in memory; `sql-ops.ts` emits SQL that must give the same answers on
 * SQLite, and the differential property test holds the two together. So the
 * model is SQLite's: every value is first reduced to null, a number or a
 * string (booleans become 1/0, objects and arrays their JSON text).
 */

import type { CompareOp, PathSegment } from "./ast.ts";

/** A value as comparisons see it: SQLite's storage classes minus blobs. */
export type Scalar = null | number | string;

/** A JSON number, optionally padded with JSON whitespace; what SQLite's json_valid accepts. */
const NUMERIC_STRING = /^[\t\n\r ]*-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?[\t\n\r ]*$/;

/**
 * Reduces any runtime value to a Scalar: undefined/null/NaN -> null,
 * booleans -> 1/0 (what SQLite's json_extract yields for true/false),
 * Dates -> ISO text, objects and arrays -> their JSON text.
 */
export function normalize(value: unknown): Scalar {
  switch (typeof value) {
    case "string":
      return value;
    case "number":
      return Number.isNaN(value) ? null : value;
    case "boolean":
      return value ? 1 : 0;
    case "bigint":
      return Number(value);
    case "object":
      if (value === null) return null;
      if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
      try {
        return JSON.stringify(value) ?? null;
      } catch {
        return null; // cycles or BigInt inside: treated as missing rather than failing the request
      }
    default:
      return null;
  }
}

/** True when `s` is a numeric string (a JSON number, surrounding JSON whitespace allowed). */
export function isNumericString(s: string): boolean {
  return NUMERIC_STRING.test(s);
}

/** The number a Scalar stands for: numbers themselves, numeric strings parsed, else null. */
export function toNumber(value: Scalar): number | null {
  if (typeof value === "number") return value;
  if (typeof value === "string" && NUMERIC_STRING.test(value)) return Number(value);
  return null;
}

/**
 * `=`: null equals only null; two strings compare exactly; otherwise both
 * sides must be numbers or numeric strings and compare numerically
 * (query-string values are text, `request.query.page = 2` must still work).
 */
export function equals(a: Scalar, b: Scalar): boolean {
  if (a === null || b === null) return a === b;
  if (typeof a === "string" && typeof b === "string") return a === b;
  const x = toNumber(a);
  const y = toNumber(b);
  return x !== null && y !== null && x === y;
}

/**
 * Ordering for `< <= > >=`: strings by code point (SQLite compares UTF-8
 * bytes, which is the same order), numbers numerically with the same
 * numeric-string rule as `=`; anything else (null, number vs word) is
 * incomparable and every ordering test is false.
 */
export function order(a: Scalar, b: Scalar): number | null {
  if (typeof a === "string" && typeof b === "string") return compareStrings(a, b);
  const x = toNumber(a);
  const y = toNumber(b);
  if (x === null || y === null) return null;
  return x < y ? -1 : x > y ? 1 : 0;
}

/** `~`: both strings, and `b` occurs in `a` ignoring ASCII case (SQLite's lower() is ASCII-only). */
export function contains(a: Scalar, b: Scalar): boolean {
  return typeof a === "string" && typeof b === "string" && asciiLower(a).includes(asciiLower(b));
}

/** A value used as a condition: false for null, 0 (so false) and "", true otherwise. */
export function truthy(value: Scalar): boolean {
  return value !== null && value !== 0 && value !== "";
}

/** Lower-cases A-Z only, matching SQLite's built-in lower(). */
export function asciiLower(s: string): string {
  return /[A-Z]/.test(s) ? s.replace(/[A-Z]+/g, (m) => m.toLowerCase()) : s;
}

/**
 * Compares by Unicode code point rather than UTF-16 unit: the two differ
 * when a surrogate pair meets a character in U+E000..U+FFFF.
 */
export function compareStrings(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointRank(x) - codePointRank(y);
  }
  return a.length - b.length;
}

function codePointRank(unit: number): number {
  if (unit >= 0xd800 && unit <= 0xdfff) return unit + 0x2000; // surrogates encode code points above U+FFFF
  if (unit >= 0xe000) return unit - 0x800;
  return unit;
}

/**
 * Follows `path` from `root` through own properties only: names step into
 * plain objects, indexes into arrays, anything else is missing. Never reads
 * a prototype, so `__proto__` or `constructor` are just absent keys.
 */
export function lookupPath(root: unknown, path: readonly PathSegment[]): unknown {
  let current = root;
  for (const seg of path) {
    if (current === null || typeof current !== "object") return undefined;
    if (Array.isArray(current)) {
      if (typeof seg !== "number" || seg >= current.length) return undefined;
      current = current[seg];
    } else {
      if (typeof seg !== "string" || !Object.hasOwn(current, seg)) return undefined;
      current = (current as Record<string, unknown>)[seg];
    }
  }
  return current;
}

/** Applies a comparison operator with the semantics above; `!=` and `!~` are exact negations. */
export function applyCompare(op: CompareOp, a: Scalar, b: Scalar): boolean {
  switch (op) {
    case "=":
      return equals(a, b);
    case "!=":
      return !equals(a, b);
    case "~":
      return contains(a, b);
    case "!~":
      return !contains(a, b);
    default: {
      const c = order(a, b);
      if (c === null) return false;
      return op === "<" ? c < 0 : op === "<=" ? c <= 0 : op === ">" ? c > 0 : c >= 0;
    }
  }
}
