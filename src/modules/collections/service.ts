/**
 * @module modules/collections/service
 * Collections of an account: create, list, change and drop, each change of the table and its
 * indexes in one transaction so a failure changes nothing. Writes need an owner or admin.
 *
 * Changing fields never rewrites records: existing ones are checked when next written. Making a
 * field required checks every record has it (409 with the count otherwise); making it unique
 * builds a unique index, which fails over duplicates (409, nothing changed).
 */
import { badRequest, conflict, notFound } from "../../http/errors";
import { newId } from "../../ids";
import type { Identity } from "../auth/identity";
import { requireAccountAdmin } from "../auth/roles";
import {
  checkFields,
  checkIndexes,
  COLLECTION_NAME,
  physicalIndexes,
  tableNameFor,
  type CollectionDef,
  type FieldDef,
  type FieldInput,
  type IndexDef,
  type IndexInput,
} from "./definition";
import { UniqueViolation, type CollectionRow, type CollectionsStore } from "./store";

export interface CollectionInput {
  name: string;
  fields?: FieldInput[];
  indexes?: IndexInput[];
}

export interface CollectionPatch {
  name?: string;
  fields?: FieldInput[];
  indexes?: IndexInput[];
}

/** A collection as the API shows it. */
export interface CollectionView {
  id: string;
  name: string;
  fields: FieldDef[];
  indexes: IndexDef[];
  created_at: string;
  updated_at: string;
}

export interface CollectionsDeps {
  store: CollectionsStore;
  /** Names of the account's endpoints that use the collection (dropping or renaming it would break them). */
  inUse?: (accountId: string, name: string) => string[];
}

export type CollectionsService = ReturnType<typeof createCollectionsService>;

export function collectionView(def: CollectionDef): CollectionView {
  return {
    id: def.id,
    name: def.name,
    fields: def.fields.map((f) => ({ ...f })),
    indexes: def.indexes.map((i) => ({ fields: [...i.fields], unique: i.unique })),
    created_at: new Date(def.createdAt).toISOString(),
    updated_at: new Date(def.updatedAt).toISOString(),
  };
}

function checkName(name: unknown, field = "name"): string {
  if (typeof name !== "string" || !COLLECTION_NAME.test(name)) {
    throw badRequest(`Invalid ${field}: lower-case letters, digits and _, starting with a letter, at most 63 characters`, { field });
  }
  return name;
}

let revisions = 0;

