/**
 * @module modules/collections/store
 * All SQL of collections and records. Each collection's records live in a table of their own,
 * `rec_<id>` (derived from the collection id, never from input):
 *
 *   seq INTEGER PRIMARY KEY   creation order: tie-breaker, cursor key, the rowid every index carries
 *   id TEXT UNIQUE            `rec_...`
 *   data TEXT                 the record's fields as a JSON object
 *   created_at, updated_at    unix milliseconds
 *
 * created_at never decreases along seq (an insert takes max(now, the newest created_at)), so
 * "ordered by created_at, ties by creation order" is exactly "ordered by seq": such sorts and
 * their cursors run on the primary key, and an index on a field serves `field = ? ORDER BY seq`
 * without sorting.
 *
 * Declared indexes are expression indexes on `json_extract("data", '$."f"')`, written by
 * `jsonPathField` exactly as filters write the field, so SQLite matches the two and uses the index.
 * Statements are prepared once per SQL text and kept in a bounded cache; the text of a page
 * SELECT is itself remembered per table, filter SQL and sort, so a repeated query builds nothing.
 */
import { Database as Sqlite, SQLiteError, type Statement } from "bun:sqlite";
import { jsonPathField, type FieldResolver, type Scalar } from "../../expr";
import type { Database } from "../../db/open";
import { returningOne } from "../../db/returning";
import type { IndexDef } from "./definition";

/** A stored collection row, raw (fields and indexes as JSON text). */
export interface CollectionRow {
  id: string;
  account_id: string;
  name: string;
  table_name: string;
  fields: string;
  indexes: string;
  created_at: number;
  updated_at: number;
}

/** A stored record row. */
export interface RecordRow {
  seq: number;
  id: string;
  data: string;
  created_at: number;
  updated_at: number;
}

/** A WHERE condition with positional parameters (a compiled filter's `toSql()`). */
export interface Where {
  sql: string;
  params: readonly Scalar[];
}

/** One ORDER BY key: a column or a data field path. */
export type SortKey = { column: "seq" | "id" | "updated_at"; desc: boolean } | { field: string; desc: boolean };

/** A page query; `after` (cursor values, one per sort key) and `offset` exclude each other. */
export interface RecordQuery {
  where?: Where;
  sort: readonly SortKey[];
  after?: readonly (string | number)[];
  limit: number;
  offset?: number;
}

export type AggregateFunction = "count" | "sum" | "avg" | "min" | "max";

export interface AggregateQuery {
  fn: AggregateFunction;
  field?: string;
  where?: Where;
  groupBy?: string;
  /** Most groups returned; the store fetches one more so the caller can tell there are more. */
  maxGroups: number;
}

/** A unique index refused a write (or could not be built): the fields it covers. */
export class UniqueViolation extends Error {
  override name = "UniqueViolation";
  constructor(readonly fields: string[]) {
    super(`unique constraint on ${fields.join(", ")}`);
  }
}

const TABLE = /^rec_[a-z0-9]{1,60}$/;
const STATEMENT_CACHE_SIZE = 500;
/** Filter SQL texts whose page SELECTs are remembered (all are forgotten when more come). */
const PAGE_TEXT_FILTERS = 1000;
const RECORD_COLUMNS = "seq, id, data, created_at, updated_at";

function checkTable(table: string): string {
  if (!TABLE.test(table)) throw new Error(`invalid records table '${table}'`);
  return `"${table}"`;
}

/** SQL of a data field path, or null when the path is not one (a resolver answers "unknown"). */
export function dataFieldSql(path: string): string | null {
  return jsonPathField("data", path);
}

/** SQL giving a unix-ms column as ISO 8601 text, exactly as `Date#toISOString` writes it. */
export function isoTimeSql(column: "created_at" | "updated_at"): string {
  return `(strftime('%Y-%m-%dT%H:%M:%S', "${column}" / 1000, 'unixepoch') || '.' || substr('00' || ("${column}" % 1000), -3) || 'Z')`;
}

/**
 * The filter resolver of a collection: `id` is the column, `created_at`/`updated_at` are their ISO
 * text (as records show them), anything else a path inside `data` when `isDataPath` accepts it.
 */
