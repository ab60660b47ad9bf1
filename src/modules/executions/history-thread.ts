/**
 * @module modules/executions/history-thread
 * The server's history sink: a worker thread (history-worker.ts) with its own database connection
 * sanitizes and inserts execution records, so the request thread only queues them and copies a
 * slice into shared memory now and then (history-ring.ts). Measured on the echo bench, writing
 * history in the request thread cost a quarter of each call.
 *
 * The thread starts with the first slice (an idle server has none) and never keeps the process
 * alive. A message wakes it only when it had gone to sleep on an empty ring. `settle()` waits
 * (bounded) on shared memory until the thread has stored every slice written, so `flush()` keeps
 * its meaning: once it returns, the history is in the database. If the thread cannot start or
 * dies, what it had not stored is still in the ring and is written in this thread, and from then
 * on every slice is; that is logged. When the ring is full (the thread is far behind), a slice is
 * written in this thread too: the request thread slows down rather than history being lost.
 */
import { startBackgroundWorker, type WorkerModule } from "../../background-worker";
import type { Logger } from "../../log";
import { historyLogTo, writeExecutions, writeQueued, type HistoryTarget, type QueuedExecution } from "./history-batch";
import { CLOSED, FAILED, SLOTS, type HistoryWorkerLog, type HistoryWorkerMessage } from "./history-protocol";
import { createRingMemory, READ_POS, ringReader, ringWriter, type RingMemory, type RingWriter } from "./history-ring";
import { decodeSlice, encodeSlice } from "./history-slice";
import type { HistorySink } from "./recorder";

export interface HistoryThreadOptions {
  /** The history database file, already opened and migrated (the thread opens its own connection to it). */
  path: string;
  synchronous: "NORMAL" | "FULL";
  /** Records per transaction when the slices are written in this thread (the thread failed). */
  maxBatch: number;
  maxResultBytes: number;
  /** Rows each endpoint keeps, which the thread holds them to as it writes (history-cap.ts); none when absent. */
  maxPerEndpoint?: number;
  /** Longest `settle()` waits for the thread before giving up (and saying so). */
  settleTimeoutMs?: number;
  /** Bytes of shared memory for slices not yet stored (a power of two); tests give a small one. */
  ringBytes?: number;
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
 * Shared memory for slices not yet stored: at ~450 bytes per echo record, about half a second of
 * the echo bench's ~37k calls per second (minutes of a typical server's), so a thread held up by
 * a long commit or a retention sweep does not push the request thread into writing history
 * itself. Once traffic has gone round it, all of it stays resident: at 16 MB the RSS after the
 * echo bench was 177-208 MB, at 8 MB 169-183 MB (thirteen alternated pairs, the writer never
 * behind; docs/performance.md, sixteenth round).
 */
const RING_BYTES = 8 * 1024 * 1024;

const WORKER: WorkerModule = { source: new URL("./history-worker.ts", import.meta.url), inBinary: "./modules/executions/history-worker.ts" };

