/**
 * @module modules/executions/redact
 * What leaves a pipeline for the execution history is scrubbed here: credential values are
 * replaced wherever they appear, values under secret-looking keys are hidden whatever they are,
 * and large results are cut to a preview. Pure functions; the recorder calls them at flush time,
 * off the request path.
 */

/** What a hidden value is replaced with. */
export const REDACTED = "[REDACTED]";

/** Secrets shorter than this are not searched for: "a" or "123" would shred every string. */
export const MIN_SECRET_LENGTH = 4;

/** Nesting deeper than this is cut (a pipeline result has no business being deeper). */
export const MAX_DEPTH = 32;

// Keys are compared lowercased with separators removed, so `X-API-Key`, `api_key` and `apiKey`
// are one name. Exact names, then suffixes that name a secret (`client_secret`, `access_token`,
// `db_password`). Suffixes, not substrings: `max_tokens` or `token_count` are usage figures.
const SECRET_KEYS = new Set(["authorization", "proxyauthorization", "cookie", "setcookie", "password", "passwd", "secret", "token", "apikey", "xapikey"]);
const SECRET_KEY_SUFFIXES = ["password", "secret", "token", "apikey"];

// Results repeat the same few keys (every record of a query has the same fields), so each key's
// verdict is remembered: normalizing it again was most of what scrubbing a result cost.
const verdicts = new Map<string, boolean>();
const MAX_VERDICTS = 10_000;

/** True for object keys and header names whose value is a secret whatever it holds. */
export function isSecretKey(key: string): boolean {
  let secret = verdicts.get(key);
  if (secret === undefined) {
    const name = key.toLowerCase().replace(/[^a-z0-9]/g, "");
    secret = SECRET_KEYS.has(name) || SECRET_KEY_SUFFIXES.some((suffix) => name.endsWith(suffix));
    if (verdicts.size >= MAX_VERDICTS) verdicts.clear();
    if (key.length <= 64) verdicts.set(key, secret);
  }
  return secret;
}

/** The needles to search for: long enough, deduplicated, longest first (a secret may contain another). */
function needlesOf(secrets: readonly string[]): string[] {
  const needles = new Set<string>();
  for (const secret of secrets) {
    if (typeof secret !== "string" || secret.length < MIN_SECRET_LENGTH) continue;
    needles.add(secret);
    // A credential sent in a query string or form body appears percent-encoded.
    const encoded = encodeURIComponent(secret);
    if (encoded !== secret) needles.add(encoded);
  }
  return [...needles].sort((a, b) => b.length - a.length);
}

function scrub(text: string, needles: readonly string[]): string {
  for (const needle of needles) if (text.includes(needle)) text = text.split(needle).join(REDACTED);
  return text;
}

/**
 * A deep copy of `value` in which every occurrence of each secret (of at least 4 characters),
 * in any string or object key, is replaced by `[REDACTED]`, and the value under any secret-looking
 * key (authorization, password, token, api_key, ...) is `[REDACTED]` whatever it was. Follows JSON
 * semantics (`toJSON`, functions dropped, bigint as text); a cycle becomes `[Circular]` and
 * nesting beyond 32 levels `[MaxDepth]`, so it always terminates.
 */
export function redactSecrets(value: unknown, secrets: readonly string[]): unknown {
  const needles = needlesOf(secrets);
  // Objects on the path from the root: a repeat is a cycle. A shared, acyclic object is copied twice.
  const path = new Set<object>();

  const walk = (node: unknown, depth: number): unknown => {
    if (typeof node === "string") return needles.length ? scrub(node, needles) : node;
    if (node === null || typeof node === "number" || typeof node === "boolean" || node === undefined) return node;
    if (typeof node === "bigint") return scrub(node.toString(), needles);
    if (typeof node !== "object") return undefined; // functions and symbols, as JSON.stringify drops them
    if (path.has(node)) return "[Circular]";
    if (depth >= MAX_DEPTH) return "[MaxDepth]";
    const toJSON = (node as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === "function") {
      let json: unknown;
      try {
        json = toJSON.call(node);
      } catch {
        return undefined;
      }
      if (json !== node) return walk(json, depth);
    }
    path.add(node);
    try {
      if (Array.isArray(node)) return node.map((item) => walk(item, depth + 1));
      const copy: Record<string, unknown> = {};
      for (const key of Object.keys(node)) {
        const item = (node as Record<string, unknown>)[key];
        const safeKey = needles.length ? scrub(key, needles) : key;
        copy[safeKey] = isSecretKey(key) && item !== null && item !== undefined ? REDACTED : walk(item, depth + 1);
      }
      return copy;
    } finally {
      path.delete(node);
    }
  };

  return walk(value, 0);
}

/** A step result too large to keep whole. */
export interface TruncatedResult {
  truncated: true;
  /** The beginning of the value's JSON, at most `maxBytes` UTF-8 bytes, never splitting a character. */
  preview: string;
  /** UTF-8 size of the whole JSON. */
  bytes: number;
}

const encoder = new TextEncoder();

/**
 * Keeps a value whose JSON fits in `maxBytes` (UTF-8) as it is; a larger one becomes
 * `{truncated: true, preview, bytes}`. Expects a JSON-safe value (run `redactSecrets` first, which
 * also guarantees no secret is cut in half into the preview); one that cannot be serialized at
 * all is stored as a preview of its text.
 */
export function truncateResult(value: unknown, maxBytes = 4096): unknown {
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch {
    json = JSON.stringify(String(value));
  }
  if (json === undefined) return undefined;
  // UTF-8 takes at most 3 bytes per UTF-16 unit, so short strings need no byte count.
  if (json.length * 3 <= maxBytes) return value;
  const bytes = Buffer.byteLength(json, "utf8");
  if (bytes <= maxBytes) return value;
  const buffer = new Uint8Array(Math.max(0, maxBytes));
  // encodeInto stops before a character that does not fit, so the preview stays valid text.
  const { read } = encoder.encodeInto(json, buffer);
  const result: TruncatedResult = { truncated: true, preview: json.slice(0, read), bytes };
  return result;
}
