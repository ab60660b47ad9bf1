/**
 * @module modules/collections/validate
 * Record data checks on create and patch. Values must be JSON; top-level names are field names;
 * a declared schema types each field and refuses unknown ones. A top-level null means "no value":
 * it is dropped on create and deletes the field on patch. Errors name the field (`data.price`).
 */
import { AppError, badRequest } from "../../http/errors";
import { FIELD_NAME, RESERVED_FIELDS, type CollectionDef, type FieldDef } from "./definition";

/** Largest record, as JSON text of its data. */
export const MAX_RECORD_BYTES = 1024 * 1024;
/** Deepest nesting of a record's values. */
export const MAX_VALUE_DEPTH = 64;

export type RecordData = Record<string, unknown>;

interface Issue {
  field: string;
  message: string;
}

class Issues {
  readonly list: Issue[] = [];
  add(field: string, message: string) {
    if (this.list.length < 20) this.list.push({ field: `data.${field}`, message });
  }
  throwIfAny(): void {
    const first = this.list[0];
    if (first) throw badRequest(`Invalid ${first.field}: ${first.message}`, { field: first.field, message: first.message, errors: this.list });
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Why `value` is not JSON (null when it is): finite numbers, strings, booleans, null, arrays, plain objects. */
function notJson(value: unknown, depth: number): string | null {
  switch (typeof value) {
    case "string":
    case "boolean":
      return null;
    case "number":
      return Number.isFinite(value) ? null : "numbers must be finite";
    case "object": {
      if (value === null) return null;
      if (depth >= MAX_VALUE_DEPTH) return `nested deeper than ${MAX_VALUE_DEPTH} levels`;
      if (Array.isArray(value)) {
        for (const item of value) {
          const why = notJson(item, depth + 1);
          if (why) return why;
        }
        return null;
      }
      if (!isPlainObject(value)) return "is not a JSON value";
      for (const key of Object.keys(value)) {
        const item = value[key];
        if (item === undefined) return "is not a JSON value (undefined)";
        const why = notJson(item, depth + 1);
        if (why) return why;
      }
      return null;
    }
    default:
      return `is not a JSON value (${typeof value})`;
  }
}

/**
 * A date as ISO 8601 text: an ISO string (date, or date and time; no zone means UTC) or unix
 * milliseconds. Null when it is neither, or names an impossible day or time.
 */
export function normalizeDate(value: unknown): string | null {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (typeof value === "number") {
    if (!Number.isFinite(value) || Math.abs(value) > 8.64e15) return null;
    return new Date(value).toISOString();
  }
  if (typeof value !== "string") return null;
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?([Zz]|[+-]\d{2}:?\d{2})?)?$/.exec(value);
  if (!m) return null;
  const [year, month, day, hour = 0, minute = 0, second = 0] = [m[1], m[2], m[3], m[4], m[5], m[6]].map((x) => (x === undefined ? undefined : Number(x))) as number[];
  const daysInMonth = new Date(Date.UTC(2000, month!, 0)).getUTCDate() - (month === 2 && !isLeap(year!) ? 1 : 0);
  if (month! < 1 || month! > 12 || day! < 1 || day! > daysInMonth || hour > 23 || minute > 59 || second > 59) return null;
  const ms = m[7] ? Number(m[7].slice(0, 3).padEnd(3, "0")) : 0;
  let offset = 0;
  const zone = m[8];
  if (zone && zone.toUpperCase() !== "Z") {
    const z = /^([+-])(\d{2}):?(\d{2})$/.exec(zone)!;
    const h = Number(z[2]);
    const mm = Number(z[3]);
    if (h > 23 || mm > 59) return null;
    offset = (z[1] === "-" ? -1 : 1) * (h * 60 + mm) * 60_000;
  }
  const date = new Date(Date.UTC(2000, month! - 1, day!, hour, minute, second, ms));
  date.setUTCFullYear(year!); // Date.UTC maps years 0-99 to 1900-1999
  const time = date.getTime() - offset;
  return Number.isNaN(time) ? null : new Date(time).toISOString();
}

function isLeap(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

/** Checks one value against its declared type; returns the value to store (dates normalised). */
function typed(field: FieldDef, value: unknown, issues: Issues): unknown {
  switch (field.type) {
    case "text":
      if (typeof value !== "string") issues.add(field.name, "expected text");
      return value;
    case "number":
      if (typeof value !== "number" || !Number.isFinite(value)) issues.add(field.name, "expected a finite number");
      return value;
    case "bool":
      if (typeof value !== "boolean") issues.add(field.name, "expected true or false");
      return value;
    case "date": {
      const iso = normalizeDate(value);
      if (iso === null) issues.add(field.name, "expected an ISO 8601 date or time, or unix milliseconds");
      return iso;
    }
    case "json":
      return value;
  }
}

/** Checks every field of a full record and returns what to store. */
function checkRecord(def: CollectionDef, data: RecordData, issues: Issues, patchedKeys?: ReadonlySet<string>): RecordData {
  const out: RecordData = {};
  for (const [key, value] of Object.entries(data)) {
    if (value === null || value === undefined) continue;
    if (!def.schemaless) {
      const field = def.fieldMap.get(key);
      if (!field) {
        const hint = patchedKeys && !patchedKeys.has(key) ? "; it was removed from the collection's fields: set it to null to drop it" : "";
        issues.add(key, `unknown field${hint}`);
        continue;
      }
      if (field.type === "date" && value instanceof Date) {
        out[key] = typed(field, value, issues);
        continue;
      }
      const why = notJson(value, 1);
      if (why) {
        issues.add(key, why);
        continue;
      }
      out[key] = typed(field, value, issues);
    } else {
      const why = notJson(value, 1);
      if (why) issues.add(key, why);
      else out[key] = value;
    }
  }
  for (const field of def.fields) {
    if (field.required && (out[field.name] === undefined || out[field.name] === null) && !issues.list.some((i) => i.field === `data.${field.name}`)) {
      issues.add(field.name, "is required");
    }
  }
  return out;
}

function checkKeys(input: Record<string, unknown>, issues: Issues): void {
  for (const key of Object.keys(input)) {
    if (RESERVED_FIELDS.has(key)) issues.add(key, "is set by the server and cannot be written");
    else if (!FIELD_NAME.test(key)) issues.add(key, "field names are letters, digits and _, not starting with a digit, at most 63 characters");
  }
}

function notAnObject(): AppError {
  return badRequest("Invalid data: a record is a JSON object of fields", { field: "data", message: "expected an object" });
}

/** Validates a new record's data; returns what to store. @throws AppError 400 naming the field */
export function validateCreate(def: CollectionDef, input: unknown): RecordData {
  if (!isPlainObject(input)) throw notAnObject();
  const issues = new Issues();
  checkKeys(input, issues);
  issues.throwIfAny();
  const out = checkRecord(def, input, issues);
  issues.throwIfAny();
  return out;
}

/** Checks a patch's shape (before any record is read). @throws AppError 400 */
export function checkPatch(def: CollectionDef, patch: unknown): Record<string, unknown> {
  if (!isPlainObject(patch)) throw notAnObject();
  const issues = new Issues();
  checkKeys(patch, issues);
  for (const [key, value] of Object.entries(patch)) {
    if (value === null && def.fieldMap.get(key)?.required) issues.add(key, "is required and cannot be removed");
  }
  issues.throwIfAny();
  return patch;
}

/**
 * Merges a patch into a stored record (top-level; null deletes) and validates the result as a
 * whole: a record written after its collection's fields changed must fit the new fields.
 */
export function applyPatch(def: CollectionDef, current: RecordData, patch: Record<string, unknown>): RecordData {
  const merged: RecordData = { ...current };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null || value === undefined) delete merged[key];
    else merged[key] = value;
  }
  const issues = new Issues();
  const out = checkRecord(def, merged, issues, new Set(Object.keys(patch)));
  issues.throwIfAny();
  return out;
}

/** JSON text of a record's data, refused above {@link MAX_RECORD_BYTES}. */
export function encodeRecord(data: RecordData): string {
  const json = JSON.stringify(data);
  // Cheap bound first: UTF-8 takes at most 3 bytes per UTF-16 unit.
  if (json.length * 3 > MAX_RECORD_BYTES && Buffer.byteLength(json, "utf8") > MAX_RECORD_BYTES) {
    throw new AppError("PAYLOAD_TOO_LARGE", `A record may hold at most ${MAX_RECORD_BYTES} bytes of JSON`, {
      details: { field: "data", limit_bytes: MAX_RECORD_BYTES },
    });
  }
  return json;
}
