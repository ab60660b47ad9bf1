/**
 * @module modules/executions/history-worker
 * The history writer thread (started by history-thread.ts): its own connection to history.db,
 * and the same sanitize-and-insert work as the in-thread recorder, so a busy server's request
 * thread spends no time on history rows. It reports each slice done through shared memory (the
 * main thread may wait on it) and sends its log lines back to the main thread's logger.
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

const log: HistoryLog = (level, msg, fields) => self.postMessage({ type: "log", level, msg, fields } satisfies HistoryWorkerLog);

function signal(slot: number, value: number) {
  Atomics.store(done!, slot, value);
  Atomics.notify(done!, slot);
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
    // Without a connection (it failed to open, and said so) the slice is only counted.
    if (store) {
      try {
        writeExecutions(store, JSON.parse(message.queued) as QueuedExecution[], options, log);
      } catch (error) {
        log("error", "execution history write failed", { error: (error as Error).message });
      }
    }
    signal(DONE_SEQ, message.seq);
  } else if (message.type === "close") {
    db?.close();
    db = undefined;
    signal(CLOSED, 1);
  }
};
