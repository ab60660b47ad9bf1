/**
 * @module expr/ast
 * The typed syntax tree shared by the parser, printer, evaluator and SQL
 * compiler. Every node records `pos`, the offset of its first character, so
 * compile-time errors (unknown field, unknown function) can point at it.
 */

/** Comparison operators; `~` is case-insensitive "contains", `!~` its negation. */
export type CompareOp = "=" | "!=" | ">" | ">=" | "<" | "<=" | "~" | "!~";

/** A constant written in the source. */
export type LiteralValue = string | number | boolean | null;

/** One step of a field path: a name (`.x`, `['x-y']`) or an array index (`[0]`). */
export type PathSegment = string | number;

/** `a and b and c` / `a or b`: n-ary so long chains do not build deep trees. */
export interface LogicalExpr {
  kind: "logical";
  op: "and" | "or";
  operands: Expr[];
  pos: number;
}

/** `not x` / `!x`. */
export interface NotExpr {
  kind: "not";
  operand: Expr;
  pos: number;
}

/** `left op right`. */
export interface CompareExpr {
  kind: "compare";
  op: CompareOp;
  left: Expr;
  right: Expr;
  pos: number;
}

/** `value in (a, b)` or `value not in (a, b)`. */
export interface InExpr {
  kind: "in";
  negated: boolean;
  value: Expr;
  items: Expr[];
  pos: number;
}

/** A string, number, boolean or null constant. */
export interface LiteralExpr {
  kind: "literal";
  value: LiteralValue;
  pos: number;
}

/** A dotted name such as `request.body.items[0].sku`. */
export interface FieldExpr {
  kind: "field";
  path: PathSegment[];
  pos: number;
}

/** `@name(args)`; arguments are constants so they can be checked when compiled. */
export interface CallExpr {
  kind: "call";
  name: string;
  args: LiteralExpr[];
  pos: number;
}

/** Any expression node. */
export type Expr = LogicalExpr | NotExpr | CompareExpr | InExpr | LiteralExpr | FieldExpr | CallExpr;

/**
 * A copy of `ast` with every `pos` removed, for comparing trees that came
 * from differently formatted sources (the printer is canonical, not verbatim).
 */
export function stripPositions(ast: Expr): unknown {
  switch (ast.kind) {
    case "logical":
      return { kind: ast.kind, op: ast.op, operands: ast.operands.map(stripPositions) };
    case "not":
      return { kind: ast.kind, operand: stripPositions(ast.operand) };
    case "compare":
      return { kind: ast.kind, op: ast.op, left: stripPositions(ast.left), right: stripPositions(ast.right) };
    case "in":
      return { kind: ast.kind, negated: ast.negated, value: stripPositions(ast.value), items: ast.items.map(stripPositions) };
    case "literal":
      return { kind: ast.kind, value: ast.value };
    case "field":
      return { kind: ast.kind, path: [...ast.path] };
    case "call":
      return { kind: ast.kind, name: ast.name, args: ast.args.map(stripPositions) };
  }
}
