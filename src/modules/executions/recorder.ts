/**
 * @module modules/executions/recorder
 * Execution history without a database write per request: `record()` only puts the record and
 * the secrets to hide in a bounded ring buffer. A timer (unref'd, armed only while something is
 * queued) later hands the queue to a sink in slices, off the request path: by default the sink
 * redacts, truncates and inserts right here in batched transactions; the server's sink is the
 * history writer thread (history-thread.ts), which does the same work on another core. History is
 * best effort by design: when the queue is full the oldest record is dropped rather than a request
 * slowed or memory grown without bound.
 */
import type { Logger } from "../../log";
import { historyLogTo, writeQueued, type HistoryBatchOptions, type HistoryTarget, type QueuedExecution } from "./history-batch";
import type { ExecutionRecord } from "./types";

export interface RecorderOptions {
  /** How long a record may wait before it is written. */
  flushIntervalMs?: number;
  /** Records per insert transaction, so one flush never holds the write lock for long. */
  maxBatch?: number;
  /** Records kept in memory at most; beyond it the oldest are dropped. */
  maxQueue?: number;
  /** Largest step result kept whole, in UTF-8 bytes of its JSON. */
  maxResultBytes?: number;
  /** Where queued records go; by default they are written in this thread through the store. */
  sink?: HistorySink;
}

/** Takes slices of the queue and stores them. */
export interface HistorySink {
  /** Stores (or starts storing) these records. */
  write(queued: QueuedExecution[]): void;
  /** Returns once everything written so far is stored. */
  settle(): void;
  /** Settles, then releases what the sink holds; nothing is written afterwards. */
  close(): void;
  /** Records a slice of the timer may hand over at once. */
  readonly sliceSize: number;
  /** How long a record should wait for its slice, unless the recorder is told otherwise. */
  readonly flushIntervalMs?: number;
}

export interface ExecutionRecorder {
  /**
   * Queues a record (O(1), no I/O). The recorder takes ownership: do not change `rec` afterwards.
   * `secrets` are the credential values the call used; they are scrubbed at flush time.
   */
  record(rec: ExecutionRecord, secrets: readonly string[]): void;
  /** Stores everything queued now (and waits until it is stored). */
  flush(): void;
  /** Stops the timer, flushes and closes the sink; later records wait for an explicit `flush()`. */
  stop(): void;
  /** Records queued and not yet handed to the sink. */
  pending(): number;
}

/** Slices one timed flush hands over before yielding to the event loop. */
const TIMED_SLICES = 4;

/** The in-thread sink: sanitize and insert through the store, in transactions of `maxBatch`. */
export function inlineHistorySink(store: HistoryTarget, logger: Logger, options: HistoryBatchOptions): HistorySink {
  const log = historyLogTo(logger);
  return {
    write: (queued) => writeQueued(store, queued, options, log),
    settle() {},
    close() {},
    sliceSize: options.maxBatch,
  };
}

export function createExecutionRecorder(store: HistoryTarget, logger: Logger, options: RecorderOptions = {}): ExecutionRecorder {
  const capacity = Math.max(1, options.maxQueue ?? 20_000);
  const sink = options.sink ?? inlineHistorySink(store, logger, { maxBatch: Math.max(1, options.maxBatch ?? 500), maxResultBytes: options.maxResultBytes ?? 4096 });
  const flushIntervalMs = options.flushIntervalMs ?? sink.flushIntervalMs ?? 200;

  // A ring buffer: push and drop-oldest are O(1) where Array#shift is O(n).
  const ring: (QueuedExecution | undefined)[] = new Array(capacity);
  let head = 0;
  let size = 0;
  let dropped = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;

  const take = (): QueuedExecution => {
    const entry = ring[head]!;
    ring[head] = undefined;
    head = (head + 1) % capacity;
    size--;
    return entry;
  };

  /** Hands up to `maxSlices` slices of the queue to the sink. */
  function drain(maxSlices: number) {
    if (dropped) {
      logger.warn("execution history queue full; dropped the oldest records", { dropped, max_queue: capacity });
      dropped = 0;
    }
    for (let n = 0; size > 0 && n < maxSlices; n++) {
      const slice: QueuedExecution[] = [];
      while (size > 0 && slice.length < sink.sliceSize) slice.push(take());
      sink.write(slice);
    }
  }

  function arm(delayMs: number) {
    timer = setTimeout(onTimer, delayMs);
    timer.unref?.();
  }

  // A timed flush hands over a bounded part and comes back on the next turn of the event loop for
  // the rest, so a backlog never blocks requests for more than a few transactions at a time.
  function onTimer() {
    timer = undefined;
    try {
      drain(TIMED_SLICES);
    } catch (error) {
      logger.error("execution history flush failed", { error: (error as Error).message });
    }
    if (size > 0 && !stopped) arm(0);
  }

  function flush() {
    if (timer !== undefined) {
      clearTimeout(timer);
      timer = undefined;
    }
    drain(Infinity);
    sink.settle();
  }

  return {
    record(rec, secrets) {
      if (size === capacity) {
        take();
        dropped++;
      }
      ring[(head + size) % capacity] = { rec, secrets };
      size++;
      if (timer === undefined && !stopped) arm(flushIntervalMs);
    },
    flush,
    stop() {
      stopped = true;
      flush();
      sink.close();
    },
    pending: () => size,
  };
}
