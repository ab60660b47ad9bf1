/**
 * @module modules/endpoints/path
 * Endpoint path syntax: `/` or `/segment/...` where a segment is literal text or `:name`.
 */

export type Segment = { kind: "literal"; value: string } | { kind: "param"; name: string };

// Names start with a letter: `:__proto__` could otherwise reach an object prototype.
const PARAM = /^:([A-Za-z][A-Za-z0-9_]{0,63})$/;
// Unreserved and sub-delims of RFC 3986 plus %-escapes, ':' and '@' (no '/', '?', '#').
const LITERAL = /^(?:[A-Za-z0-9._~!$&'()*+,;=@-]|%[0-9A-Fa-f]{2})(?:[A-Za-z0-9._~!$&'()*+,;=:@-]|%[0-9A-Fa-f]{2})*$/;
export const MAX_SEGMENTS = 32;

/** Parses a definition path or returns the problem as a sentence. */
export function parsePath(path: string): { segments: Segment[] } | { error: string } {
  if (!path.startsWith("/")) return { error: "must start with /" };
  if (path === "/") return { segments: [] };
  const parts = path.slice(1).split("/");
  if (parts.length > MAX_SEGMENTS) return { error: `may have at most ${MAX_SEGMENTS} segments` };
  const segments: Segment[] = [];
  const names = new Set<string>();
  for (const [i, part] of parts.entries()) {
    if (part === "") return { error: i === parts.length - 1 ? "must not end with /" : "must not contain empty segments (//)" };
    const param = PARAM.exec(part);
    if (param) {
      if (names.has(param[1]!)) return { error: `repeats the parameter :${param[1]}` };
      names.add(param[1]!);
      segments.push({ kind: "param", name: param[1]! });
    } else if (part.startsWith(":")) {
      return { error: `has an invalid parameter name "${part}" (a letter, then letters, digits, _)` };
    } else if (!LITERAL.test(part)) {
      return { error: `has an invalid segment "${part}"` };
    } else {
      let value: string;
      try {
        value = decodeURIComponent(part);
      } catch {
        return { error: `has a malformed %-escape in "${part}"` };
      }
      segments.push({ kind: "literal", value });
    }
  }
  return { segments };
}

/** The route identity: parameter names blanked, so `/a/:x` and `/a/:y` collide. */
export const pathKey = (segments: Segment[]) =>
  "/" + segments.map((s) => (s.kind === "param" ? ":" : encodeURIComponent(s.value))).join("/");

/** Splits and decodes a request path; undefined when its %-escapes are malformed. */
export function requestSegments(rest: string): string[] | undefined {
  const trimmed = rest.startsWith("/") || rest.endsWith("/") ? rest.replace(/^\/+|\/+$/g, "") : rest;
  if (trimmed === "") return [];
  const raw = trimmed.split("/");
  if (raw.length > MAX_SEGMENTS) return undefined;
  if (!trimmed.includes("%")) return raw;
  try {
    return raw.map((s) => decodeURIComponent(s));
  } catch {
    return undefined;
  }
}
