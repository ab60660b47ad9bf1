/**
 * @module modules/executions/history-thread
 * The server's history sink: a worker thread (history-worker.ts) with its own database connection
 * sanitizes and inserts execution records, so the request thread only queues them and posts a
 * slice now and then. Measured on the echo bench, writing history in the request thread cost a
 * quarter of each call; here it costs the post.
 *
 * The thread starts with the first slice (an idle server has none) and never keeps the process
 * alive. `settle()` waits (bounded) on shared memory until the thread has stored every slice
 * posted, so `flush()` keeps its meaning: once it returns, the history is in the database. If the
 * thread cannot start or dies, slices are written in this thread instead, and that is logged. The
 * slices posted but not yet reported stored are kept (as the JSON text posted, which the garbage
 * collector need not trace) and written here when the thread fails, so a failure loses none of them.
 */
import { startBackgroundWorker, type WorkerModule } from "../../background-worker";
import type { Logger } from "../../log";
import { historyLogTo, writeExecutions, type QueuedExecution } from "./history-batch";
import { CLOSED, DONE_SEQ, FAILED, SLOTS, type HistoryWorkerLog, type HistoryWorkerMessage } from "./history-protocol";
import type { HistorySink } from "./recorder";
import { sanitizeRecord } from "./sanitize";
import type { ExecutionsStore } from "./store";

export interface HistoryThreadOptions {
  /** The history database file, already opened and migrated (the thread opens its own connection to it). */
  path: string;
  synchronous: "NORMAL" | "FULL";
  /** Records per transaction when the slices are written in this thread (the thread failed). */
  maxBatch: number;
  maxResultBytes: number;
  /** Longest `settle()` waits for the thread before giving up (and saying so). */
  settleTimeoutMs?: number;
  /** The thread's module; tests give one that fails. */
  worker?: WorkerModule;
}

/** Records posted to the thread at once. */
const SLICE_SIZE = 1000;

/**
 * Records are handed over every 2 ms. Queued records that live longer are promoted by the garbage
 * collector and must then be traced by every collection: at 50 ms (the in-thread default) that
 * cost the request thread ~15 µs per call on the echo bench, at 2 ms ~3 µs. The thread holds the
 * slices it receives and commits them together (history-worker.ts).
 */
const FLUSH_INTERVAL_MS = 2;

/**
 * Records per transaction in the thread, which stalls no request: fuller commits write fewer WAL
 * pages per record (history-worker.ts). In this thread, the caller's smaller `maxBatch` applies.
 */
const THREAD_BATCH = 500;

/**
 * Unconfirmed slices kept for a rewrite. The thread confirms every ~20 ms, so a few dozen are held
 * at a time; past this bound (a thread far behind) the oldest copies are let go, and a failure then
 * reports them as lost rather than memory growing with the backlog.
 */
const MAX_UNCONFIRMED = 256;

const WORKER: WorkerModule = { source: new URL("./history-worker.ts", import.meta.url), inBinary: "./modules/executions/history-worker.ts" };

/**
 * The slice as JSON. Records are JSON data but for what an action may return (a bigint, a cycle);
 * such a slice is sanitized here first, which makes it JSON-safe. Redaction follows JSON semantics
 * either way, so the thread stores what the request thread would have.
 */
function toJson(queued: QueuedExecution[], maxResultBytes: number): string {
  try {
    return JSON.stringify(queued);
  } catch {
    return JSON.stringify(queued.map(({ rec, secrets }) => ({ rec: sanitizeRecord(rec, secrets, maxResultBytes), secrets })));
  }
}

