/**
 * @module modules/executions/recorder
 * Execution history without a database write per request: `record()` only puts the record and
 * the secrets to hide in a bounded ring buffer. A timer (unref'd, armed only while something is
 * queued) later redacts, truncates and inserts the queue in batched transactions, off the
 * request path. History is best effort by design: when the queue is full the oldest record is
 * dropped rather than a request slowed or memory grown without bound.
 */
import type { Logger } from "../../log";
import { redactSecrets, truncateResult } from "./redact";
import type { ExecutionsStore } from "./store";
import type { ExecutionRecord, StepRecord } from "./types";

export interface RecorderOptions {
  /** How long a record may wait before it is written. */
  flushIntervalMs?: number;
  /** Records per insert transaction, so one flush never holds the write lock for long. */
  maxBatch?: number;
  /** Records kept in memory at most; beyond it the oldest are dropped. */
  maxQueue?: number;
  /** Largest step result kept whole, in UTF-8 bytes of its JSON. */
  maxResultBytes?: number;
}

export interface ExecutionRecorder {
  /**
   * Queues a record (O(1), no I/O). The recorder takes ownership: do not change `rec` afterwards.
   * `secrets` are the credential values the call used; they are scrubbed at flush time.
   */
  record(rec: ExecutionRecord, secrets: readonly string[]): void;
  /** Writes everything queued now, in transactions of at most `maxBatch` records. */
  flush(): void;
  /** Stops the timer and flushes; later records wait for an explicit `flush()`. */
  stop(): void;
  /** Records queued and not yet written. */
  pending(): number;
}

/** An error message longer than this is cut: it is for people scanning a history list. */
const MAX_ERROR_MESSAGE = 2000;

/** Transactions one timed flush writes before yielding to the event loop. */
const TIMED_BATCHES = 4;

const clip = (text: string) => (text.length > MAX_ERROR_MESSAGE ? `${text.slice(0, MAX_ERROR_MESSAGE)}…` : text);

/** The record as it is stored: secrets replaced, step results truncated, messages bounded. */
export function sanitizeRecord(rec: ExecutionRecord, secrets: readonly string[], maxResultBytes = 4096): ExecutionRecord {
  const scrub = (text: string) => clip(redactSecrets(text, secrets) as string);
  const steps: StepRecord[] = rec.steps.map((step) => {
    const safe: StepRecord = { index: step.index, type: step.type, status: step.status, duration_ms: step.duration_ms };
    if (step.name !== undefined) safe.name = scrub(step.name);
    // Redact before truncating: a preview cut through a secret would no longer match it.
    if (step.result !== undefined) safe.result = truncateResult(redactSecrets(step.result, secrets), maxResultBytes);
    if (step.error) safe.error = { code: String(step.error.code), message: scrub(String(step.error.message)) };
    return safe;
  });
  const safe: ExecutionRecord = { ...rec, path: redactSecrets(rec.path, secrets) as string, steps };
  if (rec.error_message !== undefined) safe.error_message = scrub(rec.error_message);
  return safe;
}

interface Entry {
  rec: ExecutionRecord;
  secrets: readonly string[];
}

export function createExecutionRecorder(store: ExecutionsStore, logger: Logger, options: RecorderOptions = {}): ExecutionRecorder {
  const flushIntervalMs = options.flushIntervalMs ?? 200;
  const maxBatch = Math.max(1, options.maxBatch ?? 500);
  const capacity = Math.max(1, options.maxQueue ?? 20_000);
  const maxResultBytes = options.maxResultBytes ?? 4096;

  // A ring buffer: push and drop-oldest are O(1) where Array#shift is O(n).
  const ring: (Entry | undefined)[] = new Array(capacity);
  let head = 0;
  let size = 0;
  let dropped = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;

  const take = (): Entry => {
    const entry = ring[head]!;
    ring[head] = undefined;
    head = (head + 1) % capacity;
    size--;
    return entry;
  };

  /** Inserts a batch; when the transaction fails, retries one by one so one bad record loses only itself. */
  function write(batch: ExecutionRecord[]) {
    try {
      store.insertMany(batch);
      return;
    } catch (error) {
      if (batch.length === 1) {
        // Only the id and the driver's message: record content may hold what we could not scrub.
        logger.error("could not record execution", { execution_id: batch[0]!.id, error: (error as Error).message });
        return;
      }
    }
    let failed = 0;
    let lastError = "";
    for (const rec of batch) {
      try {
        store.insertMany([rec]);
      } catch (error) {
        failed++;
        lastError = (error as Error).message;
      }
    }
    if (failed) logger.error("could not record executions", { failed, of: batch.length, error: lastError });
  }

  /** Writes up to `maxBatches` transactions' worth of the queue. */
  function drain(maxBatches: number) {
    if (dropped) {
      logger.warn("execution history queue full; dropped the oldest records", { dropped, max_queue: capacity });
      dropped = 0;
    }
    for (let n = 0; size > 0 && n < maxBatches; n++) {
      const batch: ExecutionRecord[] = [];
      while (size > 0 && batch.length < maxBatch) {
        const { rec, secrets } = take();
        try {
          batch.push(sanitizeRecord(rec, secrets, maxResultBytes));
        } catch (error) {
          logger.error("could not prepare execution record", { execution_id: rec.id, error: (error as Error).message });
        }
      }
      if (batch.length) write(batch);
    }
  }

  function arm(delayMs: number) {
    timer = setTimeout(onTimer, delayMs);
    timer.unref?.();
  }

  // A timed flush writes a bounded slice and comes back on the next turn of the event loop for
  // the rest, so a backlog never blocks requests for more than a few transactions at a time.
  function onTimer() {
    timer = undefined;
    try {
      drain(TIMED_BATCHES);
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
    },
    pending: () => size,
  };
}
