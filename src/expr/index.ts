/**
 * @module expr
 * The expression language: one grammar for endpoint conditions (evaluated in
 * memory) and record filters (compiled to parameterised SQLite). Pure: no
 * imports from the rest of `src/`. See docs/expressions.md for the grammar
 * and semantics.
 */

export type { CallExpr, CompareExpr, CompareOp, Expr, FieldExpr, InExpr, LiteralExpr, LiteralValue, LogicalExpr, NotExpr, PathSegment } from "./ast.ts";
export { stripPositions } from "./ast.ts";
export { ExprError } from "./errors.ts";
export { parse, DEFAULT_MAX_DEPTH, DEFAULT_MAX_LENGTH, type ParseOptions } from "./parser.ts";
export { print } from "./printer.ts";
export { createRegistry, type ArgType, type EvalContext, type FunctionDef, type FunctionRegistry, type SqlContext } from "./functions.ts";
export { standardFunctions, OWNER_FIELD } from "./standard-functions.ts";
export { compileCondition, evaluate, CONDITION_ROOTS, type CompiledCondition, type ConditionOptions } from "./condition.ts";
export { compileFilter, compileFilterAst, toSql, type CompiledFilter, type FieldResolver, type FilterOptions, type FilterValues, type SqlResult } from "./filter.ts";
export { jsonPathField, recordFieldResolver, JSON_FIELD_NAME } from "./json-path.ts";
export type { SqlFragment, ParamGetter, SqlRuntime } from "./sql-fragment.ts";
export type { Scalar } from "./values.ts";
