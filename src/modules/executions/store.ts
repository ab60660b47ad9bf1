/**
 * @module modules/executions/store
 * All SQL of the execution history. Every statement is prepared once: inserts run in batches
 * from the recorder, lists on every history page, and pruning in small batches from retention,
 * each walking an index of `executions` (endpoint_id+started_at, or the id) rather than the table.
 */
import type { Database } from "../../db/open";
import { decodeCursor, encodeCursor } from "./cursor";
import type { ExecutionRecord, ExecutionStatus, StepRecord } from "./types";

/** A row as SQLite returns it (the columns are snake_case already). */
interface ExecutionRow {
  id: string;
  account_id: string;
  endpoint_id: string | null;
  kind: string;
  status: string;
  http_status: number | null;
  error_code: string | null;
  error_message: string | null;
  method: string | null;
  path: string | null;
  client_ip: string | null;
  key_prefix: string | null;
  started_at: number;
  duration_ms: number;
  steps: string;
}

/** Filters and position of one page of an endpoint's history. */
export interface ListOptions {
  status?: ExecutionStatus;
  /** Inclusive lower bound on started_at (unix ms). */
  from?: number;
  /** Inclusive upper bound on started_at (unix ms). */
  to?: number;
  /** From a previous page's `next_cursor`; throws InvalidCursorError when it is not one. */
  cursor?: string;
  limit: number;
}

export interface ExecutionPage {
  rows: ExecutionRecord[];
  /** Null on the last page. */
  next_cursor: string | null;
  has_more: boolean;
}

const COLUMNS =
  "id, account_id, endpoint_id, kind, status, http_status, error_code, error_message, method, path, client_ip, key_prefix, started_at, duration_ms, steps";

// Stand-ins for "no bound": one prepared statement serves every combination of filters.
const MAX_TIME = Number.MAX_SAFE_INTEGER;
const MIN_TIME = -Number.MAX_SAFE_INTEGER;
// Sorts after every id (ids are ASCII), so "before the start" includes every row at MAX_TIME.
const MAX_ID = "\u{10FFFF}";

function parseSteps(text: string): StepRecord[] {
  try {
    const steps = JSON.parse(text) as unknown;
    return Array.isArray(steps) ? (steps as StepRecord[]) : [];
  } catch {
    return [];
  }
}

function toRecord(row: ExecutionRow): ExecutionRecord {
  const record: ExecutionRecord = {
    id: row.id,
    account_id: row.account_id,
    endpoint_id: row.endpoint_id,
    kind: "endpoint",
    status: row.status === "completed" ? "completed" : "failed",
    http_status: row.http_status ?? 0,
    method: row.method ?? "",
    path: row.path ?? "",
    started_at: row.started_at,
    duration_ms: row.duration_ms,
    steps: parseSteps(row.steps),
  };
  if (row.error_code !== null) record.error_code = row.error_code;
  if (row.error_message !== null) record.error_message = row.error_message;
  if (row.client_ip !== null) record.client_ip = row.client_ip;
  if (row.key_prefix !== null) record.key_prefix = row.key_prefix;
  return record;
}

type Bind = string | number | null;

/** A record as a row holds it: its steps as JSON text, already sanitized (history-batch.ts). */
export type StoredExecution = Omit<ExecutionRecord, "steps"> & { steps: string };

/**
 * One keyset page, newest first. The index (endpoint_id, started_at) gives the range
 * `from <= started_at <= min(to, cursor)`; `id < ?6` only breaks ties at the cursor's millisecond.
 * `+account_id` keeps the planner off the account index, which would read every endpoint of the
 * account: the account check is a filter on the few rows the endpoint range yields.
 */
export const LIST_PAGE_SQL = `SELECT ${COLUMNS} FROM executions
  WHERE endpoint_id = ?1 AND +account_id = ?2
    AND started_at >= ?3 AND started_at <= ?4
    AND started_at <= ?5 AND (started_at < ?5 OR id < ?6)
    AND (?7 IS NULL OR status = ?7)
  ORDER BY started_at DESC, id DESC
  LIMIT ?8`;

/** An endpoint's executions started before ?2, oldest first, at most ?3 (age pruning). */
export const PRUNE_AGE_SQL = `DELETE FROM executions WHERE rowid IN (
  SELECT rowid FROM executions INDEXED BY executions_endpoint_started
   WHERE endpoint_id = ?1 AND started_at < ?2 ORDER BY started_at LIMIT ?3)`;

/** PRUNE_AGE_SQL for the rows without an endpoint, indexed under NULL. */
export const PRUNE_AGE_NO_ENDPOINT_SQL = `DELETE FROM executions WHERE rowid IN (
  SELECT rowid FROM executions INDEXED BY executions_endpoint_started
   WHERE endpoint_id IS NULL AND started_at < ?1 ORDER BY started_at LIMIT ?2)`;

