/**
 * @module modules/executions/store
 * All SQL of the execution history. Records are stored in chunks, many to a row (chunks.ts lays
 * them out). Every statement is prepared once: inserts run in batches from the history writer,
 * pages and lookups on every history request, and pruning in small batches from the writers'
 * cap (history-cap.ts) and retention, each walking an index of `execution_chunks` rather than
 * the table.
 */
import type { Database } from "../../db/open";
import { idTime } from "../../ids";
import { chunkRecordsFor, fromChunk, MAX_CHUNK_SPAN_MS, newestFirst, toChunks, type StoredExecution } from "./chunks";
import { decodeCursor, encodeCursor } from "./cursor";
import type { ExecutionRecord, ExecutionStatus } from "./types";

export type { StoredExecution };

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

export interface ExecutionsStoreOptions {
  /** Records per chunk at most (chunkRecordsFor: a tenth of the cap). */
  maxChunkRecords?: number;
}

// Stand-ins for "no bound".
const MAX_TIME = Number.MAX_SAFE_INTEGER;
const MIN_TIME = -Number.MAX_SAFE_INTEGER;
// Sorts after every id (ids are ASCII), so "before the start" includes every row at MAX_TIME.
const MAX_ID = "\u{10FFFF}";

/** Ids as newId writes them: what an execution id can be, and safe to look for in JSON text as is. */
const PLAIN_ID = /^[A-Za-z0-9_]{1,64}$/;

/**
 * The chunks of an endpoint that may hold records started in [?3, ?4], newest first. A chunk's
 * records started within MAX_CHUNK_SPAN_MS of its first, so one ending more than that after ?4
 * starts after it: ?5 is ?4 + MAX_CHUNK_SPAN_MS, an index range rather than a scan to the end.
 * `+account_id` keeps the planner off any other index: the account check is a filter.
 */
export const PAGE_CHUNKS_SQL = `SELECT rowid AS rid, first_at, last_at, count, failed FROM execution_chunks INDEXED BY execution_chunks_endpoint
  WHERE endpoint_id = ?1 AND last_at >= ?3 AND last_at <= ?5 AND first_at <= ?4 AND +account_id = ?2
  ORDER BY last_at DESC, rowid DESC`;

/**
 * The chunks that may hold the execution with id ?3: those whose time covers ?1, the time in the id,
 * which is its started_at (chunks converted from older versions cover a second more each side, for
 * ids taken a millisecond apart from the start). Under load that is about one chunk per busy
 * endpoint, each searched by `instr` in C.
 */
export const ID_CHUNKS_SQL = `SELECT endpoint_id, records FROM execution_chunks INDEXED BY execution_chunks_time
  WHERE first_at >= ?1 - ${MAX_CHUNK_SPAN_MS} AND first_at <= ?1 AND last_at >= ?1
    AND account_id = ?2 AND instr(records, ?3) > 0`;

/** An endpoint's chunks that ended before ?2, oldest first (age pruning). */
export const AGE_CHUNKS_SQL = `SELECT rowid AS rid, count FROM execution_chunks INDEXED BY execution_chunks_endpoint
  WHERE endpoint_id = ?1 AND last_at < ?2 ORDER BY last_at, rowid`;

/** AGE_CHUNKS_SQL for the records without an endpoint, indexed under NULL. */
export const AGE_CHUNKS_NO_ENDPOINT_SQL = `SELECT rowid AS rid, count FROM execution_chunks INDEXED BY execution_chunks_endpoint
  WHERE endpoint_id IS NULL AND last_at < ?1 ORDER BY last_at, rowid`;

/** An endpoint's chunks, newest first (pruning by count: where its newest `max` records end). */
export const NEWEST_CHUNKS_SQL = `SELECT rowid AS rid, last_at, count FROM execution_chunks INDEXED BY execution_chunks_endpoint
  WHERE endpoint_id = ?1 ORDER BY last_at DESC, rowid DESC`;

/** An endpoint's chunks before (?2 last_at, ?3 rowid), oldest first (pruning by count). */
export const OLDER_CHUNKS_SQL = `SELECT rowid AS rid, count FROM execution_chunks INDEXED BY execution_chunks_endpoint
  WHERE endpoint_id = ?1 AND last_at <= ?2 AND (last_at < ?2 OR rowid < ?3) ORDER BY last_at, rowid`;

type ChunkRef = { rid: number; count: number };

