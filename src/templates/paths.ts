/**
 * @module templates/paths
 * Path syntax shared by the two rendering modes. Users write
 * `{{actions[0].result}}` (as the contract says); Handlebars wants
 * `actions.[0].result`, so sources are rewritten before compiling, and the
 * whole-value fast path parses the same syntax into segments itself.
 */

/** One lookup step: an own property name or an array index. */
export type Segment = string | number;

const NAME = "[A-Za-z_$][A-Za-z0-9_$-]*";
const STEP = `(?:\\.${NAME}|\\[\\d{1,9}\\]|\\.\\[\\d{1,9}\\]|\\.\\d{1,9})`;
const WHOLE = new RegExp(`^\\{\\{\\s*(${NAME}${STEP}*)\\s*\\}\\}$`);
const SEGMENT = new RegExp(`${NAME}|\\d{1,9}`, "g");

/**
 * The segments of a string that is exactly one `{{ path }}`, else null.
 * `{{a.b[0]}}`, `{{a.b.[0]}}` and `{{a.b.0}}` all give `["a", "b", 0]`.
 */
export function wholeValuePath(source: string): Segment[] | null {
  const m = WHOLE.exec(source);
  if (!m) return null;
  return (m[1].match(SEGMENT) ?? []).map((s) => (/^\d/.test(s) ? Number(s) : s));
}

/**
 * Rewrites `name[N]` to `name.[N]` inside mustaches, leaving text outside
 * mustaches and string literals inside them untouched.
 */
export function rewriteIndexes(source: string): string {
  if (!source.includes("[")) return source;
  let out = "";
  let i = 0;
  while (i < source.length) {
    const open = source.indexOf("{{", i);
    if (open < 0) break;
    const close = source.indexOf("}}", open + 2);
    if (close < 0) break;
    out += source.slice(i, open) + rewriteMustache(source.slice(open, close + 2));
    i = close + 2;
  }
  return out + source.slice(i);
}

function rewriteMustache(body: string): string {
  // Split around quoted strings so `{{default x "a[0]"}}` keeps its literal.
  return body
    .split(/("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')/)
    .map((part, i) => (i % 2 === 1 ? part : part.replace(/(?<=[A-Za-z0-9_$\]])\[(\d+)\]/g, ".[$1]")))
    .join("");
}
