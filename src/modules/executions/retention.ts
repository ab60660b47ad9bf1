/**
 * @module modules/executions/retention
 * Keeps the execution history bounded: deletes executions older than `maxAgeMs` and beyond the
 * newest `maxPerEndpoint` of each endpoint (which the writers mostly keep already: history-cap.ts),
 * then hands freed pages back to the file system (incremental vacuum; the database is created
 * with auto_vacuum=INCREMENTAL) and truncates the WAL. Deletes run in small transactions with a
 * turn of the event loop between them, so a large backlog never holds the write lock, or the only
 * thread, for long.
 */
import type { Logger } from "../../log";
import type { ExecutionsStore } from "./store";

export interface RetentionOptions {
  maxAgeMs: number;
  maxPerEndpoint: number;
  /** Time between runs once started. */
  intervalMs?: number;
  /** Records per delete transaction, about (whole chunks go: store.ts). */
  batch?: number;
  /** Delete transactions per run, so one run is bounded; the rest waits for the next run. */
  maxBatchesPerRun?: number;
  /** Pages given back per incremental_vacuum step (4 KiB each). */
  vacuumPages?: number;
  /** Free pages kept for the writes to come instead of given back (see below). */
  reservePages?: number;
  /** Pause between two vacuum steps. */
  vacuumPauseMs?: number;
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

/** Index entries one call of the count walk may step through (a few ms): 20 endpoints at the default cap. */
const COUNT_WALK_ENTRIES = 200_000;

/**
 * Giving pages back costs ~80 µs each on a large file (every page moved to a hole needs its
 * parent found and rewritten), in this thread, holding history's write lock. After a backlog of
 * 3.7 million rows was trimmed, vacuuming in steps of 2,048 pages with only a turn of the event
 * loop between them held the request thread 17 s, and requests fell to ~150/s. So the steps are
 * small and paced (~20 ms of work, then `vacuumPauseMs` of rest), a run gives back at most
 * `maxBatchesPerRun` steps (the rest over the next runs), and the last `reservePages` free pages
 * stay: trims free pages all the time (history-cap.ts) and the next inserts reuse them, so a
 * busy instance would otherwise shrink its file every minute only to grow it again.
 */
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function createRetention(store: ExecutionsStore, logger: Logger, options: RetentionOptions): Retention {
  const batch = Math.max(1, options.batch ?? 1000);
  const maxBatches = Math.max(1, options.maxBatchesPerRun ?? 100);
  const vacuumPages = Math.max(1, options.vacuumPages ?? 256);
  const reservePages = Math.max(0, options.reservePages ?? 2048);
  const vacuumPauseMs = Math.max(0, options.vacuumPauseMs ?? 20);
  const intervalMs = options.intervalMs ?? 60_000;
  let running: Promise<RetentionResult> | undefined;
  let timer: ReturnType<typeof setInterval> | undefined;

  async function pass(now: number): Promise<RetentionResult> {
    const started = performance.now();
    let deleted = 0;
    let batches = 0;
    const cutoff = now - options.maxAgeMs;
    // Age first: it is the cheap one (one index range per endpoint), and it shrinks what the count walks.
    while (batches < maxBatches) {
      const n = store.pruneOlderThan(cutoff, batch);
      batches++;
      deleted += n;
      if (n < batch) break;
      await yieldToRequests();
    }
    // The writers hold each endpoint to its cap already (history-cap.ts); this walk catches what
    // they cannot see (a cap lowered since, records of endpoints no longer written). Looking at an
    // endpoint walks the chunks holding its newest `maxPerEndpoint` even when nothing is over (as
    // many index entries as records when its chunks hold one each), so each call looks at as many
    // as fit in ~COUNT_WALK_ENTRIES such entries, with a turn of the event loop between calls.
    const endpointsPerCall = Math.max(1, Math.floor(COUNT_WALK_ENTRIES / Math.max(1, options.maxPerEndpoint)));
    while (batches < maxBatches) {
      const { deleted: n, done } = store.pruneBeyondCount(options.maxPerEndpoint, batch, endpointsPerCall);
      batches++;
      deleted += n;
      if (done) break;
      await yieldToRequests();
    }
    // Free pages also come from earlier runs whose vacuum was cut short, so check even at 0 deleted.
    // A database created before auto_vacuum was set cannot shrink this way: stop when nothing moves.
    let vacuumSteps = 0;
    for (let free = store.freePages(); free > reservePages && vacuumSteps < maxBatches; vacuumSteps++) {
      store.incrementalVacuum(Math.min(vacuumPages, free - reservePages));
      const left = store.freePages();
      if (left >= free) break;
      free = left;
      await sleep(vacuumPauseMs);
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