export function createExecutionsStore(db: Database, options: ExecutionsStoreOptions = {}) {
  const { sqlite } = db;
  const maxChunkRecords = options.maxChunkRecords ?? chunkRecordsFor(undefined);

  const insertChunk = sqlite.prepare<unknown, [string, string | null, number, number, number, number, string]>(
    "INSERT INTO execution_chunks (account_id, endpoint_id, first_at, last_at, count, failed, records) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
  );
  const insertAll = sqlite.transaction((records: readonly StoredExecution[]) => {
    for (const c of toChunks(records, maxChunkRecords)) insertChunk.run(c.account_id, c.endpoint_id, c.first_at, c.last_at, c.count, c.failed, c.records);
  });

  const idChunks = sqlite.prepare<{ endpoint_id: string | null; records: string }, [number, string, string]>(ID_CHUNKS_SQL);
  const pageChunks = sqlite.prepare<{ rid: number; first_at: number; last_at: number; count: number; failed: number }, [string, string, number, number, number]>(PAGE_CHUNKS_SQL);
  const chunkText = sqlite.prepare<{ records: string }, [number]>("SELECT records FROM execution_chunks WHERE rowid = ?1");

  const countEndpoint = sqlite.prepare<{ n: number }, [string]>("SELECT coalesce(sum(count), 0) AS n FROM execution_chunks WHERE endpoint_id = ?1");
  // Through the endpoint index too (`+account_id`): an endpoint id of another account finds nothing fast.
  const anyForEndpoint = sqlite.prepare<{ one: number }, [string, string]>(
    "SELECT 1 AS one FROM execution_chunks WHERE endpoint_id = ?1 AND +account_id = ?2 LIMIT 1",
  );

  const ageChunks = sqlite.prepare<ChunkRef, [string, number]>(AGE_CHUNKS_SQL);
  const ageChunksNoEndpoint = sqlite.prepare<ChunkRef, [number]>(AGE_CHUNKS_NO_ENDPOINT_SQL);
  const newestChunks = sqlite.prepare<ChunkRef & { last_at: number }, [string]>(NEWEST_CHUNKS_SQL);
  const olderChunks = sqlite.prepare<ChunkRef, [string, number, number]>(OLDER_CHUNKS_SQL);
  const deleteChunk = sqlite.prepare<unknown, [number]>("DELETE FROM execution_chunks WHERE rowid = ?1");

  /**
   * Deletes chunks in the order `chunks` yields them until `budget` records are gone (at least one
   * chunk, whatever its size); returns how many records. The chunks are read first and deleted
   * after: a statement is not stepped through rows it deletes.
   */
  function deleteChunks(chunks: Iterable<ChunkRef>, budget: number): number {
    const doomed: number[] = [];
    let records = 0;
    for (const chunk of chunks) {
      if (records >= budget) break;
      doomed.push(chunk.rid);
      records += chunk.count;
    }
    for (const rid of doomed) deleteChunk.run(rid);
    return records;
  }

  // Distinct endpoint ids one index seek at a time (a skip scan), instead of a GROUP BY over every chunk.
  const nextEndpoint = sqlite.prepare<{ endpoint_id: string }, [string]>(
    "SELECT endpoint_id FROM execution_chunks WHERE endpoint_id > ?1 ORDER BY endpoint_id LIMIT 1",
  );

  /**
   * A walk over the endpoints that each call goes on with: `step` deletes through `prune` until
   * `batch` records or `maxEndpoints` endpoints, and the next call starts with the endpoint it
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

  /**
   * Deletes, oldest first, about `batch` records (whole chunks, at least one) of one endpoint's
   * chunks beyond those holding its newest `maxPerEndpoint`; returns how many. What stays is at
   * least `maxPerEndpoint` and less than that plus a chunk. Finding the cut walks the chunks that
   * stay (a tenth of the cap each, chunks.ts).
   */
  function pruneEndpointBeyond(endpointId: string, maxPerEndpoint: number, batch: number): number {
    let kept = 0;
    let cut: { last_at: number; rid: number } | undefined;
    for (const chunk of newestChunks.iterate(endpointId)) {
      if (kept >= maxPerEndpoint) {
        cut = chunk;
        break;
      }
      kept += chunk.count;
    }
    if (!cut) return 0;
    // Everything from the cut down goes: the cut chunk itself and what is older (rowid <= cut's).
    return deleteChunks(olderChunks.iterate(endpointId, cut.last_at, cut.rid + 1), batch);
  }

  const freePages = sqlite.prepare<{ freelist_count: number }, []>("PRAGMA freelist_count");
  const checkpoint = sqlite.prepare<{ busy: number; log: number; checkpointed: number }, []>("PRAGMA wal_checkpoint(TRUNCATE)");

  return {
    /** Inserts records (steps as stored JSON text) in one transaction: all or none. */
    insertRows(rows: readonly StoredExecution[]): void {
      if (rows.length) insertAll(rows);
    },

    /** Inserts records as they are (tests, tools): all or none. */
    insertMany(records: readonly ExecutionRecord[]): void {
      if (records.length) insertAll(records.map((r) => ({ ...r, steps: JSON.stringify(r.steps) })));
    },

    /**
     * One execution, only if it belongs to the account. Its id holds its start (ids.ts), so the
     * chunks to look in are the few around that time, and SQL looks for the id in their text.
     */
    get(accountId: string, id: string): ExecutionRecord | undefined {
      const at = PLAIN_ID.test(id) ? idTime(id) : undefined;
      if (at === undefined) return undefined;
      for (const chunk of idChunks.all(at, accountId, `"id":"${id}"`)) {
        const found = fromChunk(chunk.records, accountId, chunk.endpoint_id).find((r) => r.id === id);
        if (found) return found;
      }
      return undefined;
    },

    /**
     * One page of an endpoint's history, newest first (by started_at, then id). Chunks come newest
     * end first; their records are merged until no chunk left can hold one that belongs on the
     * page (chunks of one endpoint may overlap in time: a slow call is recorded after faster ones).
     */
    listForEndpoint(accountId: string, endpointId: string, options: ListOptions): ExecutionPage {
      const after = options.cursor === undefined ? { startedAt: MAX_TIME, id: MAX_ID } : decodeCursor(options.cursor);
      const from = options.from ?? MIN_TIME;
      const to = options.to ?? MAX_TIME;
      const upTo = Math.min(to, after.startedAt);
      const status = options.status;
      const want = options.limit + 1;
      let rows: ExecutionRecord[] = [];
      const seen = new Set<string>();
      const upper = Math.min(upTo + MAX_CHUNK_SPAN_MS, MAX_TIME);
      for (const chunk of pageChunks.iterate(endpointId, accountId, from, upTo, upper)) {
        if (rows.length >= want && chunk.last_at < rows[want - 1]!.started_at) break;
        if (status === "failed" ? chunk.failed === 0 : status === "completed" && chunk.failed === chunk.count) continue;
        const text = chunkText.get(chunk.rid);
        if (!text) continue;
        for (const rec of fromChunk(text.records, accountId, endpointId)) {
          // Within [from, upTo], and strictly after the cursor where it shares its millisecond.
          if (rec.started_at < from || rec.started_at > upTo || (status !== undefined && rec.status !== status)) continue;
          if (rec.started_at === after.startedAt && rec.id >= after.id) continue;
          // A record stored twice (a slice written again after the writer thread died) shows once.
          if (seen.has(rec.id)) continue;
          seen.add(rec.id);
          rows.push(rec);
        }
        rows.sort(newestFirst);
        if (rows.length > want) rows = rows.slice(0, want);
      }
      const has_more = rows.length > options.limit;
      if (has_more) rows.length = options.limit;
      const last = rows[rows.length - 1];
      return {
        rows,
        next_cursor: has_more && last ? encodeCursor({ startedAt: last.started_at, id: last.id }) : null,
        has_more,
      };
    },

    /** True when the account has any history for the endpoint (it may have been deleted since). */
    hasForEndpoint: (accountId: string, endpointId: string) => anyForEndpoint.get(endpointId, accountId) !== null,

    /** Records of an endpoint, whatever the account (for tests and diagnostics). */
    countForEndpoint: (endpointId: string) => countEndpoint.get(endpointId)!.n,

    /**
     * Deletes about `batch` records (whole chunks) that ended before `cutoffMs`, oldest first within
     * each endpoint; returns how many. Called again until it returns less than `batch`: each call
     * goes on from the endpoint the last one stopped at, so a pass seeks each endpoint about once.
     * A chunk goes once its last record is older than the cutoff.
     */
    pruneOlderThan(cutoffMs: number, batch: number): number {
      // Records without an endpoint first, at the start of each walk: the skip scan does not reach NULL.
      const orphans = ageWalk.starting() ? deleteChunks(ageChunksNoEndpoint.iterate(cutoffMs), batch) : 0;
      if (orphans >= batch) return orphans;
      return orphans + ageWalk.step((endpointId, left) => deleteChunks(ageChunks.iterate(endpointId, cutoffMs), left), batch - orphans).deleted;
    },

    /**
     * Deletes about `batch` records beyond the newest `maxPerEndpoint` of each endpoint (see
     * pruneEndpointBeyond), looking at `maxEndpoints` endpoints at most. Each call goes on from
     * the endpoint the last one stopped at; `done` once the walk has been through them all (the
     * next call starts over).
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
