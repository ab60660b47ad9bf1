/**
 * @module expr/printer
 * Canonical source text of an AST. Parentheses appear only where the tree
 * needs them, so `parse(print(ast))` rebuilds the same tree (positions aside);
 * the property tests rely on that.
 */

import type { Expr, LiteralValue } from "./ast.ts";
import { pathToString, quoteString } from "./source-text.ts";

/** Prints `ast` as canonical source (lower-case keywords, single-quoted strings). */
export function print(ast: Expr): string {
  switch (ast.kind) {
    case "logical":
      return ast.operands
        .map((child) =>
          // `and` binds tighter than `or`; any other nested logical needs parentheses to keep its shape.
          child.kind === "logical" && !(ast.op === "or" && child.op === "and") ? `(${print(child)})` : print(child),
        )
        .join(` ${ast.op} `);
    case "not":
      return ast.operand.kind === "logical" ? `not (${print(ast.operand)})` : `not ${print(ast.operand)}`;
    case "compare":
      return `${operand(ast.left)} ${ast.op} ${operand(ast.right)}`;
    case "in":
      return `${operand(ast.value)} ${ast.negated ? "not in" : "in"} (${ast.items.map(operand).join(", ")})`;
    case "literal":
      return printLiteral(ast.value);
    case "field":
      return pathToString(ast.path);
    case "call":
      return `@${ast.name}(${ast.args.map((a) => printLiteral(a.value)).join(", ")})`;
  }
}

/** Operands of comparisons and list items: anything but a primary is parenthesised. */
function operand(expr: Expr): string {
  return expr.kind === "literal" || expr.kind === "field" || expr.kind === "call" ? print(expr) : `(${print(expr)})`;
}

/** Source form of a constant; `-0` keeps its sign so the round trip is exact. */
export function printLiteral(value: LiteralValue): string {
  if (typeof value === "string") return quoteString(value);
  if (typeof value === "number") return Object.is(value, -0) ? "-0" : String(value);
  return String(value);
}