/** An endpoint's executions up to (?2 started_at, ?3 rowid) in index order (pruning by count). */
export const PRUNE_THROUGH_SQL = `DELETE FROM executions INDEXED BY executions_endpoint_started
  WHERE endpoint_id = ?1 AND started_at <= ?2 AND (started_at < ?2 OR rowid <= ?3)`;

export function createExecutionsStore(db: Database) {
  const { sqlite } = db;

  const insert = sqlite.prepare<unknown, Bind[]>(
    `INSERT INTO executions (${COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)`,
  );
  const insertAll = sqlite.transaction((records: readonly StoredExecution[]) => {
    for (const r of records) {
      insert.run(
        r.id,
        r.account_id,
        r.endpoint_id,
        r.kind,
        r.status,
        r.http_status,
        r.error_code ?? null,
        r.error_message ?? null,
        r.method,
        r.path,
        r.client_ip ?? null,
        r.key_prefix ?? null,
        r.started_at,
        r.duration_ms,
        r.steps,
      );
    }
  });

  const byId = sqlite.prepare<ExecutionRow, [string, string]>(`SELECT ${COLUMNS} FROM executions WHERE id = ?1 AND account_id = ?2`);

  const page = sqlite.prepare<ExecutionRow, [string, string, number, number, number, string, string | null, number]>(LIST_PAGE_SQL);

  const countEndpoint = sqlite.prepare<{ n: number }, [string]>("SELECT COUNT(*) AS n FROM executions WHERE endpoint_id = ?1");
  // Through the endpoint index too (`+account_id`): an endpoint id of another account finds nothing fast.
  const anyForEndpoint = sqlite.prepare<{ one: number }, [string, string]>(
    "SELECT 1 AS one FROM executions WHERE endpoint_id = ?1 AND +account_id = ?2 LIMIT 1",
  );

  // By age, one endpoint at a time through the endpoint index, oldest first; deleting by rowid
  // touches only the rows chosen. Rows without an endpoint are indexed too (under NULL).
  const pruneAgeEndpoint = sqlite.prepare<unknown, [string, number, number]>(PRUNE_AGE_SQL);
  const pruneAgeNoEndpoint = sqlite.prepare<unknown, [number, number]>(PRUNE_AGE_NO_ENDPOINT_SQL);

  // Distinct endpoint ids one index seek at a time (a skip scan), instead of a GROUP BY over every row.
  const nextEndpoint = sqlite.prepare<{ endpoint_id: string }, [string]>(
    "SELECT endpoint_id FROM executions WHERE endpoint_id > ?1 ORDER BY endpoint_id LIMIT 1",
  );

  /**
   * A walk over the endpoints that each call goes on with: `step` deletes through `prune` until
   * `batch` rows or `maxEndpoints` endpoints, and the next call starts with the endpoint it
   * stopped at (a full batch may have left more of it). `done` once the walk went through them
   * all; the next call starts over. Used by age and count pruning, which each keep their own.
   */
  function endpointWalk() {
    /** The last endpoint finished ("" before the first). */
    let after = "";
    return {
      starting: () => after === "",
      step(prune: (endpointId: string, left: number) => number, batch: number, maxEndpoints = Infinity): { deleted: number; done: boolean } {
        let deleted = 0;
        let finished = after;
        let endpoint = nextEndpoint.get(finished);
        for (let looked = 0; endpoint && deleted < batch && looked < maxEndpoints; looked++) {
          deleted += prune(endpoint.endpoint_id, batch - deleted);
          if (deleted >= batch) break;
          finished = endpoint.endpoint_id;
          endpoint = nextEndpoint.get(finished);
        }
        after = endpoint ? finished : "";
        return { deleted, done: !endpoint };
      },
    };
  }
  const ageWalk = endpointWalk();
  const countWalk = endpointWalk();
  // The newest row that must go: the (max+1)th newest. The index holds (endpoint_id, started_at,
  // rowid), so this is a walk of `max` index entries and no table reads.
  const boundary = sqlite.prepare<{ started_at: number; rid: number }, [string, number]>(
    `SELECT started_at, rowid AS rid FROM executions INDEXED BY executions_endpoint_started
      WHERE endpoint_id = ?1 ORDER BY started_at DESC, rowid DESC LIMIT 1 OFFSET ?2`,
  );
  // The `n+1`th oldest, the last row a delete of `batch` (= n+1) may take: a walk of `batch` entries.
  const oldestNth = sqlite.prepare<{ started_at: number; rid: number }, [string, number]>(
    `SELECT started_at, rowid AS rid FROM executions INDEXED BY executions_endpoint_started
      WHERE endpoint_id = ?1 ORDER BY started_at, rowid LIMIT 1 OFFSET ?2`,
  );
  // Everything of the endpoint up to a row, in index order. A plain range delete: ~0.5 µs a row
  // cheaper than `rowid IN (SELECT … ORDER BY … LIMIT n)`, which fills a temporary b-tree first.
  const pruneEndpointThrough = sqlite.prepare<unknown, [string, number, number]>(PRUNE_THROUGH_SQL);

  /**
   * Deletes at most `batch` of one endpoint's executions beyond its newest `maxPerEndpoint`,
   * oldest first; returns how many. Finding the cut walks `maxPerEndpoint` index entries.
   */
  function pruneEndpointBeyond(endpointId: string, maxPerEndpoint: number, batch: number): number {
    const edge = boundary.get(endpointId, maxPerEndpoint);
    if (!edge) return 0;
    const last = oldestNth.get(endpointId, Math.max(1, batch) - 1);
    const upTo = last && (last.started_at < edge.started_at || (last.started_at === edge.started_at && last.rid < edge.rid)) ? last : edge;
    return pruneEndpointThrough.run(endpointId, upTo.started_at, upTo.rid).changes;
  }

  const freePages = sqlite.prepare<{ freelist_count: number }, []>("PRAGMA freelist_count");
  const checkpoint = sqlite.prepare<{ busy: number; log: number; checkpointed: number }, []>("PRAGMA wal_checkpoint(TRUNCATE)");

  return {
    /** Inserts rows in one transaction: all or none. */
    insertRows(rows: readonly StoredExecution[]): void {
      if (rows.length) insertAll(rows);
    },

    /** Inserts records as they are (tests, tools): all or none. */
    insertMany(records: readonly ExecutionRecord[]): void {
      if (records.length) insertAll(records.map((r) => ({ ...r, steps: JSON.stringify(r.steps) })));
    },

    /** One execution, only if it belongs to the account. */
    get(accountId: string, id: string): ExecutionRecord | undefined {
      const row = byId.get(id, accountId);
      return row ? toRecord(row) : undefined;
    },

    /** One page of an endpoint's history, newest first (by started_at, then id). */
    listForEndpoint(accountId: string, endpointId: string, options: ListOptions): ExecutionPage {
      const after = options.cursor === undefined ? { startedAt: MAX_TIME, id: MAX_ID } : decodeCursor(options.cursor);
      const rows = page.all(
        endpointId,
        accountId,
        options.from ?? MIN_TIME,
        options.to ?? MAX_TIME,
        after.startedAt,
        after.id,
        options.status ?? null,
        options.limit + 1,
      );
      const has_more = rows.length > options.limit;
      if (has_more) rows.length = options.limit;
      const last = rows[rows.length - 1];
      return {
        rows: rows.map(toRecord),
        next_cursor: has_more && last ? encodeCursor({ startedAt: last.started_at, id: last.id }) : null,
        has_more,
      };
    },

    /** True when the account has any history for the endpoint (it may have been deleted since). */
    hasForEndpoint: (accountId: string, endpointId: string) => anyForEndpoint.get(endpointId, accountId) !== null,

    /** Rows of an endpoint, whatever the account (for tests and diagnostics). */
    countForEndpoint: (endpointId: string) => countEndpoint.get(endpointId)!.n,

    /**
     * Deletes at most `batch` executions started before `cutoffMs`, oldest first within each
     * endpoint; returns how many. Called again until it returns less than `batch`: each call goes
     * on from the endpoint the last one stopped at, so a pass seeks each endpoint about once.
     */
    pruneOlderThan(cutoffMs: number, batch: number): number {
      // Rows without an endpoint first, at the start of each walk: the skip scan does not reach NULL.
      const orphans = ageWalk.starting() ? pruneAgeNoEndpoint.run(cutoffMs, batch).changes : 0;
      if (orphans >= batch) return orphans;
      return orphans + ageWalk.step((endpointId, left) => pruneAgeEndpoint.run(endpointId, cutoffMs, left).changes, batch - orphans).deleted;
    },

    /**
     * Deletes at most `batch` executions beyond the newest `maxPerEndpoint` of each endpoint,
     * oldest first, looking at `maxEndpoints` endpoints at most (each look walks `maxPerEndpoint`
     * index entries, so this is what bounds a call that finds nothing to delete). Each call goes on
     * from the endpoint the last one stopped at; `done` once the walk has been through them all
     * (the next call starts over).
     */
    pruneBeyondCount(maxPerEndpoint: number, batch: number, maxEndpoints = Infinity): { deleted: number; done: boolean } {
      return countWalk.step((endpointId, left) => pruneEndpointBeyond(endpointId, maxPerEndpoint, left), batch, maxEndpoints);
    },

    pruneEndpointBeyond,

    /** Pages on the free list: what incremental_vacuum can give back to the file system. */
    freePages: () => freePages.get()!.freelist_count,

    /** Moves up to `pages` free pages (all when 0) to the end of the file and truncates it. */
    incrementalVacuum(pages = 0): void {
      const n = Math.max(0, Math.floor(pages));
      // The pragma frees one page per step of its statement, so every row must be read.
      sqlite.query(`PRAGMA incremental_vacuum(${n})`).all();
    },

    /**
     * Copies the WAL into the database and truncates it to zero bytes; `busy` is 1 when a reader
     * kept it from finishing (it is retried on the next run).
     */
    checkpoint: () => checkpoint.get()!,
  };
}

export type ExecutionsStore = ReturnType<typeof createExecutionsStore>;