export function createHistoryThread(fallbackStore: Pick<ExecutionsStore, "insertMany">, logger: Logger, options: HistoryThreadOptions): HistorySink {
  const settleTimeoutMs = options.settleTimeoutMs ?? 10_000;
  const shared = new Int32Array(new SharedArrayBuffer(SLOTS * Int32Array.BYTES_PER_ELEMENT));
  const batchOptions = { maxBatch: options.maxBatch, maxResultBytes: options.maxResultBytes };
  let worker: Worker | undefined;
  let failed = false;
  let closed = false;
  let posted = 0;
  /** Slices posted and not yet reported stored, oldest first, as posted. */
  let unconfirmed: { seq: number; queued: string }[] = [];
  /** Unconfirmed slices let go past MAX_UNCONFIRMED: lost if the thread then fails. */
  let letGo = 0;

  const log = historyLogTo(logger);
  const writeHere = (queued: QueuedExecution[]) => writeExecutions(fallbackStore, queued, batchOptions, log);

  function start(): Worker | undefined {
    if (worker || failed) return worker;
    worker = startBackgroundWorker<HistoryWorkerLog>(options.worker ?? WORKER, {
      message: ({ level, msg, fields }) => logger[level](msg, { ...fields, thread: "history" }),
      fail,
    });
    if (!worker) return undefined;
    const open: HistoryWorkerMessage = { type: "open", path: options.path, synchronous: options.synchronous, done: shared, ...batchOptions, maxBatch: THREAD_BATCH };
    worker.postMessage(open);
    return worker;
  }

  /** Drops the kept copies of the slices the thread has reported stored. */
  function forgetConfirmed() {
    const done = Atomics.load(shared, DONE_SEQ);
    let n = 0;
    while (n < unconfirmed.length && unconfirmed[n]!.seq <= done) n++;
    if (n > 0) unconfirmed.splice(0, n);
  }

  /**
   * Stops using the thread and writes here what it had not reported stored. A slice it committed
   * just before failing, without reporting it, is written again and refused by the primary key:
   * it is stored once, and the refusal is logged.
   */
  function fail(error: unknown) {
    if (failed) return;
    failed = true;
    worker?.terminate();
    worker = undefined;
    forgetConfirmed();
    const rewrite = unconfirmed;
    unconfirmed = [];
    logger.error("history writer thread failed; writing history in the request thread", {
      error: String(error instanceof Error ? error.message : error),
      ...(rewrite.length > 0 ? { rewritten_slices: rewrite.length } : {}),
      ...(letGo > 0 ? { lost_slices: letGo } : {}),
    });
    for (const slice of rewrite) {
      try {
        writeHere(JSON.parse(slice.queued) as QueuedExecution[]);
      } catch (cause) {
        logger.error("execution history write failed", { error: (cause as Error).message });
      }
    }
  }

  /** Waits until `slot` holds at least `target`, or the timeout passes; false on timeout. */
  function waitFor(slot: number, target: number): boolean {
    const deadline = performance.now() + settleTimeoutMs;
    for (;;) {
      if (Atomics.load(shared, FAILED) === 1) fail("it could not open the database");
      const current = Atomics.load(shared, slot);
      if (current >= target) return !failed;
      const left = deadline - performance.now();
      if (left <= 0 || failed) return false;
      Atomics.wait(shared, slot, current, Math.min(left, 100));
    }
  }

  return {
    sliceSize: SLICE_SIZE,
    flushIntervalMs: FLUSH_INTERVAL_MS,
    write(queued) {
      if (Atomics.load(shared, FAILED) === 1) fail("it could not open the database");
      const thread = closed ? undefined : start();
      if (!thread) return writeHere(queued);
      const message: HistoryWorkerMessage = { type: "write", seq: ++posted, queued: toJson(queued, batchOptions.maxResultBytes) };
      thread.postMessage(message);
      forgetConfirmed();
      unconfirmed.push({ seq: message.seq, queued: message.queued });
      if (unconfirmed.length > MAX_UNCONFIRMED) {
        unconfirmed.shift();
        letGo++;
      }
    },
    settle() {
      if (!worker || Atomics.load(shared, DONE_SEQ) >= posted) return;
      worker.postMessage({ type: "sync" } satisfies HistoryWorkerMessage);
      if (!waitFor(DONE_SEQ, posted) && !failed) logger.warn("history writer thread is behind; some records may not be stored yet", { waited_ms: settleTimeoutMs });
    },
    close() {
      if (closed) return;
      closed = true;
      if (!worker) return;
      this.settle();
      if (!worker) return;
      worker.postMessage({ type: "close" } satisfies HistoryWorkerMessage);
      waitFor(CLOSED, 1);
      worker.terminate();
      worker = undefined;
    },
  };
}
