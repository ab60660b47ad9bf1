/**
 * @module modules/executions/history-worker
 * The history writer thread (started by history-thread.ts): its own connection to history.db,
 * and the same sanitize-and-insert work as the in-thread recorder, so a busy server's request
 * thread spends no time on history rows. It reports each slice done through shared memory (the
 * main thread may wait on it) and sends its log lines back to the main thread's logger.
 *
 * Slices arrive every few milliseconds, but are committed together: after `COMMIT_DELAY_MS`, once
 * `maxBatch` records are held, or at once when the main thread asks (`sync`, `close`). One commit
 * per slice wrote each touched page to the WAL again and again: replaying echo records in slices
 * of 40 (the bench's rate), 2.4x the bytes per record and ~10% more CPU than 500 per commit.
 */
import { openDatabase, type Database } from "../../db/open";
import { writeExecutions, type HistoryLog, type QueuedExecution } from "./history-batch";
import { CLOSED, DONE_SEQ, FAILED, type HistoryWorkerLog, type HistoryWorkerMessage } from "./history-protocol";
import { createExecutionsStore, type ExecutionsStore } from "./store";

declare const self: Worker;

let db: Database | undefined;
let store: ExecutionsStore | undefined;
let done: Int32Array | undefined;
let options = { maxBatch: 100, maxResultBytes: 4096 };

/** Longest a received record waits for its commit. History is best effort; 20 ms of it may be lost to a crash. */
const COMMIT_DELAY_MS = 20;
let held: QueuedExecution[] = [];
/** The last slice received; it is reported done once everything held is committed. */
let heldSeq = 0;
let commitTimer: ReturnType<typeof setTimeout> | undefined;

const log: HistoryLog = (level, msg, fields) => self.postMessage({ type: "log", level, msg, fields } satisfies HistoryWorkerLog);

function signal(slot: number, value: number) {
  Atomics.store(done!, slot, value);
  Atomics.notify(done!, slot);
}

/** Writes what is held (in transactions of `maxBatch`) and reports every slice received as done. */
function commit() {
  if (commitTimer !== undefined) clearTimeout(commitTimer);
  commitTimer = undefined;
  const records = held;
  held = [];
  // Without a connection (it failed to open, and said so) nothing is reported stored: the main
  // thread writes those slices itself.
  if (!store) return;
  if (records.length > 0) {
    try {
      writeExecutions(store, records, options, log);
    } catch (error) {
      log("error", "execution history write failed", { error: (error as Error).message });
    }
  }
  signal(DONE_SEQ, heldSeq);
}

self.onmessage = (event: MessageEvent<HistoryWorkerMessage>) => {
  const message = event.data;
  if (message.type === "open") {
    done = message.done;
    options = { maxBatch: message.maxBatch, maxResultBytes: message.maxResultBytes };
    try {
      db = openDatabase(message.path, { synchronous: message.synchronous });
      store = createExecutionsStore(db);
    } catch (error) {
      log("error", "history writer thread could not open the database", { error: (error as Error).message });
      signal(FAILED, 1);
    }
  } else if (message.type === "write") {
    heldSeq = message.seq;
    if (store) {
      try {
        for (const queued of JSON.parse(message.queued) as QueuedExecution[]) held.push(queued);
      } catch (error) {
        log("error", "execution history write failed", { error: (error as Error).message });
      }
    }
    if (held.length >= options.maxBatch) commit();
    else commitTimer ??= setTimeout(commit, COMMIT_DELAY_MS);
  } else if (message.type === "sync") {
    commit();
  } else if (message.type === "close") {
    commit();
    db?.close();
    db = undefined;
    signal(CLOSED, 1);
  }
};