export function createHistoryThread(fallbackStore: HistoryTarget, logger: Logger, options: HistoryThreadOptions): HistorySink {
  const settleTimeoutMs = options.settleTimeoutMs ?? 10_000;
  const ringBytes = options.ringBytes ?? RING_BYTES;
  const shared = new Int32Array(new SharedArrayBuffer(SLOTS * Int32Array.BYTES_PER_ELEMENT));
  const batchOptions = { maxBatch: options.maxBatch, maxResultBytes: options.maxResultBytes };
  let worker: Worker | undefined;
  let ring: { memory: RingMemory; writer: RingWriter } | undefined;
  let failed = false;
  let closed = false;
  /** When this thread last said it is writing slices itself because the ring was full. */
  let fullLoggedAt = -Infinity;

  const log = historyLogTo(logger);
  const writeHere = (queued: QueuedExecution[]) => writeQueued(fallbackStore, queued, batchOptions, log);

  function start(): RingWriter | undefined {
    if (failed) return undefined;
    if (ring) return ring.writer;
    const memory = createRingMemory(ringBytes);
    worker = startBackgroundWorker<HistoryWorkerLog>(options.worker ?? WORKER, {
      message: ({ level, msg, fields }) => logger[level](msg, { ...fields, thread: "history" }),
      fail,
    });
    if (!worker) return undefined;
    ring = { memory, writer: ringWriter(memory) };
    const open: HistoryWorkerMessage = { type: "open", path: options.path, synchronous: options.synchronous, done: shared, ring: memory, ...batchOptions, maxBatch: THREAD_BATCH, maxPerEndpoint: options.maxPerEndpoint };
    worker.postMessage(open);
    return ring.writer;
  }

  /**
   * Stops using the thread and writes here what it had not stored, read back from the ring. A
   * slice it committed just before failing, without giving back its space, is written again and
   * refused by the primary key: it is stored once, and the refusal is logged.
   */
  function fail(error: unknown) {
    if (failed) return;
    failed = true;
    worker?.terminate();
    worker = undefined;
    const rewrite = ring ? ringReader(ring.memory).take() : [];
    ring = undefined;
    logger.error("history writer thread failed; writing history in the request thread", {
      error: String(error instanceof Error ? error.message : error),
      ...(rewrite.length > 0 ? { rewritten_slices: rewrite.length } : {}),
    });
    for (const text of rewrite) {
      try {
        writeExecutions(fallbackStore, decodeSlice(text), batchOptions, log);
      } catch (cause) {
        logger.error("execution history write failed", { error: (cause as Error).message });
      }
    }
  }

  /** Hands a slice to the thread; what the ring cannot take now is written here. */
  function hand(writer: RingWriter, queued: QueuedExecution[]) {
    const result = writer.write(encodeSlice(queued, batchOptions.maxResultBytes));
    if (result === "written") {
      if (writer.takeSleeping()) worker?.postMessage({ type: "wake" } satisfies HistoryWorkerMessage);
    } else if (result === "too_big" && queued.length > 1) {
      const half = Math.ceil(queued.length / 2);
      hand(writer, queued.slice(0, half));
      hand(writer, queued.slice(half));
    } else {
      const now = performance.now();
      if (result === "full" && now - fullLoggedAt > 60_000) {
        fullLoggedAt = now;
        logger.warn("history writer thread is behind; writing history in the request thread until it catches up", { ring_bytes: ringBytes });
      }
      writeHere(queued);
    }
  }

  /** Waits until `slot` holds `target` (`READ_POS`: the ring is drained; `CLOSED`: 1), or the timeout passes; false on timeout. */
  function waitFor(control: Int32Array, slot: number, target: number): boolean {
    const deadline = performance.now() + settleTimeoutMs;
    for (;;) {
      if (Atomics.load(shared, FAILED) === 1) fail("it could not open the database");
      const current = Atomics.load(control, slot);
      if (current === target) return !failed;
      const left = deadline - performance.now();
      if (left <= 0 || failed) return false;
      Atomics.wait(control, slot, current, Math.min(left, 100));
    }
  }

  return {
    sliceSize: SLICE_SIZE,
    flushIntervalMs: FLUSH_INTERVAL_MS,
    write(queued) {
      if (Atomics.load(shared, FAILED) === 1) fail("it could not open the database");
      const writer = closed ? undefined : start();
      if (!writer) return writeHere(queued);
      hand(writer, queued);
    },
    settle() {
      if (!worker || !ring) return;
      const { writer } = ring;
      const target = writer.position();
      if (Atomics.load(writer.control, READ_POS) === target) return;
      worker.postMessage({ type: "sync" } satisfies HistoryWorkerMessage);
      if (!waitFor(writer.control, READ_POS, target) && !failed) logger.warn("history writer thread is behind; some records may not be stored yet", { waited_ms: settleTimeoutMs });
    },
    close() {
      if (closed) return;
      closed = true;
      if (!worker) return;
      this.settle();
      if (!worker) return;
      worker.postMessage({ type: "close" } satisfies HistoryWorkerMessage);
      waitFor(shared, CLOSED, 1);
      worker.terminate();
      worker = undefined;
    },
  };
}
