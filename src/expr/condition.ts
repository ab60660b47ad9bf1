/**
 * @module expr/condition
 * Endpoint conditions: parsed and compiled once (when an endpoint is saved or
 * loaded), then evaluated in memory per request against
 * `{request, auth, record?, now}`.
 */

import type { Expr } from "./ast.ts";
import { compileEvaluator } from "./compile-eval.ts";
import { ExprError } from "./errors.ts";
import type { EvalContext, FunctionRegistry } from "./functions.ts";
import { parseCached } from "./parse-cache.ts";
import type { ParseOptions } from "./parser.ts";
import { standardFunctions } from "./standard-functions.ts";

/** Root names a condition may start a field with, unless told otherwise. */
export const CONDITION_ROOTS: readonly string[] = ["request", "auth", "record", "now"];

/** Options of {@link compileCondition}. */
export interface ConditionOptions extends ParseOptions {
  /** Callable functions; default {@link standardFunctions}. */
  functions?: FunctionRegistry;
  /** Allowed root names; default {@link CONDITION_ROOTS}. */
  fields?: readonly string[];
}

/** A condition ready to run. */
export interface CompiledCondition {
  readonly source: string;
  readonly ast: Expr;
  /** Whether the condition holds for `ctx`; never throws for any data. */
  evaluate(ctx: EvalContext): boolean;
}

let defaultFunctions: FunctionRegistry | undefined;

/**
 * Parses and compiles a condition.
 * @throws ExprError on syntax errors, limits, unknown root names or functions, bad arguments.
 */
export function compileCondition(source: string, options: ConditionOptions = {}): CompiledCondition {
  const ast = parseCached(source, options);
  const roots = new Set(options.fields ?? CONDITION_ROOTS);
  const run = compileEvaluator(ast, {
    functions: options.functions ?? (defaultFunctions ??= standardFunctions()),
    checkField(node) {
      const root = node.path[0] as string;
      if (!roots.has(root)) throw new ExprError(`unknown name '${root}' (expected ${[...roots].join(", ")})`, node.pos);
    },
  });
  return {
    source,
    ast,
    evaluate: (ctx) => run({ root: ctx, ctx, values: [] }),
  };
}

/**
 * Evaluates a tree against `ctx` (any root name allowed). Compiles on each
 * call: prefer {@link compileCondition} on hot paths.
 * @throws ExprError for unknown functions or bad arguments.
 */
export function evaluate(ast: Expr, ctx: EvalContext, functions: FunctionRegistry = (defaultFunctions ??= standardFunctions())): boolean {
  return compileEvaluator(ast, { functions })({ root: ctx, ctx, values: [] });
}
