/**
 * @module modules/executions/history-worker
 * The history writer thread (started by history-thread.ts): its own connection to history.db,
 * and the same sanitize-and-insert work as the in-thread recorder, so a busy server's request
 * thread spends no time on history rows. It takes slices from the shared ring (history-ring.ts)
 * and gives their space back once they are committed, which is also how the main thread knows
 * they are stored (it may wait on it). Its log lines go back to the main thread's logger.
 *
 * Slices are committed together: woken, the thread waits `COMMIT_DELAY_MS`, then takes all the
 * ring holds, in transactions of `maxBatch`, and comes back after the same delay while slices
 * keep coming; it goes to sleep when it finds the ring empty. At once when the main thread asks
 * (`sync`, `close`). One commit per slice wrote each touched page to the WAL again and again:
 * replaying echo records in slices of 40 (the bench's rate), 2.4x the bytes per record and ~10%
 * more CPU than 500 per commit.
 */
import { openDatabase, type Database } from "../../db/open";
import { lowerThisThreadPriority } from "../../thread-priority";
import { PAUSE_EVERY, writeExecutions, type HistoryBatchOptions, type HistoryLog, type HistoryTarget, type PendingExecution } from "./history-batch";
import { chunkRecordsFor } from "./chunks";
import { withEndpointCap } from "./history-cap";
import { CLOSED, FAILED, type HistoryWorkerLog, type HistoryWorkerMessage } from "./history-protocol";
import { ringReader, SLEEPING, type RingReader } from "./history-ring";
import { decodeSlice } from "./history-slice";
import { createExecutionsStore } from "./store";

declare const self: Worker;

let db: Database | undefined;
let store: HistoryTarget | undefined;
let done: Int32Array | undefined;
let ring: RingReader | undefined;
let options: HistoryBatchOptions = { maxBatch: 100, maxResultBytes: 4096, pause };

/** Longest a slice waits for its commit. History is best effort; 20 ms of it may be lost to a crash. */
const COMMIT_DELAY_MS = 20;
let commitTimer: ReturnType<typeof setTimeout> | undefined;

/**
 * Gives this thread's core up for a moment (a 50 µs futex wait), between every hundred records it
 * prepares and after every transaction (history-batch.ts). On two cores the writer shares one with
 * wrk or the request thread, and the commit of a busy 20 ms (~700 echo records) is ~3.5 ms of
 * work: run in one go, whatever woke up on that core waited behind it, nice value or not. On the
 * echo bench, against no pause, eleven alternated pairs: p99 lower in nine (median 4.28 -> 4.08
 * ms), req/s +4.5% over all of them (docs/performance.md, sixteenth round).
 */
const PAUSE_MS = 0.05;
const pauseCell = new Int32Array(new SharedArrayBuffer(4));
function pause() {
  Atomics.wait(pauseCell, 0, 0, PAUSE_MS);
}

const log: HistoryLog = (level, msg, fields) => self.postMessage({ type: "log", level, msg, fields } satisfies HistoryWorkerLog);

function signal(slot: number, value: number) {
  Atomics.store(done!, slot, value);
  Atomics.notify(done!, slot);
}

/** Stores every slice in the ring and gives back their space; false when there was none. */
function commit(): boolean {
  if (commitTimer !== undefined) clearTimeout(commitTimer);
  commitTimer = undefined;
  // Without a connection (it failed to open, and said so) nothing is taken: the main thread
  // writes those slices itself.
  if (!store || !ring) return false;
  const slices = ring.take();
  if (slices.length === 0) return false;
  const records: PendingExecution[] = [];
  let decoded = 0;
  for (const text of slices) {
    try {
      for (const pending of decodeSlice(text)) records.push(pending);
    } catch (error) {
      log("error", "execution history write failed", { error: (error as Error).message });
    }
    if (records.length - decoded >= PAUSE_EVERY) {
      decoded = records.length;
      pause();
    }
  }
  try {
    writeExecutions(store, records, options, log);
  } catch (error) {
    log("error", "execution history write failed", { error: (error as Error).message });
  }
  ring.release();
  return true;
}

/** Commits after `COMMIT_DELAY_MS`, so slices arriving meanwhile share the transaction. */
function commitLater() {
  commitTimer ??= setTimeout(() => next(commit()), COMMIT_DELAY_MS);
}

/** After a commit: back after the delay while slices keep coming, else asleep until woken. */
function next(committed: boolean) {
  // Without a connection there is nothing to wait for: the main thread stops using this thread.
  if (!store) return;
  if (committed) return commitLater();
  // Asleep first, then look again: a slice written in between either is seen here or finds the
  // flag set and sends a wake-up.
  Atomics.store(ring!.control, SLEEPING, 1);
  if (!ring!.empty() && Atomics.compareExchange(ring!.control, SLEEPING, 1, 0) === 1) next(true);
}

self.onmessage = (event: MessageEvent<HistoryWorkerMessage>) => {
  const message = event.data;
  if (message.type === "open") {
    // Requests come first: this thread catches up in the time they leave (thread-priority.ts).
    lowerThisThreadPriority();
    done = message.done;
    ring = ringReader(message.ring);
    options = { maxBatch: message.maxBatch, maxResultBytes: message.maxResultBytes, pause };
    try {
      db = openDatabase(message.path, { synchronous: message.synchronous });
      const executions = createExecutionsStore(db, { maxChunkRecords: chunkRecordsFor(message.maxPerEndpoint) });
      store = message.maxPerEndpoint === undefined ? executions : withEndpointCap(executions, message.maxPerEndpoint);
    } catch (error) {
      log("error", "history writer thread could not open the database", { error: (error as Error).message });
      signal(FAILED, 1);
    }
  } else if (message.type === "wake") {
    commitLater();
  } else if (message.type === "sync") {
    next(commit());
  } else if (message.type === "close") {
    commit();
    db?.close();
    db = undefined;
    store = undefined;
    signal(CLOSED, 1);
  }
};
