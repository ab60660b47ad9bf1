/**
 * @module modules/collections/records-service
 * Records of a collection: create, get, patch, delete (one or many by filter), list with filter,
 * sort, offset or cursor pages and field picking, and aggregates. The REST API and the record
 * actions both go through here. Any role of the account may read and write records; the REST
 * API asks for the `manage` scope.
 *
 * Filters are the expression language compiled to parameterised SQL, cached per collection
 * version and source. Templates inside string literals are rendered by the caller's
 * `renderLiteral` after parsing and only ever become bound values; a filter with templates is
 * recompiled with the rendered values as constants so `field = '{{...}}'` can use an index just
 * like `field = 'x'`; where the SQL cannot depend on the values themselves, that compile is done
 * once per kind of value and reused (filter-shapes.ts).
 *
 * In filters, `created_at` and `updated_at` are ISO 8601 text, exactly as records show them
 * (`created_at >= '2025-01-01'` works; compare with text, not numbers).
 *
 * Aggregates: `count` counts matching records (with `field`: those whose field is present and
 * not null); `sum`, `avg`, `min` and `max` look only at values that are JSON numbers (missing,
 * null, text, booleans, objects and arrays are ignored); the sum of nothing is 0, the avg, min and
 * max of nothing null. `group_by` groups by the field's value (missing and null form the null
 * group) and answers `[{group, value}]` ordered by group (null, then numbers, then text).
 */
import {
  compileFilter,
  compileFilterAst,
  ExprError,
  type CompiledFilter,
  type Expr,
  type FieldResolver,
  type LiteralExpr,
  type LiteralValue,
} from "../../expr";
import { AppError, badRequest, conflict, notFound } from "../../http/errors";
import { newId } from "../../ids";
import { decodeCursor, encodeCursor, InvalidCursorError } from "./cursor";
import { buildShape, fillShape, isTemplate, shapeFor, shapeKey, templateLiterals, templatesOnlyAgainstFields, type ShapeCache } from "./filter-shapes";
import { FIELD_NAME, isDataPath, RESERVED_FIELDS, type CollectionDef } from "./definition";
import type { CollectionsService } from "./service";
import type { RecordsReader } from "./reader-thread";
import { toView, type RecordView } from "./record-view";
import { recordFilterFields, UniqueViolation, type AggregateFunction, type CollectionsStore, type RecordQuery, type RecordRow, type SortKey, type Where } from "./store";
import { applyPatch, checkPatch, encodeRecord, validateCreate, type RecordData } from "./validate";

/** A filter in the expression language, with an optional renderer for `{{...}}` literals. */
export interface FilterInput {
  source: string;
  /** Renders a string literal containing `{{`; without it such literals are plain text. */
  renderLiteral?: (raw: string) => unknown;
  /** Context of functions such as `@owns_record()` (`{ auth: principal }`). */
  ctx?: Readonly<Record<string, unknown>>;
}

export type { RecordView };

export interface ListOptions {
  filter?: FilterInput;
  /** Comma list; `-` means descending. Default `created_at`. */
  sort?: string;
  /** 1..1000, default 50. */
  limit?: number;
  offset?: number;
  /** A `next_cursor`, or "" for the first page of a cursor listing. */
  cursor?: string;
  /** Top-level fields to return (id, created_at, updated_at always allowed). */
  fields?: string[];
}

export type OffsetMeta = { limit: number; offset: number; total: number; next_cursor?: string | null };
export type CursorMeta = { limit: number; next_cursor: string | null; has_more: boolean };

export interface ListResult {
  records: RecordView[];
  meta: OffsetMeta | CursorMeta;
}

export interface AggregateOptions {
  function: AggregateFunction;
  field?: string;
  filter?: FilterInput;
  group_by?: string;
}

export type AggregateResult = number | null | { group: unknown; value: number | null }[];

export interface RecordsDeps {
  store: CollectionsStore;
  collections: Pick<CollectionsService, "byName">;
  /** updateWhere/removeWhere refuse to touch more records than this without `allowMany`. */
  maxAffected?: number;
  /** The clock (tests pin it to put many records in one millisecond). */
  now?: () => number;
  /** Runs `select`'s query on another thread (the server has one; tests and `:memory:` need none). */
  reader?: RecordsReader;
}

export type RecordsService = ReturnType<typeof createRecordsService>;