export function createCollectionsService({ store, inUse = () => [] }: CollectionsDeps) {
  /** Parsed definitions by collection id, reused while the stored row is unchanged. */
  const defs = new Map<string, { row: CollectionRow; def: CollectionDef }>();

  function toDef(row: CollectionRow): CollectionDef {
    const hit = defs.get(row.id);
    if (hit && hit.row.fields === row.fields && hit.row.indexes === row.indexes && hit.row.name === row.name && hit.row.updated_at === row.updated_at) {
      return hit.def;
    }
    const fields = JSON.parse(row.fields) as FieldDef[];
    const def: CollectionDef = {
      id: row.id,
      accountId: row.account_id,
      name: row.name,
      tableName: row.table_name,
      fields,
      indexes: JSON.parse(row.indexes) as IndexDef[],
      createdAt: row.created_at,
      updatedAt: row.updated_at,
      fieldMap: new Map(fields.map((f) => [f.name, f])),
      schemaless: fields.length === 0,
      revision: ++revisions,
    };
    defs.set(row.id, { row, def });
    if (defs.size > 10_000) defs.delete(defs.keys().next().value!);
    return def;
  }

  /** Definitions by account and name: every record call needs one, and writes are rare. */
  const byName = new Map<string, CollectionDef>();

  function find(accountId: string, name: string): CollectionDef {
    const key = `${accountId}\u0000${name}`;
    const cached = byName.get(key);
    if (cached) return cached;
    const row = COLLECTION_NAME.test(name) ? store.collectionByName(accountId, name) : null;
    if (!row) throw notFound(`Collection '${name}' not found`);
    const def = toDef(row);
    if (byName.size >= 10_000) byName.clear();
    byName.set(key, def);
    return def;
  }

  function refuseInUse(accountId: string, name: string, what: string, force: boolean | undefined) {
    if (force) return;
    const users = inUse(accountId, name);
    if (users.length > 0) {
      throw conflict(`Collection '${name}' is used by endpoint${users.length === 1 ? "" : "s"} ${users.map((u) => `"${u}"`).join(", ")}; ${what} it anyway with force=true`, {
        endpoints: users,
      });
    }
  }

  function uniqueConflict(error: UniqueViolation) {
    const fields = error.fields.map((f) => `data.${f}`);
    return conflict(`Existing records have duplicate values of ${error.fields.join(", ")}; the unique index cannot be built`, { field: fields[0], fields });
  }

  return {
    create(caller: Identity, input: CollectionInput): CollectionView {
      requireAccountAdmin(caller);
      const accountId = caller.principal.account_id;
      const name = checkName(input.name);
      const fields = checkFields(input.fields);
      const indexes = checkIndexes(input.indexes, fields);
      const id = newId("col");
      const tableName = tableNameFor(id);
      const now = Date.now();
      const row: CollectionRow = {
        id,
        account_id: accountId,
        name,
        table_name: tableName,
        fields: JSON.stringify(fields),
        indexes: JSON.stringify(indexes),
        created_at: now,
        updated_at: now,
      };
      store.transaction(() => {
        if (store.collectionByName(accountId, name)) throw conflict(`A collection named '${name}' already exists`, { field: "name" });
        store.insertCollection(row);
        byName.clear();
        store.createRecordsTable(tableName);
        store.syncIndexes(tableName, physicalIndexes(fields, indexes));
      });
      return collectionView(toDef(row));
    },

    list(caller: Identity, page: { limit: number; offset: number }) {
      const { rows, total } = store.listCollections(caller.principal.account_id, page.limit, page.offset);
      return { rows: rows.map((row) => collectionView(toDef(row))), total };
    },

    get: (caller: Identity, name: string): CollectionView => collectionView(find(caller.principal.account_id, name)),

    /**
     * Changes name, fields (the whole list) or indexes (the whole list). Renaming a collection
     * endpoints use is refused unless `force`.
     */
    update(caller: Identity, name: string, patch: CollectionPatch, options: { force?: boolean } = {}): CollectionView {
      requireAccountAdmin(caller);
      const accountId = caller.principal.account_id;
      const current = find(accountId, name);
      const newName = patch.name === undefined ? current.name : checkName(patch.name);
      const fields = patch.fields === undefined ? current.fields : checkFields(patch.fields);
      const indexes = checkIndexes(patch.indexes ?? current.indexes, fields);
      if (newName !== current.name) refuseInUse(accountId, current.name, "rename", options.force);
      try {
        const row = store.transaction(() => {
          if (newName !== current.name && store.collectionByName(accountId, newName)) {
            throw conflict(`A collection named '${newName}' already exists`, { field: "name" });
          }
          fields.forEach((field, i) => {
            if (!field.required || current.fieldMap.get(field.name)?.required) return;
            const missing = store.countMissing(current.tableName, field.name);
            if (missing > 0) {
              throw conflict(`${missing} existing record${missing === 1 ? " has" : "s have"} no value for '${field.name}'; it cannot be required yet`, {
                field: `fields[${i}].required`,
                missing,
              });
            }
          });
          store.syncIndexes(current.tableName, physicalIndexes(fields, indexes));
          byName.clear();
          return store.updateCollection(current.id, {
            name: newName,
            fields: JSON.stringify(fields),
            indexes: JSON.stringify(indexes),
            updatedAt: Math.max(Date.now(), current.updatedAt + 1),
          });
        });
        return collectionView(toDef(row));
      } catch (error) {
        if (error instanceof UniqueViolation) throw uniqueConflict(error);
        throw error;
      }
    },

    /** Drops the collection and all its records; refused while endpoints use it, unless `force`. */
    remove(caller: Identity, name: string, options: { force?: boolean } = {}): CollectionView {
      requireAccountAdmin(caller);
      const accountId = caller.principal.account_id;
      const current = find(accountId, name);
      refuseInUse(accountId, name, "drop", options.force);
      store.transaction(() => {
        store.dropRecordsTable(current.tableName);
        store.deleteCollection(current.id);
        byName.clear();
      });
      defs.delete(current.id);
      return collectionView(current);
    },

    /** The collection's definition for the records service. @throws AppError 404 */
    byName: find,
  };
}
