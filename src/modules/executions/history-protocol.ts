/**
 * @module modules/executions/history-protocol
 * What the main thread and the history writer thread say to each other.
 */
/** Messages to the writer thread. */
export type HistoryWorkerMessage =
  | { type: "open"; path: string; synchronous: "NORMAL" | "FULL"; done: Int32Array; maxBatch: number; maxResultBytes: number }
  /** `queued` is the slice as JSON text: posting a string costs next to nothing, cloning objects ~3 µs each. */
  | { type: "write"; seq: number; queued: string }
  /** Store what is held now, without waiting for the commit delay (`settle()` waits on it). */
  | { type: "sync" }
  | { type: "close" };

/** Messages from the writer thread: its log lines, for the main thread's logger. */
export interface HistoryWorkerLog {
  type: "log";
  level: "warn" | "error";
  msg: string;
  fields: Record<string, unknown>;
}

/**
 * Slots of the shared Int32Array: the last slice stored (committed, not only received); 1 once the
 * connection is closed; 1 when the thread could not open the database (the main thread may be
 * blocked waiting, so it cannot rely on an error event reaching it).
 */
export const DONE_SEQ = 0;
export const CLOSED = 1;
export const FAILED = 2;
export const SLOTS = 3;
