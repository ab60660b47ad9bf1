/**
 * @module templates/helpers
 * The helpers templates may call, plus `toText`, the one rule for how a
 * value reads inside text (objects and arrays as JSON, never
 * "[object Object]"). Every helper tolerates any argument: templates are
 * rendered with whatever data a request brings.
 */

/** Formats `{{now 'fmt'}}` understands. */
export const NOW_FORMATS = ["iso", "unix", "ms", "date"] as const;

/** How a value reads inside text: strings as is, missing as "", objects as JSON. */
export function toText(value: unknown): string {
  if (value === undefined || value === null) return "";
  if (typeof value === "string") return value;
  if (typeof value === "function" || typeof value === "symbol") return "";
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? "" : value.toISOString();
  if (typeof value === "object") return safeJson(value);
  return String(value);
}

/** JSON.stringify that never throws (cycles, BigInt) and never returns undefined. */
export function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value, (_k, v) => (typeof v === "bigint" ? v.toString() : v)) ?? "null";
  } catch {
    return "null";
  }
}

/** The reference time: the data's own `now` when it reads as a time, else the clock. */
function referenceTime(root: unknown): number {
  if (root && typeof root === "object" && Object.hasOwn(root, "now")) {
    const now = (root as { now: unknown }).now;
    const ms = now instanceof Date ? now.getTime() : typeof now === "number" ? now : typeof now === "string" ? Date.parse(now) : NaN;
    if (Number.isFinite(ms)) return ms;
  }
  return Date.now();
}

/** Formats a time in ms; unknown formats fall back to ISO (literal ones are rejected at compile time). */
export function formatTime(ms: number, format: unknown): string | number {
  switch (format) {
    case "unix":
      return Math.floor(ms / 1000);
    case "ms":
      return ms;
    case "date":
      return new Date(ms).toISOString().slice(0, 10);
    default:
      return new Date(ms).toISOString();
  }
}

/** Handlebars passes an options object last; this splits it from the real arguments. */
type HelperOptions = { data?: { root?: unknown } };
function split(args: unknown[]): [unknown[], HelperOptions] {
  const options = (args.length ? args[args.length - 1] : {}) as HelperOptions;
  return [args.slice(0, -1), options];
}

/** Helpers by name; registered on an isolated Handlebars environment. */
export const HELPERS: Record<string, (...args: unknown[]) => unknown> = {
  /** `{{json value}}`: JSON text of the value ("null" when missing). */
  json: (...args) => safeJson(split(args)[0][0] ?? null),
  /** `{{default value fallback}}`: fallback when value is missing, null or "". */
  default: (...args) => {
    const [[value, fallback]] = split(args);
    return value === undefined || value === null || value === "" ? fallback : value;
  },
  /** `{{upper value}}`. */
  upper: (...args) => toText(split(args)[0][0]).toUpperCase(),
  /** `{{lower value}}`. */
  lower: (...args) => toText(split(args)[0][0]).toLowerCase(),
  /** `{{now}}`, `{{now 'unix'}}`: the request's time (data.now) or the clock, formatted. */
  now: (...args) => {
    const [[format], options] = split(args);
    return formatTime(referenceTime(options.data?.root), format);
  },
  /** `log` would write request data to the server console; it is disabled. */
  log: () => "",
};

/** The value `{{now}}` stands for when the data has no own `now`. */
export function currentNow(root: unknown): string {
  return new Date(referenceTime(root)).toISOString();
}
