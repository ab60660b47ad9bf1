/**
 * @module expr/sql-fragment
 * SQL text with late-bound parameters. A filter's SQL text is built once at
 * compile time; only the parameter values are computed per query, through
 * the getters kept beside the text. Values therefore never touch the SQL
 * string, and the text of a compiled filter never changes, so callers can
 * cache prepared statements by it.
 */

import type { Scalar } from "./values.ts";

/** What parameter getters see when a compiled filter produces its SQL. */
export interface SqlRuntime {
  /** The request context (auth, request, now); no record. */
  ctx: Readonly<Record<string, unknown>>;
  /** Values of templates and record-independent calls, computed once per `toSql`. */
  values: Scalar[];
}

/** Computes one bound parameter at `toSql` time. */
export type ParamGetter = (rt: SqlRuntime) => unknown;

/** SQL text whose `?` placeholders are filled, in order, by `params`. */
export interface SqlFragment {
  readonly sql: string;
  readonly params: readonly ParamGetter[];
  /** Set when the SQL always yields 0 or 1 (never NULL), i.e. it is already a condition. */
  readonly boolean?: boolean;
}

/**
 * Tagged template joining SQL text and fragments; each interpolated
 * fragment's params are spliced in at its place so `?` order stays right
 * even when one fragment is repeated.
 */
export function sql(strings: TemplateStringsArray, ...parts: SqlFragment[]): SqlFragment {
  let text = strings[0];
  const params: ParamGetter[] = [];
  parts.forEach((part, i) => {
    text += part.sql + strings[i + 1];
    params.push(...part.params);
  });
  return { sql: text, params };
}

/** A single `?` bound to what `get` returns. */
export function param(get: ParamGetter): SqlFragment {
  return { sql: "?", params: [get] };
}

/** A `?` bound to a fixed value. */
export function constant(value: Scalar): SqlFragment {
  return param(() => value);
}

/** Marks a fragment as a 0/1 condition. */
export function asBoolean(fragment: SqlFragment): SqlFragment {
  return { sql: fragment.sql, params: fragment.params, boolean: true };
}

/** Joins fragments with a separator such as " AND ". */
export function joinSql(parts: readonly SqlFragment[], separator: string): SqlFragment {
  return { sql: parts.map((p) => p.sql).join(separator), params: parts.flatMap((p) => p.params) };
}

/** Longest run {@link joinBalanced} leaves flat: three operands nest no deeper flat than grouped. */
const FLAT_RUN = 3;

/**
 * `(a OP b OP ...)` as a balanced tree of parenthesised halves. SQLite parses
 * a flat chain left-deep, one tree level per operand, and refuses trees
 * deeper than 1000 levels (SQLITE_MAX_EXPR_DEPTH) when the statement is
 * prepared, so a long `or` chain or `in` list would fail at run time.
 * Grouped, the depth is ceil(log2 n). AND and OR are associative, so the
 * grouping changes no answer, and SQLite still evaluates (and
 * short-circuits) the operands left to right. Runs of up to three come out
 * as the plain flat join.
 */
export function joinBalanced(parts: readonly SqlFragment[], op: "AND" | "OR"): SqlFragment {
  const separator = ` ${op} `;
  const group = (from: number, to: number): SqlFragment => {
    if (to - from <= FLAT_RUN) {
      const flat = joinSql(parts.slice(from, to), separator);
      return { sql: `(${flat.sql})`, params: flat.params };
    }
    const mid = from + Math.ceil((to - from) / 2);
    const left = group(from, mid);
    const right = group(mid, to);
    return { sql: `(${left.sql}${separator}${right.sql})`, params: left.params.concat(right.params) };
  };
  return group(0, parts.length);
}

/** Constant conditions, emitted when both sides of a comparison are constants. */
export const SQL_TRUE: SqlFragment = { sql: "1", params: [], boolean: true };
/** See {@link SQL_TRUE}. */
export const SQL_FALSE: SqlFragment = { sql: "0", params: [], boolean: true };