export function recordFilterFields(isDataPath: (path: string) => boolean): FieldResolver {
  const created = isoTimeSql("created_at");
  const updated = isoTimeSql("updated_at");
  return (name) => {
    if (name === "id") return `"id"`;
    if (name === "created_at") return created;
    if (name === "updated_at") return updated;
    return isDataPath(name) ? dataFieldSql(name) : null;
  };
}

function keySql(key: SortKey): string {
  if ("column" in key) return `"${key.column}"`;
  const sql = dataFieldSql(key.field);
  if (sql === null) throw new Error(`invalid sort field '${key.field}'`);
  return sql;
}

/** The quoted JSON path literal of a data field path (`'$."a"."b"'`), as jsonPathField writes it. */
function jsonPathLiteral(path: string): string {
  const extract = dataFieldSql(path);
  if (extract === null) throw new Error(`invalid field '${path}'`);
  return extract.slice(extract.indexOf("'"), extract.lastIndexOf(")"));
}

function checkAfter(query: RecordQuery) {
  if (query.after && query.after.length !== query.sort.length) throw new Error("cursor does not match the sort");
}

/** The text of a page SELECT: it depends on the filter's SQL, the sort and whether `after`/`offset` are given, not on values. */
function recordQuerySql(table: string, query: RecordQuery): string {
  const t = checkTable(table);
  checkAfter(query);
  const conditions: string[] = [];
  if (query.where) conditions.push(query.where.sql);
  if (query.after) {
    // Keyset: strictly after the last row in sort order (k1 > v1) OR (k1 = v1 AND k2 > v2) ...
    const alternatives = query.sort.map((key, i) => {
      const parts = query.sort.slice(0, i).map((earlier) => `${keySql(earlier)} = ?`);
      parts.push(`${keySql(key)} ${key.desc ? "<" : ">"} ?`);
      return parts.join(" AND ");
    });
    conditions.push(alternatives.length === 1 ? alternatives[0]! : `(${alternatives.map((a) => `(${a})`).join(" OR ")})`);
  }
  const where = conditions.length ? ` WHERE ${conditions.join(" AND ")}` : "";
  const order = query.sort.map((key) => `${keySql(key)}${key.desc ? " DESC" : ""}`).join(", ");
  return `SELECT ${RECORD_COLUMNS} FROM ${t}${where} ORDER BY ${order} LIMIT ?${query.offset ? " OFFSET ?" : ""}`;
}

/** The values of `recordQuerySql`'s placeholders, in order. */
function recordQueryParams(query: RecordQuery): Scalar[] {
  checkAfter(query);
  const params: Scalar[] = query.where ? [...query.where.params] : [];
  const after = query.after;
  if (after) {
    for (let i = 0; i < after.length; i++) {
      for (let j = 0; j <= i; j++) params.push(after[j]!);
    }
  }
  params.push(query.limit);
  if (query.offset) params.push(query.offset);
  return params;
}

/** The aggregate SELECT (see the records service for the semantics). */
export function buildAggregateQuery(table: string, query: AggregateQuery): { sql: string; params: Scalar[] } {
  const t = checkTable(table);
  let value: string;
  if (query.fn === "count") {
    value = query.field === undefined ? "count(*)" : `count(${dataFieldSql(query.field)})`;
  } else {
    if (query.field === undefined) throw new Error(`${query.fn} needs a field`);
    // Only JSON numbers count: missing, null, text, booleans, objects and arrays are ignored.
    const number = `(CASE WHEN json_type("data", ${jsonPathLiteral(query.field)}) IN ('integer', 'real') THEN ${dataFieldSql(query.field)} END)`;
    value = query.fn === "sum" ? `total(${number})` : `${query.fn}(${number})`;
  }
  const params: Scalar[] = [...(query.where?.params ?? [])];
  const where = query.where ? ` WHERE ${query.where.sql}` : "";
  if (query.groupBy === undefined) return { sql: `SELECT ${value} AS value FROM ${t}${where}`, params };
  const extract = dataFieldSql(query.groupBy);
  if (extract === null) throw new Error(`invalid group_by '${query.groupBy}'`);
  // Grouped by the value's JSON text (so true and 1 stay apart; JSON null counts as missing),
  // ordered as SQLite orders values (null, numbers, text), then by that text.
  const groupText = `NULLIF("data" -> ${jsonPathLiteral(query.groupBy)}, 'null')`;
  params.push(query.maxGroups + 1);
  return {
    sql: `SELECT ${groupText} AS grp, min(${extract}) AS ord, ${value} AS value FROM ${t}${where} GROUP BY grp ORDER BY ord, grp LIMIT ?`,
    params,
  };
}

