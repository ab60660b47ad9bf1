/**
 * @module expr/source-text
 * How names and strings are written in source form. Shared by the printer and
 * by compilers that hand a field's canonical name to a resolver, so the name a
 * resolver sees is exactly what `print` would write.
 */

import type { PathSegment } from "./ast.ts";

/** The canonical text of a field path: `a.b[0]['x-y']`. */
export function pathToString(path: readonly PathSegment[]): string {
  let out = "";
  for (let i = 0; i < path.length; i++) {
    const seg = path[i];
    if (typeof seg === "number") out += `[${seg}]`;
    else if (IDENT.test(seg)) out += i === 0 ? seg : `.${seg}`;
    else out += `[${quoteString(seg)}]`;
  }
  return out;
}

/** Names that can be written bare after a dot. */
export const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Single-quoted source form of a string: backslash escapes for the quote,
 * the backslash and control characters, so the printer's output re-lexes to
 * the same value whatever the string holds (NUL, newlines, U+2028 ...).
 */
export function quoteString(value: string): string {
  let out = "'";
  for (let i = 0; i < value.length; i++) {
    const ch = value[i];
    const code = value.charCodeAt(i);
    if (ch === "'" || ch === "\\") out += `\\${ch}`;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (code < 0x20 || code === 0x7f || code === 0x2028 || code === 0x2029) {
      out += `\\u${code.toString(16).padStart(4, "0")}`;
    } else out += ch;
  }
  return `${out}'`;
}
