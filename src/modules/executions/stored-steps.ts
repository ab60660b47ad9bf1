/**
 * @module modules/executions/stored-steps
 * A record's steps as history.db stores them: JSON text, sanitized as sanitize.ts says. They come
 * from the request thread as JSON text already, and most hold nothing to hide, cut or clip: then
 * that text is stored as it is. Only steps that might need it are parsed into a sanitized copy and
 * serialized again. For a 10-record query result that is ~2.4 µs against ~9.3 µs of the history
 * writer's time per record; the echo's steps gain less, having little to copy.
 *
 * The quick check is conservative: anything it cannot rule out with certainty (a `=` that might
 * start a `name=value` pair, a string that might be JSON text, a key that names a secret, a
 * credential value with characters JSON escapes) takes the full path. sanitizeRecord defines what
 * is stored; stored-steps.test.ts compares the two on many generated steps.
 */
import { isSecretKey, MAX_DEPTH, needlesOf } from "./redact";
import { MAX_ERROR_MESSAGE, sanitizeSteps } from "./sanitize";
import type { StepRecord } from "./types";

/** The stored JSON text of steps given as JSON text. Throws when `text` is not JSON, or not a list of steps. */
export function storedSteps(text: string, secrets: readonly string[], maxResultBytes: number): string {
  const steps = JSON.parse(text) as StepRecord[];
  if (storedAsIs(text, steps, secrets, maxResultBytes)) return text;
  return JSON.stringify(sanitizeSteps(steps, secrets, maxResultBytes));
}

/** Whether `JSON.stringify(sanitizeSteps(steps))` would give `text` back unchanged (false when unsure). */
export function storedAsIs(text: string, steps: unknown, secrets: readonly string[], maxResultBytes: number): boolean {
  if (!Array.isArray(steps) || !textIsClean(text, secrets)) return false;
  // Every result is smaller than the whole text: only a large text needs each one measured.
  const measure = text.length * 3 > maxResultBytes;
  for (const step of steps) if (!stepIsClean(step, measure, maxResultBytes)) return false;
  return true;
}

// A string whose text starts with `{`, `[` or JSON whitespace (raw space, escaped tab, line feed,
// carriage return) might be JSON text, which redaction looks inside. JSON.stringify writes no
// `"` followed by these outside a string, so this only ever errs towards the full path.
const MAYBE_JSON_STRING = /"[{[ ]|"\\[tnr]/;

/** No credential value, Switchboard token, `name=value` pair or JSON text anywhere in `text`. */
function textIsClean(text: string, secrets: readonly string[]): boolean {
  if (text.includes("sb_") || text.includes("sbs_") || text.includes("=") || MAYBE_JSON_STRING.test(text)) return false;
  for (const needle of needlesOf(secrets)) if (!absent(text, needle)) return false;
  return true;
}

/**
 * True when `needle` is surely in no string of the JSON `text`. A needle whose characters JSON.stringify
 * writes as themselves appears in the text exactly when it appears in a string or key; one with a
 * quote, backslash, control character or lone surrogate would be escaped there, so it is never
 * "surely absent".
 */
function absent(text: string, needle: string): boolean {
  return JSON.stringify(needle).length === needle.length + 2 && !text.includes(needle);
}

const STEP_KEYS = ["index", "type", "status", "duration_ms", "name", "result", "error"];

/** A step that sanitizeSteps would rebuild key for key, with nothing clipped, hidden or cut. */
function stepIsClean(step: unknown, measure: boolean, maxResultBytes: number): boolean {
  if (typeof step !== "object" || step === null || Array.isArray(step)) return false;
  const s = step as Record<string, unknown>;
  // The copy has these keys in this order, and no other.
  let next = 0;
  for (const key of Object.keys(s)) {
    const at = STEP_KEYS.indexOf(key);
    if (at < next) return false;
    next = at + 1;
  }
  if ("name" in s && !(typeof s.name === "string" && s.name.length <= MAX_ERROR_MESSAGE)) return false;
  if ("error" in s) {
    const error = s.error as Record<string, unknown> | null;
    if (typeof error !== "object" || error === null || Array.isArray(error)) return false;
    const keys = Object.keys(error);
    if (keys.length !== 2 || keys[0] !== "code" || keys[1] !== "message") return false;
    if (typeof error.code !== "string" || typeof error.message !== "string" || error.message.length > MAX_ERROR_MESSAGE) return false;
  }
  if (!("result" in s)) return true;
  if (!valueIsClean(s.result, 0)) return false;
  return !measure || Buffer.byteLength(JSON.stringify(s.result), "utf8") <= maxResultBytes;
}

/** No key that names a secret, and no nesting that redaction would cut, anywhere in `node`. */
function valueIsClean(node: unknown, depth: number): boolean {
  if (typeof node !== "object" || node === null) return true;
  if (depth >= MAX_DEPTH) return false;
  if (Array.isArray(node)) {
    for (const item of node) if (!valueIsClean(item, depth + 1)) return false;
    return true;
  }
  for (const key of Object.keys(node)) {
    if (isSecretKey(key) || !valueIsClean((node as Record<string, unknown>)[key], depth + 1)) return false;
  }
  return true;
}