export const MAX_LIST_LIMIT = 1000;
export const DEFAULT_LIST_LIMIT = 50;
/** Most groups an aggregate answers. */
export const MAX_GROUPS = 1000;
/** Most records updateWhere returns (its `updated` count is exact). */
export const MAX_RETURNED = 1000;
const AGGREGATES: readonly AggregateFunction[] = ["count", "sum", "avg", "min", "max"];
const FILTER_CACHE_SIZE = 1000;
/** Sorts remembered per collection version. */
const SORT_CACHE_SIZE = 100;
const MAX_SORT_KEYS = 8;
const BATCH = 500;

function uniqueConflict(error: UniqueViolation): AppError {
  const fields = error.fields.map((f) => `data.${f}`);
  const what = error.fields.length === 1 ? error.fields[0] : `(${error.fields.join(", ")})`;
  return conflict(`A record with this ${what} already exists`, { field: fields[0], fields });
}

/** A compiled filter, its template literals and, when they can have one, its shapes (filter-shapes.ts). */
interface CachedFilter {
  filter: CompiledFilter;
  templates: LiteralExpr[];
  shapes: ShapeCache | null;
}

/** Sort keys with what a cursor needs; shared by the queries of one sort, so never changed. */
interface SortPlan {
  readonly keys: readonly SortKey[];
  readonly signature: string;
  readonly cursorable: boolean;
  readonly kinds: readonly ("number" | "string")[];
}

/** Marks a template whose rendered value cannot be a constant (objects, Dates): keep it a bound value. */
class NotConstant extends Error {}

/** What `render` gives for each template, as constants. @throws NotConstant */
function renderConstants(templates: readonly LiteralExpr[], render: (raw: string) => unknown): LiteralValue[] {
  return templates.map((node) => {
    const value = render(node.value as string);
    const literal = value === undefined ? null : value;
    if (literal !== null && typeof literal !== "string" && typeof literal !== "number" && typeof literal !== "boolean") throw new NotConstant();
    return literal as LiteralValue;
  });
}

/** The same tree with the template literals (`templates`, in their order) replaced by `values`. */
function substitute(node: Expr, templates: readonly LiteralExpr[], values: readonly LiteralValue[]): Expr {
  const swap = (n: Expr): Expr => {
    switch (n.kind) {
      case "literal": {
        const i = isTemplate(n) ? templates.indexOf(n) : -1;
        return i < 0 ? n : ({ kind: "literal", value: values[i] as LiteralValue, pos: n.pos } satisfies LiteralExpr);
      }
      case "logical":
        return { ...n, operands: n.operands.map(swap) };
      case "not":
        return { ...n, operand: swap(n.operand) };
      case "compare":
        return { ...n, left: swap(n.left), right: swap(n.right) };
      case "in":
        return { ...n, value: swap(n.value), items: n.items.map(swap) };
      default:
        return n;
    }
  };
  return swap(node);
}

