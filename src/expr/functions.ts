/**
 * @module expr/functions
 * The function registry: what `@name(...)` may call. Arity and argument
 * types are checked when an expression is compiled, and `prepare` lets a
 * function do its expensive work (parsing a CIDR) once, not per request.
 */

import type { CallExpr, LiteralValue } from "./ast.ts";
import { ExprError } from "./errors.ts";
import type { ParamGetter, SqlFragment, SqlRuntime } from "./sql-fragment.ts";
import type { Scalar } from "./values.ts";

/** The context conditions run against: `request`, `auth`, `record`, `now`, ... */
export type EvalContext = Readonly<Record<string, unknown>>;

/** Declared type of one argument; arguments are always constants. */
export type ArgType = "string" | "number" | "any";

/** What a function's `toSql` can use. */
export interface SqlContext {
  /** SQL of a record field the function listed in `fields` (resolved at compile time). */
  field(name: string): SqlFragment;
  /** A bound parameter computed from the request context at `toSql` time. */
  param(get: (ctx: EvalContext) => unknown): SqlFragment;
  /** A 0/1 condition: `x = value` with the language's `=` semantics, value computed per query. */
  equals(x: SqlFragment, get: (ctx: EvalContext) => unknown): SqlFragment;
}

/** A callable function. `P` is whatever `prepare` precomputes from the arguments. */
export interface FunctionDef<P = unknown> {
  /** Name without the `@`. */
  name: string;
  /** One entry per parameter; the call must pass exactly this many. */
  args: readonly ArgType[];
  /** Record fields `toSql` reads through `SqlContext.field`; each must resolve. */
  fields?: readonly string[];
  /** Validates/precomputes at compile time; a thrown Error becomes an ExprError at the call. */
  prepare?(args: readonly LiteralValue[]): P;
  /** In-memory result; `ctx.record` is the record for filters and record-aware conditions. */
  evaluate(args: readonly LiteralValue[], ctx: EvalContext, prepared: P): unknown;
  /**
   * SQL form for record filters, built once at compile time; its params are
   * getters run per query. Without it the function is evaluated once per
   * query (without a record) and its result bound as a value.
   */
  toSql?(args: readonly LiteralValue[], sqlCtx: SqlContext, prepared: P): SqlFragment;
}

/** Functions by name. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type FunctionRegistry = ReadonlyMap<string, FunctionDef<any>>;

/** Builds a registry from definitions; later definitions replace earlier ones of the same name. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function createRegistry(defs: Iterable<FunctionDef<any>>): FunctionRegistry {
  return new Map([...defs].map((d) => [d.name, d]));
}

/** A call checked against the registry, with its constant args and prepared state. */
export interface BoundCall {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  def: FunctionDef<any>;
  args: LiteralValue[];
  prepared: unknown;
}

/** Resolves and checks a call node. @throws ExprError (unknown function, arity, argument type, prepare failure). */
export function bindCall(node: CallExpr, functions: FunctionRegistry): BoundCall {
  const def = functions.get(node.name);
  // A Map, not an object: `@constructor()` cannot reach a prototype member.
  if (!def) {
    throw new ExprError(`unknown function '@${node.name}'`, node.pos);
  }
  if (node.args.length !== def.args.length) {
    const n = def.args.length;
    throw new ExprError(`@${def.name}() takes ${n} argument${n === 1 ? "" : "s"}, got ${node.args.length}`, node.pos);
  }
  node.args.forEach((arg, i) => {
    const want = def.args[i];
    if (want !== "any" && typeof arg.value !== want) {
      throw new ExprError(`argument ${i + 1} of @${def.name}() must be a ${want}`, arg.pos);
    }
  });
  const args = node.args.map((a) => a.value);
  let prepared: unknown;
  try {
    prepared = def.prepare ? def.prepare(args) : undefined;
  } catch (err) {
    throw new ExprError(`@${def.name}(): ${(err as Error).message}`, node.args[0]?.pos ?? node.pos);
  }
  return { def, args, prepared };
}

/** Adapts a context getter to a SQL parameter getter. */
export function ctxGetter(get: (ctx: EvalContext) => unknown): ParamGetter {
  return (rt: SqlRuntime) => get(rt.ctx);
}

/** Re-exported so function authors need only this module for types. */
export type { Scalar, SqlFragment };
