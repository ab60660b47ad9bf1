/**
 * @module modules/executions/history-protocol
 * What the main thread and the history writer thread say to each other. The slices themselves
 * go through shared memory (history-ring.ts), not messages.
 */
import type { RingMemory } from "./history-ring";

/** Messages to the writer thread. */
export type HistoryWorkerMessage =
  | {
      type: "open";
      path: string;
      synchronous: "NORMAL" | "FULL";
      done: Int32Array;
      ring: RingMemory;
      maxBatch: number;
      maxResultBytes: number;
      /** Rows each endpoint keeps (history-cap.ts); no cap when absent. */
      maxPerEndpoint?: number;
    }
  /** The ring has slices again after the thread found it empty and went to sleep. */
  | { type: "wake" }
  /** Store everything in the ring now, without waiting for the commit delay (`settle()` waits on it). */
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
 * Slots of the shared Int32Array `done`: 1 once the connection is closed; 1 when the thread could
 * not open the database (the main thread may be blocked waiting, so it cannot rely on an error
 * event reaching it).
 */
export const CLOSED = 0;
export const FAILED = 1;
export const SLOTS = 2;
