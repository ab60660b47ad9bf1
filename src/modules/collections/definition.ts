/**
 * @module modules/collections/definition
 * A collection's definition: its typed fields and declared indexes, checked when saved, and the
 * physical SQLite indexes they become. Pure: no SQL here (the store turns index specs into DDL).
 */
import { JSON_FIELD_NAME } from "../../expr";
import { badRequest } from "../../http/errors";

export const FIELD_TYPES = ["text", "number", "bool", "json", "date"] as const;
export type FieldType = (typeof FIELD_TYPES)[number];

/** Collection names: lower-case, start with a letter (DESIGN.md, Collections and records). */
export const COLLECTION_NAME = /^[a-z][a-z0-9_]{0,62}$/;
/** Top-level record field names (`__proto__` is refused: records become plain JS objects). */
export const FIELD_NAME = /^(?!__proto__$)[A-Za-z_][A-Za-z0-9_]{0,62}$/;
/** Set by the server on every record; never a data field. */
export const RESERVED_FIELDS: ReadonlySet<string> = new Set(["id", "created_at", "updated_at"]);

export const MAX_FIELDS = 100;
export const MAX_INDEXES = 20;
export const MAX_INDEX_FIELDS = 8;
/** Longest field path an index, sort or aggregate may name (`address.city`, `items[0].sku`). */
export const MAX_PATH_LENGTH = 200;

export interface FieldDef {
  name: string;
  type: FieldType;
  required: boolean;
  unique: boolean;
}

export interface IndexDef {
  /** Field paths, in index order. */
  fields: string[];
  unique: boolean;
}

/** What a client sends for fields and indexes (flags optional). */
export interface FieldInput {
  name: string;
  type: FieldType;
  required?: boolean;
  unique?: boolean;
}
export interface IndexInput {
  fields: string[];
  unique?: boolean;
}

/** A collection as the records service uses it; built once per stored version. */
export interface CollectionDef {
  id: string;
  accountId: string;
  name: string;
  tableName: string;
  fields: FieldDef[];
  indexes: IndexDef[];
  createdAt: number;
  updatedAt: number;
  /** Fields by name; empty when schemaless. */
  fieldMap: ReadonlyMap<string, FieldDef>;
  /** No fields declared: records may hold any top-level fields. */
  schemaless: boolean;
  /** Changes whenever the definition does (keys caches of compiled filters). */
  revision: number;
}

/** Normalises and checks declared fields. @throws AppError 400 naming `fields[i].x` */
export function checkFields(input: readonly FieldInput[] | undefined): FieldDef[] {
  const list = input ?? [];
  if (list.length > MAX_FIELDS) throw badRequest(`A collection can declare at most ${MAX_FIELDS} fields`, { field: "fields", limit: MAX_FIELDS });
  const seen = new Set<string>();
  return list.map((f, i) => {
    const where = `fields[${i}]`;
    if (typeof f?.name !== "string" || !FIELD_NAME.test(f.name)) {
      throw badRequest(`Invalid ${where}.name: letters, digits and _ only, not starting with a digit, at most 63 characters`, { field: `${where}.name` });
    }
    if (RESERVED_FIELDS.has(f.name)) throw badRequest(`Invalid ${where}.name: '${f.name}' is set by the server`, { field: `${where}.name` });
    if (seen.has(f.name)) throw badRequest(`Invalid ${where}.name: '${f.name}' is declared twice`, { field: `${where}.name` });
    seen.add(f.name);
    if (!(FIELD_TYPES as readonly string[]).includes(f.type)) {
      throw badRequest(`Invalid ${where}.type: one of ${FIELD_TYPES.join(", ")}`, { field: `${where}.type` });
    }
    return { name: f.name, type: f.type, required: f.required === true, unique: f.unique === true };
  });
}

/**
 * True when `path` names something records can hold: a valid path whose first segment is a
 * declared field (any valid path when schemaless). Reserved names are not data paths.
 */
export function isDataPath(path: string, fieldMap: ReadonlyMap<string, FieldDef>, schemaless: boolean): boolean {
  if (path.length > MAX_PATH_LENGTH || !JSON_FIELD_NAME.test(path)) return false;
  const head = /^[A-Za-z_][A-Za-z0-9_]*/.exec(path)![0];
  if (RESERVED_FIELDS.has(head)) return false;
  return schemaless || fieldMap.has(head);
}

/** Normalises and checks declared indexes against the fields. @throws AppError 400 naming `indexes[i]` */
export function checkIndexes(input: readonly IndexInput[] | undefined, fields: readonly FieldDef[]): IndexDef[] {
  const list = input ?? [];
  if (list.length > MAX_INDEXES) throw badRequest(`A collection can declare at most ${MAX_INDEXES} indexes`, { field: "indexes", limit: MAX_INDEXES });
  const fieldMap = new Map(fields.map((f) => [f.name, f]));
  const seen = new Set<string>();
  return list.map((index, i) => {
    const where = `indexes[${i}]`;
    const names = index?.fields;
    if (!Array.isArray(names) || names.length === 0 || names.length > MAX_INDEX_FIELDS) {
      throw badRequest(`Invalid ${where}.fields: 1 to ${MAX_INDEX_FIELDS} field names`, { field: `${where}.fields` });
    }
    names.forEach((name, j) => {
      if (typeof name !== "string" || !isDataPath(name, fieldMap, fields.length === 0)) {
        const known = fields.length === 0 ? "" : " (not a declared field)";
        throw badRequest(`Invalid ${where}.fields[${j}]: '${String(name)}' is not a field path${known}`, { field: `${where}.fields[${j}]` });
      }
    });
    if (new Set(names).size !== names.length) throw badRequest(`Invalid ${where}.fields: a field appears twice`, { field: `${where}.fields` });
    const def = { fields: [...names], unique: index.unique === true };
    const key = indexKey(def);
    if (seen.has(key)) throw badRequest(`Invalid ${where}: the same index is declared twice`, { field: where });
    seen.add(key);
    return def;
  });
}

/** Identity of an index: uniqueness and field list. */
export const indexKey = (index: IndexDef) => `${index.unique ? "u" : "i"}:${index.fields.join(",")}`;

/**
 * The SQLite indexes a definition needs: one unique index per `unique` field, then the declared
 * ones; a plain index on exactly the fields of a unique one is redundant and left out.
 */
export function physicalIndexes(fields: readonly FieldDef[], indexes: readonly IndexDef[]): IndexDef[] {
  const out: IndexDef[] = [];
  const keys = new Set<string>();
  const add = (index: IndexDef) => {
    const key = indexKey(index);
    if (keys.has(key)) return;
    if (!index.unique && keys.has(indexKey({ fields: index.fields, unique: true }))) return;
    keys.add(key);
    out.push(index);
  };
  for (const f of fields) if (f.unique) add({ fields: [f.name], unique: true });
  // Unique ones first so a plain duplicate of a unique index is recognised whatever the order.
  for (const index of indexes) if (index.unique) add(index);
  for (const index of indexes) if (!index.unique) add(index);
  return out;
}

/** Table name of a collection's records: derived from its id only (`col_<26>` -> `rec_<26>`). */
export function tableNameFor(collectionId: string): string {
  const body = collectionId.slice(collectionId.indexOf("_") + 1);
  if (!/^[a-z0-9]{1,60}$/.test(body)) throw new Error(`unexpected collection id '${collectionId}'`);
  return `rec_${body}`;
}
