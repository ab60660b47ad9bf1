/**
 * @module expr/lexer
 * Turns source text into tokens. A whole field path (`request.body.items[0]`)
 * is one token, so names after a dot may be keywords (`record.in`) and the
 * parser never recurses on paths.
 */

import type { CompareOp, PathSegment } from "./ast.ts";
import { ExprError } from "./errors.ts";

/** Words with a meaning of their own; matched case-insensitively. */
export type Keyword = "and" | "or" | "not" | "in" | "true" | "false" | "null";

/** Punctuation: comparison operators plus `&& || ! ( ) ,`. */
export type Punct = CompareOp | "&&" | "||" | "!" | "(" | ")" | ",";

/** One token; `pos`/`end` delimit its source text for error messages. */
export type Token =
  | { type: "symbol"; value: Punct; pos: number; end: number }
  | { type: "keyword"; value: Keyword; pos: number; end: number }
  | { type: "string"; value: string; pos: number; end: number }
  | { type: "number"; value: number; pos: number; end: number }
  | { type: "field"; path: PathSegment[]; pos: number; end: number }
  | { type: "function"; name: string; pos: number; end: number }
  | { type: "end"; pos: number; end: number };

const KEYWORDS = new Set<string>(["and", "or", "not", "in", "true", "false", "null"]);
const NAME = /[A-Za-z_][A-Za-z0-9_]*/y;
const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
const INDEX = /\[(0|[1-9][0-9]{0,8})\]/y;
const SIMPLE_ESCAPES: Record<string, string> = {
  "\\": "\\", "'": "'", '"': '"', "/": "/", n: "\n", r: "\r", t: "\t", b: "\b", f: "\f", "0": "\0",
};

/** Splits `source` into tokens, ending with an `end` token. Throws ExprError. */
export function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const ch = source[i];
    if (ch === " " || ch === "\t" || ch === "\n" || ch === "\r") {
      i++;
      continue;
    }
    const token = readToken(source, i);
    tokens.push(token);
    i = token.end;
  }
  tokens.push({ type: "end", pos: source.length, end: source.length });
  return tokens;
}

function readToken(src: string, i: number): Token {
  const ch = src[i];
  if (ch === "'" || ch === '"') {
    const { value, end } = readString(src, i);
    return { type: "string", value, pos: i, end };
  }
  if ((ch >= "0" && ch <= "9") || (ch === "-" && /[0-9]/.test(src[i + 1] ?? ""))) return readNumber(src, i);
  if (ch === "@") {
    NAME.lastIndex = i + 1;
    const m = NAME.exec(src);
    if (!m) throw new ExprError("expected a function name after '@'", i + 1);
    return { type: "function", name: m[0], pos: i, end: NAME.lastIndex };
  }
  NAME.lastIndex = i;
  if (NAME.test(src)) return readPath(src, i);
  const symbol = readSymbol(src, i);
  if (symbol) return symbol;
  throw new ExprError(`unexpected character ${JSON.stringify(ch)}`, i);
}

/** Two-character operators; `==` is accepted as a spelling of `=`. */
const TWO_CHAR = new Map<string, Punct>([["==", "="], ["!=", "!="], ["!~", "!~"], [">=", ">="], ["<=", "<="], ["&&", "&&"], ["||", "||"]]);

function readSymbol(src: string, i: number): Token | null {
  const two = TWO_CHAR.get(src.slice(i, i + 2));
  if (two) return { type: "symbol", value: two, pos: i, end: i + 2 };
  const one = src[i];
  if ("=<>~!(),".includes(one)) return { type: "symbol", value: one as Punct, pos: i, end: i + 1 };
  return null;
}

function readNumber(src: string, i: number): Token {
  NUMBER.lastIndex = i;
  const m = NUMBER.exec(src);
  const end = NUMBER.lastIndex;
  // "1.", "01", "5abc" and "1e" would otherwise lex as two tokens and give a confusing error later.
  if (!m || /[A-Za-z0-9_.]/.test(src[end] ?? "")) throw new ExprError("invalid number", i);
  const value = Number(m[0]);
  if (!Number.isFinite(value)) throw new ExprError("number out of range", i);
  return { type: "number", value, pos: i, end };
}

function readPath(src: string, start: number): Token {
  NAME.lastIndex = start;
  const first = NAME.exec(src)![0];
  const path: PathSegment[] = [first];
  let i = NAME.lastIndex;
  for (;;) {
    if (src[i] === ".") {
      NAME.lastIndex = i + 1;
      const m = NAME.exec(src);
      if (!m) throw new ExprError("expected a name after '.'", i + 1);
      path.push(m[0]);
      i = NAME.lastIndex;
    } else if (src[i] === "[") {
      INDEX.lastIndex = i;
      const m = INDEX.exec(src);
      if (m) {
        path.push(Number(m[1]));
        i = INDEX.lastIndex;
      } else if (src[i + 1] === "'" || src[i + 1] === '"') {
        const { value, end } = readString(src, i + 1);
        if (src[end] !== "]") throw new ExprError("expected ']'", end);
        path.push(value);
        i = end + 1;
      } else throw new ExprError("expected an index or a quoted name after '['", i + 1);
    } else break;
  }
  const lower = first.toLowerCase();
  if (KEYWORDS.has(lower)) {
    if (path.length > 1) throw new ExprError(`'${first}' is a keyword and cannot start a name`, start);
    return { type: "keyword", value: lower as Keyword, pos: start, end: i };
  }
  return { type: "field", path, pos: start, end: i };
}

/** Reads a quoted string starting at `start` (the quote); returns its value and the offset after it. */
export function readString(src: string, start: number): { value: string; end: number } {
  const quote = src[start];
  let out = "";
  let i = start + 1;
  while (i < src.length) {
    const ch = src[i];
    if (ch === quote) return { value: out, end: i + 1 };
    if (ch !== "\\") {
      out += ch;
      i++;
      continue;
    }
    const next = src[i + 1];
    if (next !== undefined && Object.hasOwn(SIMPLE_ESCAPES, next)) {
      out += SIMPLE_ESCAPES[next];
      i += 2;
    } else if (next === "u") {
      const { char, end } = readUnicodeEscape(src, i);
      out += char;
      i = end;
    } else if (next === undefined) break;
    else throw new ExprError(`invalid escape '\\${next}'`, i);
  }
  throw new ExprError("unterminated string", start);
}

function readUnicodeEscape(src: string, i: number): { char: string; end: number } {
  const braced = /\{([0-9A-Fa-f]{1,6})\}/y;
  braced.lastIndex = i + 2;
  const b = braced.exec(src);
  if (b) {
    const code = parseInt(b[1], 16);
    if (code > 0x10ffff) throw new ExprError("invalid unicode escape", i);
    return { char: String.fromCodePoint(code), end: braced.lastIndex };
  }
  const hex = src.slice(i + 2, i + 6);
  if (!/^[0-9A-Fa-f]{4}$/.test(hex)) throw new ExprError("invalid unicode escape", i);
  return { char: String.fromCharCode(parseInt(hex, 16)), end: i + 6 };
}
