/**
 * @module modules/executions/redact
 * What leaves a pipeline for the execution history is scrubbed here: credential values are
 * replaced wherever they appear, so is any Switchboard API key or session token (whoever's it is),
 * values under secret-looking keys are hidden whatever they are, also inside strings that are JSON
 * text (what `{{json ...}}` renders) and in `name=value` pairs of text (query strings, form bodies,
 * cookies), and large results are cut to a preview. Pure functions; the
 * recorder calls them at flush time, off the request path.
 */

/** What a hidden value is replaced with. */
export const REDACTED = "[REDACTED]";

/** Secrets shorter than this are not searched for: "a" or "123" would shred every string. */
export const MIN_SECRET_LENGTH = 4;

/** Nesting deeper than this is cut (a pipeline result has no business being deeper). */
export const MAX_DEPTH = 32;

// Keys are compared lowercased with separators removed, so `X-API-Key`, `api_key` and `apiKey`
// are one name. Exact names, then suffixes that name a secret (`client_secret`, `access_token`,
// `db_password`, `ssh_private_key`, `aws_secret_access_key`). Suffixes, not substrings:
// `max_tokens` or `token_count` are usage figures. `pwd` and `credential(s)` only as exact names,
// so `oldpwd` or `credential_id` stay visible.
const SECRET_KEYS = new Set([
  "authorization", "proxyauthorization", "cookie", "setcookie", "password", "passwd", "pwd", "secret", "token", "apikey", "xapikey",
  "credential", "credentials",
]);
const SECRET_KEY_SUFFIXES = ["password", "passphrase", "secret", "token", "apikey", "privatekey", "secretkey", "secretaccesskey"];

// Switchboard's own bearer secrets: API keys are `sb_` + 32 base62 (modules/keys/service.ts),
// session tokens `sbs_` + 40 (modules/auth/service.ts; both patterns in modules/auth/access.ts).
// Any of them is hidden wherever it appears, not only the calling key: a body may carry another
// user's token. Not preceded by a letter or digit (so `absbs_…` is a word, not a token), the full
// length required (`sb_` or `sbs_x` stay); a longer run is hidden whole, since its first characters
// may still be a working token. One greedy class with no nesting: linear in the text.
const OWN_TOKEN = /(?<![0-9A-Za-z])(?:sb_[0-9A-Za-z]{32}|sbs_[0-9A-Za-z]{40})[0-9A-Za-z]*/g;

function hideOwnTokens(text: string): string {
  return text.includes("sb_") || text.includes("sbs_") ? text.replace(OWN_TOKEN, REDACTED) : text;
}

// `name=value` pairs in text: query strings and form bodies (`user=bob&password=x`), cookie
// headers (`sid=1; token=x`), env-style lines (`DB_PASSWORD=x`). A pair whose name is a secret
// key (isSecretKey, so `user[password]` counts) has its value hidden, up to the next `&`, `;` or
// whitespace. The name must start the text or follow a character that cannot be part of it, and is
// at most 64 characters: each position is tried once, so the work stays linear in the text.
const SECRET_PAIR = /(?<![0-9A-Za-z_.\-[\]])([0-9A-Za-z_.\-[\]]{1,64})=([^&;\s]+)/g;

function hideSecretPairs(text: string): string {
  if (!text.includes("=")) return text;
  return text.replace(SECRET_PAIR, (pair, name: string) => (isSecretKey(name) ? `${name}=${REDACTED}` : pair));
}

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
export function needlesOf(secrets: readonly string[]): string[] {
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

// JSON whitespace: space, tab, line feed, carriage return.
const isJsonSpace = (code: number) => code === 32 || code === 9 || code === 10 || code === 13;

/** True when `text` may be a JSON object or array: `{…}` or `[…]` once whitespace is skipped. */
function looksLikeJson(text: string): boolean {
  let start = 0;
  let end = text.length - 1;
  while (start < end && isJsonSpace(text.charCodeAt(start))) start++;
  while (end > start && isJsonSpace(text.charCodeAt(end))) end--;
  if (end <= start) return false;
  const open = text.charCodeAt(start);
  const close = text.charCodeAt(end);
  return (open === 123 && close === 125) || (open === 91 && close === 93); // {} or []
}

/**
 * A deep copy of `value` in which every occurrence of each secret (of at least 4 characters) and
 * of any Switchboard API key (`sb_…`) or session token (`sbs_…`), in any string or object key, is
 * replaced by `[REDACTED]`, and the value under any secret-looking key (authorization, password,
 * token, api_key, private_key, ...) is `[REDACTED]` whatever it was. A string that is a JSON object
 * or array gets the same treatment inside and, when anything in it was hidden, is re-serialized
 * (compact); otherwise it is kept as written. Follows JSON semantics (`toJSON`, functions dropped,
 * bigint as text); a cycle becomes `[Circular]` and nesting beyond 32 levels (counting inside JSON
 * text) `[MaxDepth]`, so it always terminates.
 */
export function redactSecrets(value: unknown, secrets: readonly string[]): unknown {
  const needles = needlesOf(secrets);
  // Objects on the path from the root: a repeat is a cycle. A shared, acyclic object is copied twice.
  const path = new Set<object>();
  // Whether anything was hidden since it was last reset: JSON text is re-serialized only then, so
  // text with nothing to hide keeps its formatting (and its numbers' digits).
  let changed = false;

  const scrubText = (text: string): string => {
    const out = hideSecretPairs(hideOwnTokens(needles.length ? scrub(text, needles) : text));
    if (out !== text) changed = true;
    return out;
  };

  const walkString = (text: string, depth: number): string => {
    if (depth < MAX_DEPTH && looksLikeJson(text)) {
      let parsed: unknown;
      let parses = true;
      try {
        parsed = JSON.parse(text);
      } catch {
        parses = false; // not JSON after all: the text rules below still apply
      }
      if (parses) {
        const outer = changed;
        changed = false;
        const copy = walk(parsed, depth);
        const inner = changed;
        changed = outer || inner;
        if (inner) return JSON.stringify(copy);
      }
    }
    return scrubText(text);
  };

  const walk = (node: unknown, depth: number): unknown => {
    if (typeof node === "string") return walkString(node, depth);
    if (node === null || typeof node === "number" || typeof node === "boolean" || node === undefined) return node;
    if (typeof node === "bigint") return scrubText(node.toString());
    if (typeof node !== "object") return undefined; // functions and symbols, as JSON.stringify drops them
    if (path.has(node)) {
      changed = true;
      return "[Circular]";
    }
    if (depth >= MAX_DEPTH) {
      changed = true;
      return "[MaxDepth]";
    }
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
        const safeKey = scrubText(key);
        let safe: unknown;
        if (isSecretKey(key) && item !== null && item !== undefined) {
          changed = true;
          safe = REDACTED;
        } else {
          safe = walk(item, depth + 1);
        }
        // An own `__proto__` key (JSON.parse makes them) assigned plainly would set the prototype
        // and vanish from the copy.
        if (safeKey === "__proto__") Object.defineProperty(copy, safeKey, { value: safe, enumerable: true, writable: true, configurable: true });
        else copy[safeKey] = safe;
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
