/**
 * @module modules/endpoints/service
 * Endpoint definitions: validated CRUD, and per-account route tables compiled once and rebuilt
 * only when that account's definitions change.
 */
import { conflict, notFound } from "../../http/errors";
import { newId } from "../../ids";
import type { Logger } from "../../log";
import type { Identity } from "../auth/identity";
import { requireAccountAdmin } from "../auth/roles";
import type { PluginRegistry } from "../plugins/registry";
import { compileEndpoint, type CompiledEndpoint } from "./compile";
import { definitionToColumns, rowToDefinition, withDefaults } from "./definition";
import { parsePath, pathKey } from "./path";
import { RouteTable } from "./route-table";
import type { EndpointCreate, EndpointDefinition, EndpointUpdate } from "./schemas";
import type { EndpointRow, EndpointsStore } from "./store";
import { validateDefinition } from "./validate";

/** A definition that no longer compiles (e.g. its plugin was removed): dispatch answers 500 for it. */
export interface BrokenEndpoint {
  broken: true;
  id: string;
  def: EndpointDefinition;
  reason: string;
}

export type RouteEntry = CompiledEndpoint | BrokenEndpoint;

export interface EndpointsDeps {
  store: EndpointsStore;
  registry: PluginRegistry;
  logger: Logger;
  maxPerAccount: number;
  maxBodyLimitBytes: number;
  credentialExists?: (accountId: string, name: string) => boolean;
}

export type EndpointsService = ReturnType<typeof createEndpointsService>;

export function createEndpointsService({ store, registry, logger, maxPerAccount, maxBodyLimitBytes, credentialExists = () => false }: EndpointsDeps) {
  const tables = new Map<string, RouteTable<RouteEntry>>();

  const validate = (accountId: string, def: EndpointDefinition) =>
    validateDefinition(def, { registry, maxBodyLimitBytes, credentialExists: (name) => credentialExists(accountId, name) });

  const keyOf = (def: EndpointDefinition) => {
    const parsed = parsePath(def.path);
    if ("error" in parsed) throw new Error(parsed.error); // validated before
    return pathKey(parsed.segments);
  };

  function visible(caller: Identity, id: string): EndpointRow {
    const row = store.byId(id);
    if (!row || row.accountId !== caller.principal.account_id) throw notFound("Endpoint not found");
    return row;
  }

  function routeTaken(accountId: string, def: EndpointDefinition, exceptId?: string) {
    const existing = store.byRoute(accountId, def.method, keyOf(def));
    if (existing && existing.id !== exceptId) {
      throw conflict(`${def.method} ${def.path} is already defined by endpoint "${existing.name}"`, { field: "path", endpoint_id: existing.id });
    }
  }

  /** Inserts a new definition (already validated and free of route clashes) unless the account is at its limit. */
  function insertNew(accountId: string, def: EndpointDefinition, now: number): EndpointRow {
    if (store.countForAccount(accountId) >= maxPerAccount) {
      throw conflict(`An account can have at most ${maxPerAccount} endpoints`, { limit: maxPerAccount });
    }
    return store.insert({ id: newId("ep"), accountId, pathKey: keyOf(def), ...definitionToColumns(def), createdAt: now, updatedAt: now });
  }

  function compileOrMarkBroken(row: EndpointRow): RouteEntry {
    try {
      return compileEndpoint(row, registry);
    } catch (error) {
      const reason = (error as Error).message;
      logger.warn("endpoint cannot be compiled; it answers 500 until fixed", { endpoint_id: row.id, error: reason });
      return { broken: true, id: row.id, def: rowToDefinition(row), reason };
    }
  }

  function build(accountId: string): RouteTable<RouteEntry> {
    const table = new RouteTable<RouteEntry>();
    for (const row of store.allForAccount(accountId)) {
      const parsed = parsePath(row.path);
      if ("error" in parsed) continue; // stored paths were validated; never expected
      table.add(row.method, parsed.segments, compileOrMarkBroken(row));
    }
    return table;
  }

  return {
    create(caller: Identity, input: EndpointCreate): EndpointRow {
      requireAccountAdmin(caller);
      const accountId = caller.principal.account_id;
      const def = withDefaults(input);
      validate(accountId, def);
      const now = Date.now();
      const row = store.transaction(() => {
        routeTaken(accountId, def);
        return insertNew(accountId, def, now);
      });
      tables.delete(accountId);
      return row;
    },

    update(caller: Identity, id: string, patch: EndpointUpdate): EndpointRow {
      requireAccountAdmin(caller);
      const current = visible(caller, id);
      const merged = withDefaults({ ...rowToDefinition(current), ...stripUndefined(patch) } as EndpointCreate);
      validate(current.accountId, merged);
      const row = store.transaction(() => {
        routeTaken(current.accountId, merged, id);
        return store.update(id, { ...definitionToColumns(merged), pathKey: keyOf(merged), updatedAt: Date.now() })!;
      });
      tables.delete(current.accountId);
      return row;
    },

    remove(caller: Identity, id: string): EndpointRow {
      requireAccountAdmin(caller);
      const row = visible(caller, id);
      store.delete(id);
      tables.delete(row.accountId);
      return row;
    },

    get: (caller: Identity, id: string) => visible(caller, id),

    list(caller: Identity, query: { enabled?: boolean; search?: string; limit: number; offset: number }) {
      return store.list(caller.principal.account_id, query);
    },

    /** Whether an endpoint belongs to the account (for its execution history). */
    exists: (accountId: string, id: string) => store.byId(id)?.accountId === accountId,

    /** The account's compiled routes, built on first use after a change. */
    routes(accountId: string): RouteTable<RouteEntry> {
      let table = tables.get(accountId);
      if (!table) tables.set(accountId, (table = build(accountId)));
      return table;
    },

    /** Forgets every compiled table (e.g. after plugins reload). */
    invalidateAll: () => tables.clear(),

    /** Replaces or adds definitions by (method, path) in one transaction: `switchboard apply`. */
    apply(accountId: string, inputs: EndpointCreate[]): { created: number; updated: number } {
      const defs = inputs.map(withDefaults);
      defs.forEach((def, index) => {
        try {
          validate(accountId, def);
        } catch (error) {
          (error as { message: string }).message = `endpoint ${index} (${def.method} ${def.path}): ${(error as Error).message}`;
          throw error;
        }
      });
      const seen = new Set<string>();
      for (const def of defs) {
        const key = `${def.method} ${keyOf(def)}`;
        if (seen.has(key)) throw conflict(`${def.method} ${def.path} appears twice in the file`);
        seen.add(key);
      }
      const result = store.transaction(() => {
        let created = 0;
        let updated = 0;
        const now = Date.now();
        for (const def of defs) {
          const existing = store.byRoute(accountId, def.method, keyOf(def));
          if (existing) {
            store.update(existing.id, { ...definitionToColumns(def), pathKey: keyOf(def), updatedAt: now });
            updated++;
          } else {
            insertNew(accountId, def, now);
            created++;
          }
        }
        return { created, updated };
      });
      tables.delete(accountId);
      return result;
    },

    /** Names of the account's endpoints whose actions name this collection (drop protection). */
    usingCollection: (accountId: string, collection: string) =>
      store
        .allForAccount(accountId)
        .filter((row) => rowToDefinition(row).actions.some((action) => action.config.collection === collection))
        .map((row) => row.name),

    /** Every definition of an account, without ids or times: `switchboard export`. */
    export: (accountId: string) => store.allForAccount(accountId).map(rowToDefinition),
  };
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
