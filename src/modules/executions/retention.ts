/**
 * @module modules/executions/retention
 * Keeps the execution history bounded: deletes executions older than `maxAgeMs` and beyond the
 * newest `maxPerEndpoint` of each endpoint, then hands the freed pages back to the file system
 * (incremental vacuum; the database is created with auto_vacuum=INCREMENTAL) and truncates the
 * WAL. Deletes run in small transactions with a turn of the event loop between them, so a large
 * backlog never holds the write lock, or the only thread, for long.
 */
import type { Logger } from "../../log";
import type { ExecutionsStore } from "./store";

export interface RetentionOptions {
  maxAgeMs: number;
  maxPerEndpoint: number;
  /** Time between runs once started. */
  intervalMs?: number;
  /** Rows per delete transaction. */
  batch?: number;
  /** Delete transactions per run, so one run is bounded; the rest waits for the next run. */
  maxBatchesPerRun?: number;
  /** Pages freed per incremental_vacuum step (4 KiB each by default). */
  vacuumPages?: number;
}

export interface RetentionResult {
  deleted: number;
}

export interface Retention {
  /** One pruning pass; concurrent calls share the pass in progress. */
  runOnce(now?: number): Promise<RetentionResult>;
  /** Runs every `intervalMs` (timer unref'd). */
  start(): void;
  stop(): void;
}

/** A turn of the event loop: lets queued requests run between two write transactions. */
const yieldToRequests = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

export function createRetention(store: ExecutionsStore, logger: Logger, options: RetentionOptions): Retention {
  const batch = Math.max(1, options.batch ?? 1000);
  const maxBatches = Math.max(1, options.maxBatchesPerRun ?? 100);
  const vacuumPages = Math.max(1, options.vacuumPages ?? 2048);
  const intervalMs = options.intervalMs ?? 60_000;
  let running: Promise<RetentionResult> | undefined;
  let timer: ReturnType<typeof setInterval> | undefined;

  async function pass(now: number): Promise<RetentionResult> {
    const started = performance.now();
    let deleted = 0;
    let batches = 0;
    const cutoff = now - options.maxAgeMs;
    // Age first: it is the cheap one (one index range), and it shrinks what the count pass walks.
    for (const prune of [() => store.pruneOlderThan(cutoff, batch), () => store.pruneBeyondCount(options.maxPerEndpoint, batch)]) {
      while (batches < maxBatches) {
        const n = prune();
        batches++;
        deleted += n;
        if (n < batch) break;
        await yieldToRequests();
      }
    }
    // Free pages also come from earlier runs whose vacuum was cut short, so check even at 0 deleted.
    // A database created before auto_vacuum was set cannot shrink this way: stop when nothing moves.
    let vacuumSteps = 0;
    for (let free = store.freePages(); free > 0 && vacuumSteps < maxBatches; vacuumSteps++) {
      store.incrementalVacuum(vacuumPages);
      const left = store.freePages();
      if (left >= free) break;
      free = left;
      await yieldToRequests();
    }
    if (deleted > 0 || vacuumSteps > 0) {
      const { busy } = store.checkpoint();
      logger.info("execution history pruned", { deleted, busy_checkpoint: busy === 1, ms: Math.round(performance.now() - started) });
    }
    return { deleted };
  }

  const runOnce = (now = Date.now()) => {
    running ??= pass(now).finally(() => {
      running = undefined;
    });
    return running;
  };

  return {
    runOnce,
    start() {
      if (timer !== undefined) return;
      timer = setInterval(() => {
        runOnce().catch((error) => logger.error("execution history retention failed", { error: (error as Error).message }));
      }, intervalMs);
      timer.unref?.();
    },
    stop() {
      if (timer !== undefined) clearInterval(timer);
      timer = undefined;
    },
  };
}
