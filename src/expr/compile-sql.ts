/**
 * @module expr/compile-sql
 * Compiles a filter AST into one constant SQL fragment plus "producers":
 * values (rendered templates, record-independent calls) computed once per
 * query and reached by the fragment's parameter getters. Fields are resolved
 * here, at compile time, through the caller's resolver. And/or chains and
 * `in` lists become balanced trees, and no operand is written once per list
 * item, so the SQL stays within SQLite's expression depth limit for every
 * filter the parser accepts (filter.long.test.ts tries the worst shapes).
 */

import type { Expr, FieldExpr, LiteralExpr } from "./ast.ts";
import { bindCall, ctxGetter, type EvalContext, type FunctionRegistry, type SqlContext } from "./functions.ts";
import { compareSql, conditionInSql, equalsValueSql, notSql, truthySql, type SqlOperand } from "./sql-ops.ts";
import { asBoolean, joinBalanced, param, SQL_FALSE, SQL_TRUE, type SqlFragment, type SqlRuntime } from "./sql-fragment.ts";
import { normalize, type Scalar } from "./values.ts";

/** Per-query inputs of producers. */
export interface ProducerInput {
  ctx: EvalContext;
  renderLiteral?: (raw: string) => unknown;
}

/** The compiled form: constant SQL and the per-query values its params read. */
export interface CompiledSql {
  fragment: SqlFragment;
  producers: Array<(input: ProducerInput) => Scalar>;
}

/** How fields and literals are treated. */
export interface SqlCompileOptions {
  functions: FunctionRegistry;
  /** SQL of a field; throws ExprError when the field is unknown. */
  resolveField(node: FieldExpr): string;
  /** SQL of a field a function needs by name; throws ExprError when unknown. */
  resolveName(name: string, pos: number): string;
  /** Whether a string literal is a template rendered per query. */
  isTemplate(node: LiteralExpr): boolean;
}

/** Compiles `ast` to SQL that is true exactly where the in-memory evaluator is. */
export function compileSql(ast: Expr, options: SqlCompileOptions): CompiledSql {
  const producers: CompiledSql["producers"] = [];
  const dynamic = (produce: (input: ProducerInput) => Scalar): SqlOperand => {
    const index = producers.push(produce) - 1;
    return { kind: "dynamic", get: (rt: SqlRuntime) => rt.values[index] };
  };

  const compile = (node: Expr): SqlOperand => {
    switch (node.kind) {
      case "logical": {
        const parts = node.operands.map((o) => truthySql(compile(o)));
        return row(asBoolean(joinBalanced(parts, node.op === "and" ? "AND" : "OR")));
      }
      case "not":
        return row(notSql(truthySql(compile(node.operand))));
      case "compare":
        return row(compareSql(node.op, compile(node.left), compile(node.right)));
      case "in": {
        const value = compile(node.value);
        const items = node.items.map(compile);
        const any = value.kind === "row" && value.frag.boolean
          ? conditionInSql(value.frag, items)
          : asBoolean(joinBalanced(items.map((item) => compareSql("=", value, item)), "OR"));
        return row(node.negated ? notSql(any) : any);
      }
      case "literal": {
        if (options.isTemplate(node)) {
          const raw = node.value as string;
          return dynamic((input) => normalize(input.renderLiteral ? input.renderLiteral(raw) : raw));
        }
        return { kind: "const", value: normalize(node.value) };
      }
      case "field":
        return row({ sql: `(${options.resolveField(node)})`, params: [] });
      case "call": {
        const { def, args, prepared } = bindCall(node, options.functions);
        if (!def.toSql) return dynamic((input) => normalize(def.evaluate(args, input.ctx, prepared)));
        const columns = new Map((def.fields ?? []).map((name) => [name, options.resolveName(name, node.pos)]));
        return row(def.toSql(args, sqlContext(def.name, columns), prepared));
      }
    }
  };

  return { fragment: truthySql(compile(ast)), producers };
}

function row(frag: SqlFragment): SqlOperand {
  // Constant conditions stay constants so comparisons against them fold too.
  if (frag === SQL_TRUE) return { kind: "const", value: 1 };
  if (frag === SQL_FALSE) return { kind: "const", value: 0 };
  return { kind: "row", frag };
}

function sqlContext(fnName: string, columns: Map<string, string>): SqlContext {
  return {
    field(name) {
      const column = columns.get(name);
      if (column === undefined) throw new Error(`@${fnName}() did not declare field '${name}'`);
      return { sql: `(${column})`, params: [] };
    },
    param: (get) => param(ctxGetter(get)),
    equals: (x, get) => equalsValueSql(x, (rt) => normalize(get(rt.ctx))),
  };
}