export function createCollectionsStore(db: Database) {
  const sqlite: Sqlite = db.sqlite;

  // ---- page SELECT texts ------------------------------------------------------------------
  // The records service passes the same table and filter strings and the same sort arrays again
  // and again (it caches filters and sorts), so a page's SQL is found through maps keyed by them
  // (strings keep their hash, arrays are keyed by identity) instead of being rebuilt and hashed
  // anew on every query.
  const pageTexts = new Map<string, Map<string, WeakMap<readonly SortKey[], string[]>>>();
  let pageFilters = 0;
  function pageSql(table: string, query: RecordQuery): string {
    if (pageFilters >= PAGE_TEXT_FILTERS) {
      pageTexts.clear();
      pageFilters = 0;
    }
    let byFilter = pageTexts.get(table);
    if (!byFilter) pageTexts.set(table, (byFilter = new Map()));
    const filterSql = query.where?.sql ?? "";
    let bySort = byFilter.get(filterSql);
    if (!bySort) {
      byFilter.set(filterSql, (bySort = new WeakMap()));
      pageFilters++;
    }
    let texts = bySort.get(query.sort);
    if (!texts) bySort.set(query.sort, (texts = []));
    const variant = (query.after ? 1 : 0) + (query.offset ? 2 : 0);
    return (texts[variant] ??= recordQuerySql(table, query));
  }

  // ---- statement cache --------------------------------------------------------------------
  const statements = new Map<string, Statement>();
  function stmt(sql: string): Statement {
    let s = statements.get(sql);
    if (s) {
      statements.delete(sql); // most recently used goes last
      statements.set(sql, s);
      return s;
    }
    s = sqlite.prepare(sql);
    statements.set(sql, s);
    if (statements.size > STATEMENT_CACHE_SIZE) {
      const [oldest, old] = statements.entries().next().value!;
      statements.delete(oldest);
      old.finalize();
    }
    return s;
  }
  function forgetTable(table: string) {
    pageTexts.delete(table);
    const quoted = `"${table}"`;
    for (const [sql, s] of statements) {
      if (sql.includes(quoted)) {
        statements.delete(sql);
        s.finalize();
      }
    }
  }

  /** Runs `fn` and turns a unique-constraint failure on `table` into a UniqueViolation. */
  function guarded<T>(table: string, fn: () => T): T {
    try {
      return fn();
    } catch (error) {
      if (error instanceof SQLiteError && error.code === "SQLITE_CONSTRAINT_UNIQUE") {
        const index = /index '([^']+)'/.exec(error.message)?.[1];
        const fields = index ? indexFields(table, index) : null;
        throw new UniqueViolation(fields ?? ["id"]);
      }
      throw error;
    }
  }

  // ---- collections ------------------------------------------------------------------------
  const collectionColumns = "id, account_id, name, table_name, fields, indexes, created_at, updated_at";
  const byName = sqlite.prepare<CollectionRow, [string, string]>(`SELECT ${collectionColumns} FROM collections WHERE account_id = ? AND name = ?`);
  const listPage = sqlite.prepare<CollectionRow, [string, number, number]>(
    `SELECT ${collectionColumns} FROM collections WHERE account_id = ? ORDER BY name LIMIT ? OFFSET ?`,
  );
  const countForAccount = sqlite.prepare<{ n: number }, [string]>("SELECT count(*) AS n FROM collections WHERE account_id = ?");
  const insertCollection = sqlite.prepare<unknown, [string, string, string, string, string, string, number, number]>(
    `INSERT INTO collections (${collectionColumns}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const updateCollection = sqlite.prepare<CollectionRow, [string, string, string, number, string]>(
    `UPDATE collections SET name = ?, fields = ?, indexes = ?, updated_at = ? WHERE id = ? RETURNING ${collectionColumns}`,
  );
  const deleteCollection = sqlite.prepare<unknown, [string]>("DELETE FROM collections WHERE id = ?");
  const tableIndexes = sqlite.prepare<{ name: string; sql: string }, [string]>(
    "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL ORDER BY name",
  );
  const indexByName = sqlite.prepare<{ sql: string }, [string, string]>("SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND name = ?");

  /** The fields an index of ours covers, read back from its CREATE statement. */
  function indexFields(table: string, index: string): string[] | null {
    const row = indexByName.get(table, index);
    return row ? parseIndexSql(row.sql).fields : null;
  }

  return {
    /** Runs `fn` in one IMMEDIATE transaction (nested calls become savepoints). */
    transaction<T>(fn: () => T): T {
      return sqlite.transaction(fn).immediate();
    },

    collectionByName: (accountId: string, name: string) => byName.get(accountId, name),
    listCollections(accountId: string, limit: number, offset: number) {
      return { rows: listPage.all(accountId, limit, offset), total: countForAccount.get(accountId)!.n };
    },
    insertCollection(row: CollectionRow) {
      insertCollection.run(row.id, row.account_id, row.name, row.table_name, row.fields, row.indexes, row.created_at, row.updated_at);
    },
    updateCollection: (id: string, patch: { name: string; fields: string; indexes: string; updatedAt: number }) =>
      returningOne(updateCollection, patch.name, patch.fields, patch.indexes, patch.updatedAt, id)!,
    deleteCollection: (id: string) => void deleteCollection.run(id),

    // ---- DDL (call inside `transaction` so a failure changes nothing) ---------------------
    createRecordsTable(table: string) {
      const t = checkTable(table);
      sqlite.run(
        `CREATE TABLE ${t} (seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, data TEXT NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL)`,
      );
    },
    dropRecordsTable(table: string) {
      const t = checkTable(table);
      forgetTable(table);
      sqlite.run(`DROP TABLE IF EXISTS ${t}`);
    },

    /**
     * Makes the table's indexes exactly `wanted`: drops those no longer wanted, creates the missing
     * ones (named `<table>_i<n>`), keeps the rest untouched (no rebuild).
     * @throws UniqueViolation when a unique index cannot be built over existing duplicates.
     */
    syncIndexes(table: string, wanted: readonly IndexDef[]) {
      const t = checkTable(table);
      const key = (index: IndexDef) => `${index.unique}:${index.fields.join("\u0000")}`;
      const existing = tableIndexes.all(table).map((row) => ({ name: row.name, def: parseIndexSql(row.sql) }));
      const wantedKeys = new Set(wanted.map(key));
      let next = 1;
      for (const { name } of existing) {
        const ordinal = /_i(\d+)$/.exec(name);
        if (ordinal) next = Math.max(next, Number(ordinal[1]) + 1);
      }
      for (const { name, def } of existing) {
        if (!wantedKeys.has(key(def))) sqlite.run(`DROP INDEX "${name}"`);
      }
      const have = new Set(existing.map((e) => key(e.def)));
      for (const index of wanted) {
        if (have.has(key(index))) continue;
        const name = `${table}_i${next++}`;
        const columns = index.fields.map((f) => {
          const sql = dataFieldSql(f);
          if (sql === null) throw new Error(`invalid index field '${f}'`);
          return sql;
        });
        try {
          sqlite.run(`CREATE ${index.unique ? "UNIQUE " : ""}INDEX "${name}" ON ${t} (${columns.join(", ")})`);
        } catch (error) {
          if (error instanceof SQLiteError && error.code?.startsWith("SQLITE_CONSTRAINT")) throw new UniqueViolation(index.fields);
          throw error;
        }
      }
      forgetTable(table);
    },

    /** Names and definitions of the table's indexes (for diagnostics and tests). */
    listIndexes: (table: string) => tableIndexes.all(table).map((row) => ({ name: row.name, ...parseIndexSql(row.sql) })),

    /** How many records lack a value (missing or null) at `path`. */
    countMissing(table: string, path: string): number {
      const t = checkTable(table);
      const field = dataFieldSql(path);
      if (field === null) throw new Error(`invalid field '${path}'`);
      return (stmt(`SELECT count(*) AS n FROM ${t} WHERE ${field} IS NULL`).get() as { n: number }).n;
    },

    // ---- records ----------------------------------------------------------------------------
    /** Inserts a record; created_at is max(now, the newest record's created_at). */
    insertRecord(table: string, id: string, data: string, now: number): RecordRow {
      const t = checkTable(table);
      const sql =
        `INSERT INTO ${t} (id, data, created_at, updated_at) ` +
        `SELECT ?1, ?2, c, c FROM (SELECT max(?3, COALESCE((SELECT created_at FROM ${t} ORDER BY seq DESC LIMIT 1), 0)) AS c) ` +
        `RETURNING ${RECORD_COLUMNS}`;
      return guarded(table, () => returningOne(stmt(sql), id, data, now) as RecordRow);
    },
    recordById(table: string, id: string): RecordRow | null {
      return stmt(`SELECT ${RECORD_COLUMNS} FROM ${checkTable(table)} WHERE id = ?`).get(id) as RecordRow | null;
    },
    /** Replaces a record's data; updated_at never goes below created_at. */
    updateRecord(table: string, seq: number, data: string, now: number): RecordRow {
      const sql = `UPDATE ${checkTable(table)} SET data = ?, updated_at = max(?, created_at) WHERE seq = ? RETURNING ${RECORD_COLUMNS}`;
      return guarded(table, () => returningOne(stmt(sql), data, now, seq) as RecordRow);
    },
    deleteRecord(table: string, seq: number): void {
      stmt(`DELETE FROM ${checkTable(table)} WHERE seq = ?`).run(seq);
    },

    selectRecords(table: string, query: RecordQuery): RecordRow[] {
      return stmt(pageSql(table, query)).all(...recordQueryParams(query)) as RecordRow[];
    },
    countRecords(table: string, where?: Where): number {
      const t = checkTable(table);
      const sql = where ? `SELECT count(*) AS n FROM ${t} WHERE ${where.sql}` : `SELECT count(*) AS n FROM ${t}`;
      return (stmt(sql).get(...(where?.params ?? [])) as { n: number }).n;
    },
    /** Matching records after `afterSeq` in seq order: batches for updates over many records. */
    matchingBatch(table: string, where: Where, afterSeq: number, limit: number): RecordRow[] {
      const sql = `SELECT ${RECORD_COLUMNS} FROM ${checkTable(table)} WHERE (${where.sql}) AND seq > ? ORDER BY seq LIMIT ?`;
      return stmt(sql).all(...where.params, afterSeq, limit) as RecordRow[];
    },
    deleteMatching(table: string, where: Where): number {
      const sql = `DELETE FROM ${checkTable(table)} WHERE ${where.sql}`;
      return stmt(sql).run(...where.params).changes;
    },

    aggregate(table: string, query: AggregateQuery): { grp?: string | null; value: number | null }[] {
      const { sql, params } = buildAggregateQuery(table, query);
      return stmt(sql).all(...params) as { grp?: string | null; value: number | null }[];
    },

    /** EXPLAIN QUERY PLAN of a page query: one line per plan step. */
    explain(table: string, query: RecordQuery): string[] {
      // The very text a page query runs, so the plan shown is the plan used.
      const s = sqlite.prepare(`EXPLAIN QUERY PLAN ${pageSql(table, query)}`);
      try {
        return (s.all(...recordQueryParams(query)) as { detail: string }[]).map((r) => r.detail);
      } finally {
        s.finalize(); // an EXPLAIN statement left open keeps the schema locked (PRAGMA optimize fails)
      }
    },

    /** Forgets cached statements (e.g. before the database closes). */
    clearStatements() {
      for (const s of statements.values()) s.finalize();
      statements.clear();
    },
  };
}

export type CollectionsStore = ReturnType<typeof createCollectionsStore>;

/** Reads back uniqueness and field paths from a CREATE INDEX statement written by `syncIndexes`. */
export function parseIndexSql(sql: string): IndexDef {
  const unique = /^CREATE UNIQUE INDEX/i.test(sql);
  const fields: string[] = [];
  for (const match of sql.matchAll(/json_extract\("data", '\$((?:\."[A-Za-z0-9_]+"|\[\d+\])*)'\)/g)) {
    fields.push(match[1]!.replace(/\."([A-Za-z0-9_]+)"/g, ".$1").replace(/^\./, ""));
  }
  return { fields, unique };
}
