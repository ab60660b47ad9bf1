/**
 * @module modules/executions/history-batch
 * Turns queued execution records into rows: each is sanitized (secrets scrubbed, results cut)
 * and inserted in transactions of at most `maxBatch`; when a transaction fails, its records are
 * retried one by one so one bad record loses only itself. Shared by the in-thread recorder and
 * the history writer thread, which must store exactly the same thing.
 */
import type { LogFields, Logger, LogLevel } from "../../log";
import { sanitizeHead, sanitizeRecord } from "./sanitize";
import { storedSteps } from "./stored-steps";
import type { StoredExecution } from "./store";
import type { ExecutionRecord } from "./types";

/** A record as the dispatcher queued it, with the credential values its call used. */
export interface QueuedExecution {
  rec: ExecutionRecord;
  secrets: readonly string[];
}

/** A queued record on its way to the database: its steps travel as JSON text (stored-steps.ts). */
export interface PendingExecution {
  rec: Omit<ExecutionRecord, "steps">;
  secrets: readonly string[];
  steps: string;
}

/**
 * A record's steps as JSON text. Records are JSON data but for what an action may return (a
 * bigint, a cycle); such a record is sanitized first, which makes it JSON-safe, and redaction
 * follows JSON semantics either way, so what is stored is the same.
 */
export function stepsJson({ rec, secrets }: QueuedExecution, maxResultBytes: number): string {
  try {
    return JSON.stringify(rec.steps);
  } catch {
    return JSON.stringify(sanitizeRecord(rec, secrets, maxResultBytes).steps);
  }
}

/** The record with its steps as JSON text. */
function toPending(queued: QueuedExecution, maxResultBytes: number): PendingExecution {
  const { steps: _, ...head } = queued.rec;
  return { rec: head, secrets: queued.secrets, steps: stepsJson(queued, maxResultBytes) };
}

/** How records are written: transactions of at most `maxBatch`, step results cut past `maxResultBytes`. */
export interface HistoryBatchOptions {
  maxBatch: number;
  maxResultBytes: number;
  /**
   * Called after every `PAUSE_EVERY` records prepared and after every transaction: the writer
   * thread gives its core up there for a moment (history-worker.ts). Never given in the request
   * thread, which must not wait.
   */
  pause?: () => void;
}

/** Records prepared between two `pause()` calls: ~0.3 ms of the writer thread's work. */
export const PAUSE_EVERY = 100;

/**
 * Where rows go: the store's insert, and what must follow each insert (history-cap.ts keeps each
 * endpoint under its cap there). `afterInsert` may throw: that is logged and the rows stay.
 */
export interface HistoryTarget {
  insertRows(rows: readonly StoredExecution[]): void;
  afterInsert?(rows: readonly StoredExecution[]): void;
}

export type HistoryLog = (level: Exclude<LogLevel, "debug" | "info">, msg: string, fields: LogFields) => void;

/** A HistoryLog writing to `logger` (in the thread that owns the logger). */
export const historyLogTo = (logger: Logger): HistoryLog => (level, msg, fields) => logger[level](msg, fields);

export function writeExecutions(
  store: HistoryTarget,
  pending: readonly PendingExecution[],
  options: HistoryBatchOptions,
  log: HistoryLog,
): void {
  const { pause } = options;
  for (let start = 0; start < pending.length; start += options.maxBatch) {
    const batch: StoredExecution[] = [];
    const end = Math.min(pending.length, start + options.maxBatch);
    for (let i = start; i < end; i++) {
      const { rec, secrets, steps } = pending[i]!;
      try {
        batch.push({ ...sanitizeHead(rec, secrets), steps: storedSteps(steps, secrets, options.maxResultBytes) });
      } catch (error) {
        log("error", "could not prepare execution record", { execution_id: rec.id, error: (error as Error).message });
      }
      if (pause && (i + 1 - start) % PAUSE_EVERY === 0) pause();
    }
    if (batch.length === 0) continue;
    insert(store, batch, log);
    try {
      store.afterInsert?.(batch);
    } catch (error) {
      log("error", "execution history trim failed", { error: (error as Error).message });
    }
    pause?.();
  }
}

/** writeExecutions for records straight from the recorder's queue (the sinks that write in this thread). */
export function writeQueued(
  store: HistoryTarget,
  queued: readonly QueuedExecution[],
  options: HistoryBatchOptions,
  log: HistoryLog,
): void {
  writeExecutions(store, queued.map((q) => toPending(q, options.maxResultBytes)), options, log);
}

function insert(store: HistoryTarget, batch: StoredExecution[], log: HistoryLog) {
  try {
    store.insertRows(batch);
    return;
  } catch (error) {
    if (batch.length === 1) {
      // Only the id and the driver's message: record content may hold what we could not scrub.
      log("error", "could not record execution", { execution_id: batch[0]!.id, error: (error as Error).message });
      return;
    }
  }
  let failed = 0;
  let lastError = "";
  for (const rec of batch) {
    try {
      store.insertRows([rec]);
    } catch (error) {
      failed++;
      lastError = (error as Error).message;
    }
  }
  if (failed) log("error", "could not record executions", { failed, of: batch.length, error: lastError });
}