export function createRecordsService({ store, collections, maxAffected = 100, now = Date.now, reader }: RecordsDeps) {
  const resolvers = new WeakMap<CollectionDef, FieldResolver>();
  const sortPlans = new WeakMap<CollectionDef, Map<string, SortPlan>>();
  const filters = new Map<string, CachedFilter>();

  const dataPath = (def: CollectionDef, path: string) => isDataPath(path, def.fieldMap, def.schemaless);

  function resolver(def: CollectionDef): FieldResolver {
    let r = resolvers.get(def);
    if (!r) resolvers.set(def, (r = recordFilterFields((path) => dataPath(def, path))));
    return r;
  }

  function filterError(error: unknown): never {
    if (error instanceof ExprError) throw badRequest(`Invalid filter: ${error.message}`, { field: "filter", position: error.position });
    throw error;
  }

  function compiled(def: CollectionDef, source: string) {
    if (typeof source !== "string") throw badRequest("Invalid filter: expected text", { field: "filter" });
    const key = `${def.tableName}\u0000${def.revision}\u0000${source}`;
    let entry = filters.get(key);
    if (entry) {
      filters.delete(key);
      filters.set(key, entry);
      return entry;
    }
    try {
      const filter = compileFilter(source, { fields: resolver(def) });
      const templates = templateLiterals(filter.ast);
      entry = { filter, templates, shapes: templates.length > 0 && templatesOnlyAgainstFields(filter.ast) ? new Map() : null };
    } catch (error) {
      filterError(error);
    }
    filters.set(key, entry);
    if (filters.size > FILTER_CACHE_SIZE) filters.delete(filters.keys().next().value!);
    return entry;
  }

  /** SQL and bound values of a filter for one query. */
  function whereOf(def: CollectionDef, input: FilterInput | undefined): Where | undefined {
    if (!input) return undefined;
    const entry = compiled(def, input.source);
    if (entry.templates.length > 0 && input.renderLiteral) {
      // Rendered values become constants of a fresh compile: `x = 'text'` is then the plain
      // comparison an index serves. The tree is the parsed one; only literal values change.
      let values: LiteralValue[] | undefined;
      try {
        values = renderConstants(entry.templates, input.renderLiteral);
      } catch (error) {
        if (!(error instanceof NotConstant)) throw error;
      }
      if (values) {
        const compileWith = (constants: readonly LiteralValue[]) =>
          compileFilterAst(substitute(entry.filter.ast, entry.templates, constants), { fields: resolver(def) });
        // Compiled once per kind of values (filter-shapes.ts) when the filter allows it.
        const key = entry.shapes && shapeKey(values);
        const shape = key ? shapeFor(entry.shapes!, key, () => buildShape(key, compileWith, input.ctx)) : null;
        try {
          return shape ? fillShape(shape, values, input.ctx) : compileWith(values).toSql({ ctx: input.ctx });
        } catch (error) {
          filterError(error);
        }
      }
    }
    return entry.filter.toSql({ ctx: input.ctx, renderLiteral: input.renderLiteral });
  }

  /** The sort plan of `sort`, parsed once per collection version (the same few sorts come back). */
  function sortPlan(def: CollectionDef, sort: string | undefined): SortPlan {
    let plans = sortPlans.get(def);
    if (!plans) sortPlans.set(def, (plans = new Map()));
    const key = sort ?? "";
    let plan = plans.get(key);
    if (!plan) {
      plan = parseSort(def, sort);
      if (plans.size >= SORT_CACHE_SIZE) plans.clear();
      plans.set(key, plan);
    }
    return plan;
  }

  function parseSort(def: CollectionDef, sort: string | undefined): SortPlan {
    const text = sort === undefined || sort.trim() === "" ? "created_at" : sort;
    const parts = text.split(",").map((p) => p.trim());
    if (parts.length > MAX_SORT_KEYS) throw badRequest(`Invalid sort: at most ${MAX_SORT_KEYS} keys`, { field: "sort" });
    const keys: SortKey[] = [];
    for (const part of parts) {
      const desc = part.startsWith("-");
      const name = desc ? part.slice(1) : part;
      if (name === "created_at") {
        keys.push({ column: "seq", desc }); // created_at follows seq (see store.ts)
        break;
      }
      if (name === "id") {
        keys.push({ column: "id", desc }); // unique: later keys never matter
        break;
      }
      if (name === "updated_at") keys.push({ column: "updated_at", desc });
      else if (dataPath(def, name)) keys.push({ field: name, desc });
      else throw badRequest(`Invalid sort: '${name}' is not a field${def.schemaless ? "" : " of this collection"}`, { field: "sort" });
    }
    const last = keys[keys.length - 1]!;
    if (!("column" in last && (last.column === "seq" || last.column === "id"))) keys.push({ column: "seq", desc: keys[0]!.desc });
    return {
      keys,
      signature: keys.map((k) => `${k.desc ? "-" : ""}${"column" in k ? k.column : `data.${k.field}`}`).join(","),
      cursorable: keys.every((k) => "column" in k),
      kinds: keys.map((k) => ("column" in k && k.column === "id" ? "string" : "number")),
    };
  }

  function pickOf(def: CollectionDef, fields: string[] | undefined): Set<string> | undefined {
    if (fields === undefined) return undefined;
    const pick = new Set<string>();
    for (const raw of fields) {
      const name = raw.trim();
      if (!RESERVED_FIELDS.has(name) && !(FIELD_NAME.test(name) && (def.schemaless || def.fieldMap.has(name)))) {
        throw badRequest(`Invalid fields: '${name}' is not a field${def.schemaless ? "" : " of this collection"}`, { field: "fields" });
      }
      pick.add(name);
    }
    return pick;
  }

  function checkLimit(limit: number | undefined): number {
    if (limit === undefined) return DEFAULT_LIST_LIMIT;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIST_LIMIT) throw badRequest(`Invalid limit: 1 to ${MAX_LIST_LIMIT}`, { field: "limit" });
    return limit;
  }

  function cursorOf(plan: SortPlan, row: RecordRow): string {
    const values = plan.keys.map((k) => {
      const column = (k as { column: "seq" | "id" | "updated_at" }).column;
      return column === "id" ? row.id : column === "seq" ? row.seq : row.updated_at;
    });
    return encodeCursor({ sort: plan.signature, values });
  }

  /** The page query of a list call, checked. */
  function plan(def: CollectionDef, options: ListOptions) {
    const limit = checkLimit(options.limit);
    const sort = sortPlan(def, options.sort);
    const pick = pickOf(def, options.fields);
    const where = whereOf(def, options.filter);
    const offset = options.offset ?? 0;
    if (!Number.isSafeInteger(offset) || offset < 0) throw badRequest("Invalid offset: a whole number from 0", { field: "offset" });
    let after: (string | number)[] | undefined;
    if (options.cursor !== undefined) {
      if (offset > 0) throw badRequest("Use either offset or cursor, not both", { field: "cursor" });
      if (!sort.cursorable) {
        throw badRequest("Invalid cursor: cursor pages need a sort on created_at, updated_at or id only", { field: "cursor" });
      }
      if (options.cursor !== "") {
        try {
          after = decodeCursor(options.cursor, sort.signature, sort.kinds).values;
        } catch (error) {
          if (error instanceof InvalidCursorError) throw badRequest(`Invalid cursor: ${error.message}`, { field: "cursor" });
          throw error;
        }
      }
    }
    const query: RecordQuery = { where, sort: sort.keys, after, limit, offset };
    return { limit, offset, sort, pick, where, query };
  }

  function aggregateField(def: CollectionDef, value: unknown, param: "field" | "group_by"): string {
    if (typeof value !== "string" || !dataPath(def, value)) {
      throw badRequest(`Invalid ${param}: '${String(value)}' is not a field${def.schemaless ? "" : " of this collection"}`, { field: param });
    }
    return value;
  }

  function insert(def: CollectionDef, data: unknown): RecordView {
    const json = encodeRecord(validateCreate(def, data));
    try {
      return toView(store.insertRecord(def.tableName, newId("rec"), json, now()));
    } catch (error) {
      if (error instanceof UniqueViolation) throw uniqueConflict(error);
      throw error;
    }
  }

  function rowOf(def: CollectionDef, id: string): RecordRow {
    const row = typeof id === "string" && id.length <= 64 ? store.recordById(def.tableName, id) : null;
    if (!row) throw notFound(`Record '${id}' not found in collection '${def.name}'`);
    return row;
  }

  function write(def: CollectionDef, row: RecordRow, patch: Record<string, unknown>): RecordRow {
    const merged = applyPatch(def, JSON.parse(row.data) as RecordData, patch);
    try {
      return store.updateRecord(def.tableName, row.seq, encodeRecord(merged), now());
    } catch (error) {
      if (error instanceof UniqueViolation) throw uniqueConflict(error);
      throw error;
    }
  }

  function tooMany(matched: number, verb: string): AppError {
    return conflict(`The filter matches ${matched} records, more than the ${maxAffected} a ${verb} may change at once; allow many to go ahead`, {
      matched,
      max: maxAffected,
    });
  }

  return {
    create(accountId: string, collection: string, data: unknown): RecordView {
      return insert(collections.byName(accountId, collection), data);
    },

    /** Creates all records in one transaction (all or none). */
    createMany(accountId: string, collection: string, items: readonly unknown[]): RecordView[] {
      const def = collections.byName(accountId, collection);
      return store.transaction(() =>
        items.map((data, i) => {
          try {
            return insert(def, data);
          } catch (error) {
            if (error instanceof AppError && error.details) (error.details as Record<string, unknown>).index = i;
            throw error;
          }
        }),
      );
    },

    get(accountId: string, collection: string, id: string): RecordView {
      return toView(rowOf(collections.byName(accountId, collection), id));
    },

    /** Merges top-level fields (null deletes one) and validates the whole record. */
    update(accountId: string, collection: string, id: string, patch: unknown): RecordView {
      const def = collections.byName(accountId, collection);
      const checked = checkPatch(def, patch);
      return toView(store.transaction(() => write(def, rowOf(def, id), checked)));
    },

    updateWhere(accountId: string, collection: string, filter: FilterInput, patch: unknown, options: { allowMany?: boolean } = {}) {
      const def = collections.byName(accountId, collection);
      const checked = checkPatch(def, patch);
      const where = whereOf(def, filter)!;
      return store.transaction(() => {
        const matched = store.countRecords(def.tableName, where);
        if (matched > maxAffected && !options.allowMany) throw tooMany(matched, "update");
        const records: RecordView[] = [];
        let updated = 0;
        let after = 0;
        for (;;) {
          const batch = store.matchingBatch(def.tableName, where, after, BATCH);
          for (const row of batch) {
            const written = write(def, row, checked);
            updated++;
            if (records.length < MAX_RETURNED) records.push(toView(written));
          }
          if (batch.length < BATCH) break;
          after = batch[batch.length - 1]!.seq;
        }
        return { updated, records };
      });
    },

    remove(accountId: string, collection: string, id: string): RecordView {
      const def = collections.byName(accountId, collection);
      return store.transaction(() => {
        const row = rowOf(def, id);
        store.deleteRecord(def.tableName, row.seq);
        return toView(row);
      });
    },

    removeWhere(accountId: string, collection: string, filter: FilterInput, options: { allowMany?: boolean } = {}): { deleted: number } {
      const def = collections.byName(accountId, collection);
      const where = whereOf(def, filter)!;
      return store.transaction(() => {
        const matched = store.countRecords(def.tableName, where);
        if (matched > maxAffected && !options.allowMany) throw tooMany(matched, "delete");
        return { deleted: store.deleteMatching(def.tableName, where) };
      });
    },

    /**
     * One page. Offset mode (no `cursor`): meta `{limit, offset, total}`, plus `next_cursor` when
     * the sort allows cursors. Cursor mode (`cursor`, "" for the first page): meta
     * `{limit, next_cursor, has_more}`; the sort may use only created_at, updated_at and id.
     */
    list(accountId: string, collection: string, options: ListOptions = {}): ListResult {
      const def = collections.byName(accountId, collection);
      const { limit, offset, sort, pick, where, query } = plan(def, options);
      if (options.cursor !== undefined) {
        const rows = store.selectRecords(def.tableName, { ...query, limit: limit + 1 });
        const hasMore = rows.length > limit;
        const page = hasMore ? rows.slice(0, limit) : rows;
        const next = hasMore ? cursorOf(sort, page[page.length - 1]!) : null;
        return { records: page.map((r) => toView(r, pick)), meta: { limit, next_cursor: next, has_more: hasMore } };
      }
      const rows = store.selectRecords(def.tableName, query);
      const total = store.countRecords(def.tableName, where);
      const meta: OffsetMeta = { limit, offset, total };
      if (sort.cursorable) meta.next_cursor = rows.length > 0 && offset + rows.length < total ? cursorOf(sort, rows[rows.length - 1]!) : null;
      return { records: rows.map((r) => toView(r, pick)), meta };
    },

    /**
     * The records of one page and nothing else (no total, no has_more): what query_records returns.
     * With a reader, while this thread is saturated, the rows are read on its thread (a promise);
     * checks and compiling stay here, so a bad filter or an unknown collection still throws at once.
     */
    select(accountId: string, collection: string, options: Omit<ListOptions, "cursor"> = {}): RecordView[] | Promise<RecordView[]> {
      const def = collections.byName(accountId, collection);
      const { pick, query } = plan(def, options);
      const here = () => store.selectRecords(def.tableName, query).map((r) => toView(r, pick));
      return reader?.worthIt() ? reader.select(def.tableName, query, pick, here) : here();
    },

    aggregate(accountId: string, collection: string, options: AggregateOptions): AggregateResult {
      const def = collections.byName(accountId, collection);
      const fn = options.function;
      if (!AGGREGATES.includes(fn)) throw badRequest(`Invalid function: one of ${AGGREGATES.join(", ")}`, { field: "function" });
      if (fn !== "count" && options.field === undefined) throw badRequest(`Invalid field: ${fn} needs a field`, { field: "field" });
      const field = options.field === undefined ? undefined : aggregateField(def, options.field, "field");
      const groupBy = options.group_by === undefined ? undefined : aggregateField(def, options.group_by, "group_by");
      const where = whereOf(def, options.filter);
      const rows = store.aggregate(def.tableName, { fn, field, where, groupBy, maxGroups: MAX_GROUPS });
      if (groupBy === undefined) return rows[0]?.value ?? null;
      if (rows.length > MAX_GROUPS) {
        throw badRequest(`group_by yields more than ${MAX_GROUPS} groups; narrow it with a filter`, { field: "group_by", limit: MAX_GROUPS });
      }
      return rows.map((r) => ({ group: r.grp === null || r.grp === undefined ? null : JSON.parse(r.grp), value: r.value }));
    },

    /** Checks a filter against a collection (e.g. when an action is saved). @throws AppError 400 */
    checkFilter(accountId: string, collection: string, source: string): void {
      compiled(collections.byName(accountId, collection), source);
    },

    /** EXPLAIN QUERY PLAN of the page query `list` would run (diagnostics). */
    explain(accountId: string, collection: string, options: ListOptions = {}): string[] {
      const def = collections.byName(accountId, collection);
      const { query, limit } = plan(def, options);
      return store.explain(def.tableName, { ...query, limit: options.cursor !== undefined ? limit + 1 : limit });
    },
  };
}
