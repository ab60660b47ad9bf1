/**
 * @module expr/compile-eval
 * Compiles an AST into nested closures once, so a condition checked on every
 * request costs a few function calls and no parsing or tree walking.
 */

import type { CompareOp, Expr, FieldExpr, LiteralExpr } from "./ast.ts";
import { bindCall, type EvalContext, type FunctionRegistry } from "./functions.ts";
import { applyCompare, equals, lookupPath, normalize, truthy, type Scalar } from "./values.ts";

/** What a compiled evaluator reads at run time. */
export interface EvalRuntime {
  /** Where field paths start: the context for conditions, the record for filters. */
  root: unknown;
  /** What functions see. */
  ctx: EvalContext;
  /** Values of template literals, computed once before evaluating (filters only). */
  values: readonly Scalar[];
}

/** How names and literals are treated while compiling. */
export interface EvalCompileOptions {
  functions: FunctionRegistry;
  /** Rejects unknown fields; throws ExprError. */
  checkField?(node: FieldExpr): void;
  /** Index into `EvalRuntime.values` for literals rendered at run time, else undefined. */
  templateIndex?(node: LiteralExpr): number | undefined;
}

type BoolFn = (rt: EvalRuntime) => boolean;
type ValueFn = (rt: EvalRuntime) => Scalar;
type Compiled = { bool: BoolFn; value?: undefined } | { value: ValueFn; bool?: undefined };

/** Compiles `ast` to a function answering whether it holds. @throws ExprError for unknown names. */
export function compileEvaluator(ast: Expr, options: EvalCompileOptions): BoolFn {
  return asBool(compileNode(ast, options));
}

function asBool(c: Compiled): BoolFn {
  if (c.bool) return c.bool;
  const value = c.value!;
  return (rt) => truthy(value(rt));
}

function asValue(c: Compiled): ValueFn {
  if (c.value) return c.value;
  const bool = c.bool!;
  return (rt) => (bool(rt) ? 1 : 0); // booleans are 1/0 everywhere, as in SQLite
}

function compileNode(node: Expr, options: EvalCompileOptions): Compiled {
  switch (node.kind) {
    case "logical": {
      const parts = node.operands.map((o) => asBool(compileNode(o, options)));
      return { bool: node.op === "and" ? allOf(parts) : anyOf(parts) };
    }
    case "not": {
      const inner = asBool(compileNode(node.operand, options));
      return { bool: (rt) => !inner(rt) };
    }
    case "compare":
      return { bool: comparator(node.op, asValue(compileNode(node.left, options)), asValue(compileNode(node.right, options))) };
    case "in": {
      const value = asValue(compileNode(node.value, options));
      const items = node.items.map((i) => asValue(compileNode(i, options)));
      const negated = node.negated;
      return {
        bool: (rt) => {
          const v = value(rt);
          for (const item of items) if (equals(v, item(rt))) return !negated;
          return negated;
        },
      };
    }
    case "literal": {
      const index = options.templateIndex?.(node);
      if (index !== undefined) return { value: (rt) => rt.values[index] };
      const v = normalize(node.value);
      return { value: () => v };
    }
    case "field": {
      options.checkField?.(node);
      const path = node.path;
      return { value: (rt) => normalize(lookupPath(rt.root, path)) };
    }
    case "call": {
      const { def, args, prepared } = bindCall(node, options.functions);
      return { value: (rt) => normalize(def.evaluate(args, rt.ctx, prepared)) };
    }
  }
}

function comparator(op: CompareOp, left: ValueFn, right: ValueFn): BoolFn {
  if (op === "=") return (rt) => equals(left(rt), right(rt));
  if (op === "!=") return (rt) => !equals(left(rt), right(rt));
  return (rt) => applyCompare(op, left(rt), right(rt));
}

function allOf(parts: BoolFn[]): BoolFn {
  if (parts.length === 2) {
    const [a, b] = parts;
    return (rt) => a(rt) && b(rt);
  }
  return (rt) => parts.every((p) => p(rt));
}

function anyOf(parts: BoolFn[]): BoolFn {
  if (parts.length === 2) {
    const [a, b] = parts;
    return (rt) => a(rt) || b(rt);
  }
  return (rt) => parts.some((p) => p(rt));
}
