/**
 * @module expr/filter
 * Record filters: parsed and compiled to SQL once; templates inside string
 * literals (`customer_id = '{{request.params.customer_id}}'`) are rendered
 * per query and only ever bound as parameters. The SQL text of a compiled
 * filter is fixed, so no request value can change the query's structure.
 */

import type { Expr, FieldExpr, LiteralExpr } from "./ast.ts";
import { compileEvaluator } from "./compile-eval.ts";
import { compileSql, type ProducerInput } from "./compile-sql.ts";
import { ExprError } from "./errors.ts";
import type { EvalContext, FunctionRegistry } from "./functions.ts";
import { parseCached } from "./parse-cache.ts";
import type { ParseOptions } from "./parser.ts";
import { pathToString } from "./source-text.ts";
import { standardFunctions } from "./standard-functions.ts";
import { normalize, type Scalar } from "./values.ts";

/** Maps a field name (canonical text, e.g. `meta.tags[0]`) to SQL, or null if unknown. */
export type FieldResolver = (name: string, pos: number) => string | null;

/** Options of {@link compileFilter}. */
export interface FilterOptions extends ParseOptions {
  fields: FieldResolver;
  /** Callable functions; default {@link standardFunctions}. */
  functions?: FunctionRegistry;
}

/** Per-query inputs. */
export interface FilterValues {
  /** Renders a literal containing `{{`; without it the literal is used as written. */
  renderLiteral?: (raw: string) => unknown;
  /** Request context for functions (`auth`, `request`). */
  ctx?: EvalContext;
}

/** SQL with positional `?` parameters. */
export interface SqlResult {
  sql: string;
  params: Scalar[];
}

/** A filter ready to query with, or to test records in memory with. */
export interface CompiledFilter {
  readonly source: string;
  readonly ast: Expr;
  /** The SQL text; the same for every query. */
  readonly sql: string;
  toSql(values?: FilterValues): SqlResult;
  /** Renders templates once and returns a record predicate. */
  matcher(values?: FilterValues): (record: unknown) => boolean;
  /** Whether one record passes; the same answer the SQL gives for it. */
  matches(record: unknown, values?: FilterValues): boolean;
}

let defaultFunctions: FunctionRegistry | undefined;

/**
 * Parses and compiles a filter.
 * @throws ExprError on syntax errors, limits, unknown fields or functions, bad arguments.
 */
export function compileFilter(source: string, options: FilterOptions): CompiledFilter {
  return compileFilterAst(parseCached(source, options), options, source);
}

/** Compiles an already parsed filter. */
export function compileFilterAst(ast: Expr, options: Omit<FilterOptions, keyof ParseOptions>, source = ""): CompiledFilter {
  const functions = options.functions ?? (defaultFunctions ??= standardFunctions());
  const resolveName = (name: string, pos: number): string => {
    const sql = options.fields(name, pos);
    if (sql === null || sql === undefined) throw new ExprError(`unknown field '${name}'`, pos);
    return sql;
  };
  const isTemplate = (node: LiteralExpr) => typeof node.value === "string" && node.value.includes("{{");
  const compiled = compileSql(ast, {
    functions,
    isTemplate,
    resolveName,
    resolveField: (node: FieldExpr) => resolveName(pathToString(node.path), node.pos),
  });

  // The in-memory evaluator numbers templates in its own (tree) order.
  const templates: string[] = [];
  const templateIndex = new Map<LiteralExpr, number>();
  const predicate = compileEvaluator(ast, {
    functions,
    templateIndex(node) {
      if (!isTemplate(node)) return undefined;
      if (!templateIndex.has(node)) templateIndex.set(node, templates.push(node.value as string) - 1);
      return templateIndex.get(node);
    },
  });
  const { fragment, producers } = compiled;

  const matcher = (values: FilterValues = {}) => {
    const ctx = values.ctx ?? {};
    const rendered = templates.map((raw) => normalize(values.renderLiteral ? values.renderLiteral(raw) : raw));
    return (record: unknown) => predicate({ root: record, ctx: { ...ctx, record }, values: rendered });
  };

  return {
    source,
    ast,
    sql: fragment.sql,
    toSql(values: FilterValues = {}) {
      const input: ProducerInput = { ctx: values.ctx ?? {}, renderLiteral: values.renderLiteral };
      const rt = { ctx: input.ctx, values: producers.map((p) => p(input)) };
      return { sql: fragment.sql, params: fragment.params.map((get) => normalize(get(rt))) };
    },
    matcher,
    matches: (record, values) => matcher(values)(record),
  };
}

/** One-shot: SQL for a parsed filter. */
export function toSql(ast: Expr, fields: FieldResolver, options: FilterValues & { functions?: FunctionRegistry } = {}): SqlResult {
  return compileFilterAst(ast, { fields, functions: options.functions }).toSql(options);
}
