/**
 * @module modules/executions/chunks
 * How history.db holds executions: in chunks, one row per run of records of one endpoint written
 * together, their JSON in one text. A row per record cost the history writer ~10 µs a record on
 * the echo bench (the table and its two indexes, then the same again when the cap deletes it),
 * and on two cores that came out of the requests: history on served ~0.76 of history off. A chunk
 * of a few hundred records is one insert and, later, one delete.
 *
 * A chunk holds the records of one account and endpoint, at most `maxRecords` of them (a tenth of
 * the cap, so trimming whole chunks keeps the cap to a tenth, as it was with rows), at most
 * ~256 KB of text, and started within `MAX_CHUNK_SPAN_MS` of each other: lookups by time (a
 * page, an id) then know how far before a time the chunk holding it may start.
 *
 * The record JSON is the record without `account_id` and `endpoint_id` (they are the chunk's
 * columns), its `steps` the stored JSON text as it is (history-batch.ts sanitized them). The
 * first key is `id`, which lets SQL find the chunk holding an id with `instr` (store.ts).
 */
import type { ExecutionRecord, StepRecord } from "./types";

/** A record as a chunk stores it: its steps as JSON text, already sanitized (history-batch.ts). */
export type StoredExecution = Omit<ExecutionRecord, "steps"> & { steps: string };

/** A chunk row. */
export interface Chunk {
  account_id: string;
  endpoint_id: string | null;
  /** Earliest and latest started_at of its records. */
  first_at: number;
  last_at: number;
  count: number;
  /** How many of its records failed: a status filter skips chunks without any. */
  failed: number;
  /** A JSON array of its records. */
  records: string;
}

/** Longest time between the first and the last start in one chunk. */
export const MAX_CHUNK_SPAN_MS = 5_000;

/** Records per chunk at most, whatever the cap. */
export const MAX_CHUNK_RECORDS = 500;

/** Text per chunk at most (a record larger than this gets a chunk of its own). */
const MAX_CHUNK_CHARS = 256 * 1024;

/** Records per chunk for a cap of `maxPerEndpoint`: a tenth of it, so whole-chunk trims keep the cap to a tenth. */
export function chunkRecordsFor(maxPerEndpoint: number | undefined): number {
  if (maxPerEndpoint === undefined) return MAX_CHUNK_RECORDS;
  return Math.max(1, Math.min(MAX_CHUNK_RECORDS, Math.ceil(maxPerEndpoint / 10)));
}

/**
 * The record's JSON without its account, endpoint and steps, then its steps' text. The fields are
 * set aside on the row while it is written and put back after: copying the rest into a new object
 * instead doubled the cost (history-slice.ts does the same).
 */
function recordJson(row: StoredExecution): string {
  const { account_id, endpoint_id, steps } = row;
  const loose = row as { account_id?: string; endpoint_id?: string | null; steps?: string };
  loose.account_id = undefined;
  loose.endpoint_id = undefined;
  loose.steps = undefined;
  try {
    const head = JSON.stringify(row);
    return `${head.slice(0, -1)},"steps":${steps}}`;
  } finally {
    loose.account_id = account_id;
    loose.endpoint_id = endpoint_id;
    loose.steps = steps;
  }
}

const byStart = (a: StoredExecution, b: StoredExecution) => a.started_at - b.started_at;

/** The chunks for rows written together: grouped by account and endpoint, in order of start. */
export function toChunks(rows: readonly StoredExecution[], maxRecords: number): Chunk[] {
  const limit = Math.max(1, Math.floor(maxRecords));
  const groups = new Map<string, StoredExecution[]>();
  for (const row of rows) {
    const key = row.endpoint_id === null ? `${row.account_id}\n` : `${row.account_id}\n${row.endpoint_id}`;
    const group = groups.get(key);
    if (group) group.push(row);
    else groups.set(key, [row]);
  }
  const chunks: Chunk[] = [];
  for (const group of groups.values()) {
    // Records are queued as calls end, so starts are nearly in order already.
    for (let i = 1; i < group.length; i++) {
      if (group[i]!.started_at < group[i - 1]!.started_at) {
        group.sort(byStart);
        break;
      }
    }
    let open: Chunk | undefined;
    for (const row of group) {
      const json = recordJson(row);
      const fits =
        open !== undefined &&
        open.count < limit &&
        row.started_at - open.first_at <= MAX_CHUNK_SPAN_MS &&
        open.records.length + json.length < MAX_CHUNK_CHARS;
      if (!fits) {
        if (open) chunks.push(close(open));
        open = { account_id: row.account_id, endpoint_id: row.endpoint_id, first_at: row.started_at, last_at: row.started_at, count: 0, failed: 0, records: "" };
      }
      const chunk = open!;
      chunk.records += chunk.count === 0 ? `[${json}` : `,${json}`;
      chunk.count++;
      if (row.status === "failed") chunk.failed++;
      chunk.last_at = row.started_at;
    }
    if (open) chunks.push(close(open));
  }
  return chunks;
}

function close(chunk: Chunk): Chunk {
  chunk.records += "]";
  return chunk;
}

/** A record as JSON.parse gives it back: what toChunks wrote, or what a migration built in SQL (nulls included). */
interface ChunkRecord {
  id: string;
  kind?: string;
  status: string;
  http_status?: number | null;
  error_code?: string | null;
  error_message?: string | null;
  method?: string | null;
  path?: string | null;
  client_ip?: string | null;
  key_prefix?: string | null;
  started_at: number;
  duration_ms: number;
  steps?: unknown;
}

function toRecord(item: ChunkRecord, accountId: string, endpointId: string | null): ExecutionRecord {
  const record: ExecutionRecord = {
    id: item.id,
    account_id: accountId,
    endpoint_id: endpointId,
    kind: "endpoint",
    status: item.status === "completed" ? "completed" : "failed",
    http_status: item.http_status ?? 0,
    method: item.method ?? "",
    path: item.path ?? "",
    started_at: item.started_at,
    duration_ms: item.duration_ms,
    steps: Array.isArray(item.steps) ? (item.steps as StepRecord[]) : [],
  };
  if (item.error_code != null) record.error_code = item.error_code;
  if (item.error_message != null) record.error_message = item.error_message;
  if (item.client_ip != null) record.client_ip = item.client_ip;
  if (item.key_prefix != null) record.key_prefix = item.key_prefix;
  return record;
}

/** The records of a chunk; none when its text is not a chunk's (it is then left to the retention pass). */
export function fromChunk(records: string, accountId: string, endpointId: string | null): ExecutionRecord[] {
  let items: unknown;
  try {
    items = JSON.parse(records);
  } catch {
    return [];
  }
  if (!Array.isArray(items)) return [];
  const out: ExecutionRecord[] = [];
  for (const item of items as ChunkRecord[]) {
    if (typeof item === "object" && item !== null && typeof item.id === "string" && typeof item.started_at === "number") {
      out.push(toRecord(item, accountId, endpointId));
    }
  }
  return out;
}

/** History's order: newest first, ties by id, highest first. */
export function newestFirst(a: { started_at: number; id: string }, b: { started_at: number; id: string }): number {
  return b.started_at - a.started_at || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
}
