/**
 * @module expr/parser
 * Recursive-descent parser from tokens to the typed AST. Precedence, loosest
 * first: `or`, `and`, `not`, comparison/`in`, operand. Recursion happens only
 * on `(` and on prefix `not`, and both count against `maxDepth`, so hostile
 * input ends in an ExprError, never a RangeError.
 */

import type { CallExpr, CompareOp, Expr, LiteralExpr } from "./ast.ts";
import { ExprError } from "./errors.ts";
import { tokenize, type Token } from "./lexer.ts";

/** Limits applied while parsing. */
export interface ParseOptions {
  /** Longest accepted source, in UTF-16 code units. Default 4096. */
  maxLength?: number;
  /** Deepest accepted nesting of parentheses and `not`. Default 64. */
  maxDepth?: number;
}

/** Default source length limit. */
export const DEFAULT_MAX_LENGTH = 4096;
/** Default nesting limit. */
export const DEFAULT_MAX_DEPTH = 64;

const COMPARE_OPS = new Set<string>(["=", "!=", ">", ">=", "<", "<=", "~", "!~"]);

/**
 * Parses an expression into its AST.
 * @throws ExprError naming the offending position (syntax, length or depth).
 */
export function parse(source: string, options: ParseOptions = {}): Expr {
  if (typeof source !== "string") throw new ExprError("expression must be a string", 0);
  const maxLength = options.maxLength ?? DEFAULT_MAX_LENGTH;
  // Checked before lexing so an oversized input costs nothing.
  if (source.length > maxLength) throw new ExprError(`expression is longer than ${maxLength} characters`, maxLength);
  const parser = new Parser(source, tokenize(source), options.maxDepth ?? DEFAULT_MAX_DEPTH);
  return parser.parseAll();
}

class Parser {
  private index = 0;
  private depth = 0;

  constructor(
    private readonly source: string,
    private readonly tokens: Token[],
    private readonly maxDepth: number,
  ) {}

  parseAll(): Expr {
    const expr = this.parseOr();
    const tok = this.peek();
    if (tok.type !== "end") throw this.unexpected(tok);
    return expr;
  }

  private parseOr(): Expr {
    const operands = [this.parseAnd()];
    while (this.isWord("or", "||")) {
      this.index++;
      operands.push(this.parseAnd());
    }
    return operands.length === 1 ? operands[0] : { kind: "logical", op: "or", operands, pos: operands[0].pos };
  }

  private parseAnd(): Expr {
    const operands = [this.parseNot()];
    while (this.isWord("and", "&&")) {
      this.index++;
      operands.push(this.parseNot());
    }
    return operands.length === 1 ? operands[0] : { kind: "logical", op: "and", operands, pos: operands[0].pos };
  }

  private parseNot(): Expr {
    if (!this.isWord("not", "!")) return this.parseComparison();
    const tok = this.next();
    this.enter(tok.pos);
    const operand = this.parseNot();
    this.depth--;
    return { kind: "not", operand, pos: tok.pos };
  }

  private parseComparison(): Expr {
    const left = this.parseOperand();
    const tok = this.peek();
    if (tok.type === "symbol" && COMPARE_OPS.has(tok.value)) {
      this.index++;
      const right = this.parseOperand();
      return { kind: "compare", op: tok.value as CompareOp, left, right, pos: left.pos };
    }
    const negated = tok.type === "keyword" && tok.value === "not" && this.peek(1).type === "keyword" && (this.peek(1) as { value: string }).value === "in";
    if (negated || (tok.type === "keyword" && tok.value === "in")) {
      this.index += negated ? 2 : 1;
      return { kind: "in", negated, value: left, items: this.parseList(), pos: left.pos };
    }
    return left;
  }

  private parseList(): Expr[] {
    this.expectSymbol("(");
    const items = [this.parseOperand()];
    while (this.peekSymbol(",")) {
      this.index++;
      items.push(this.parseOperand());
    }
    this.expectSymbol(")");
    return items;
  }

  private parseOperand(): Expr {
    const tok = this.next();
    switch (tok.type) {
      case "string":
      case "number":
        return { kind: "literal", value: tok.value, pos: tok.pos };
      case "field":
        return { kind: "field", path: tok.path, pos: tok.pos };
      case "function":
        return this.parseCall(tok.name, tok.pos);
      case "keyword":
        if (tok.value === "true" || tok.value === "false") return { kind: "literal", value: tok.value === "true", pos: tok.pos };
        if (tok.value === "null") return { kind: "literal", value: null, pos: tok.pos };
        break;
      case "symbol":
        if (tok.value === "(") {
          this.enter(tok.pos);
          const inner = this.parseOr();
          this.expectSymbol(")");
          this.depth--;
          return inner;
        }
        break;
    }
    throw this.unexpected(tok);
  }

  private parseCall(name: string, pos: number): CallExpr {
    this.expectSymbol("(");
    const args: LiteralExpr[] = [];
    if (!this.peekSymbol(")")) {
      args.push(this.parseArg());
      while (this.peekSymbol(",")) {
        this.index++;
        args.push(this.parseArg());
      }
    }
    this.expectSymbol(")");
    return { kind: "call", name, args, pos };
  }

  private parseArg(): LiteralExpr {
    const tok = this.peek();
    // Constant arguments let functions validate (and pre-parse, e.g. a CIDR) at compile time.
    if (tok.type === "field" || tok.type === "function" || (tok.type === "symbol" && tok.value === "(")) {
      throw new ExprError("function arguments must be constants", tok.pos);
    }
    const arg = this.parseOperand();
    if (arg.kind !== "literal") throw this.unexpected(tok);
    return arg;
  }

  private enter(pos: number): void {
    if (++this.depth > this.maxDepth) throw new ExprError(`expression nests deeper than ${this.maxDepth} levels`, pos);
  }

  private peek(ahead = 0): Token {
    return this.tokens[Math.min(this.index + ahead, this.tokens.length - 1)];
  }

  private next(): Token {
    const tok = this.peek();
    if (tok.type !== "end") this.index++;
    return tok;
  }

  private isWord(keyword: string, symbol: string): boolean {
    const tok = this.peek();
    return (tok.type === "keyword" && tok.value === keyword) || (tok.type === "symbol" && tok.value === symbol);
  }

  private peekSymbol(symbol: string): boolean {
    const tok = this.peek();
    return tok.type === "symbol" && tok.value === symbol;
  }

  private expectSymbol(symbol: string): void {
    const tok = this.next();
    if (tok.type !== "symbol" || tok.value !== symbol) throw this.unexpected(tok, `expected '${symbol}'`);
  }

  private unexpected(tok: Token, expected?: string): ExprError {
    if (tok.type === "end") return new ExprError(expected ? `${expected} but the expression ended` : "unexpected end of expression", tok.pos);
    let text = this.source.slice(tok.pos, tok.end);
    if (text.length > 24) text = `${text.slice(0, 21)}...`;
    // Strings show their own quotes; other tokens are quoted here: "unexpected ')'".
    const shown = tok.type === "string" ? `string ${text}` : tok.type === "number" ? `number ${text}` : `'${text}'`;
    return new ExprError(`${expected ? `${expected}, found` : "unexpected"} ${shown}`, tok.pos);
  }
}
