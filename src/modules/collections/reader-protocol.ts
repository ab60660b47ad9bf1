/**
 * @module modules/collections/reader-protocol
 * What the main thread and the records reader thread say to each other.
 */
import type { RecordQuery } from "./store";

/** Messages to the reader thread. */
export type ReaderMessage =
  /** `closed[0]` becomes 1 once the thread has closed its connection (the main thread waits on it). */
  | { type: "open"; path: string; closed: Int32Array }
  /** One page of a collection's table (the store's `selectRecords`); `pick` is the `fields` option, or null for whole records. */
  | { type: "select"; id: number; table: string; query: RecordQuery; pick: string[] | null }
  | { type: "close" };

/** Replies: the records as JSON text (the views of record-view.ts), or why not. */
export type ReaderReply =
  | { type: "records"; id: number; json: string }
  | { type: "error"; id: number; message: string }
  /** The database could not be opened: every later read goes back to the main thread. */
  | { type: "failed"; message: string };
