/**
 * @module modules/collections/reader-thread
 * Reads query_records' pages on a thread of its own (reader-worker.ts), with its own connection
 * to the instance database, while the request thread is saturated: it is what limits a busy
 * server, and on the query bench reading the rows and building the records took about half of each
 * call there; moved to another core they leave it only a JSON.parse. On a server that is not
 * saturated, reads stay inline: the two thread hand-overs cost a lone call 60-150 µs against its
 * ~40 µs read (thread-load.ts decides: over 90% busy in a 100 ms window, and until under 30%).
 *
 * Reads see every write committed before them (WAL: each read starts a fresh read transaction,
 * and writes commit in the request thread before the next action runs). The thread starts with
 * the first read and never keeps the process alive. If it cannot start, cannot open the database or
 * dies, reads (the pending ones too) run in this thread instead, and that is logged once.
 */
import { startBackgroundWorker } from "../../background-worker";
import { createThreadLoad } from "../../thread-load";
import type { Logger } from "../../log";
import type { ReaderMessage, ReaderReply } from "./reader-protocol";
import type { RecordView } from "./record-view";
import type { RecordQuery } from "./store";

export interface RecordsReader {
  /** Whether reads should go to the thread now: the request thread is saturated, and the thread's queue is not full. */
  worthIt(): boolean;
  /**
   * The records of one page of a collection's table (the store's `selectRecords`). `here` reads
   * them in this thread instead: what happens when the thread is not (or no longer) available.
   */
  select(table: string, query: RecordQuery, pick: ReadonlySet<string> | undefined, here: () => RecordView[]): Promise<RecordView[]>;
  /** Stops the thread; later reads run in this thread. */
  close(): void;
}

/**
 * Reads waiting on the thread at most; beyond them reads run inline again. The thread reads one at
 * a time, so a slow read (a scan) holds up those behind it: this bounds the queue's memory and wait.
 */
const MAX_PENDING = 256;

/** Longest `close()` waits for the thread to close its connection. */
const CLOSE_TIMEOUT_MS = 2000;

interface Pending {
  resolve: (records: RecordView[]) => void;
  reject: (error: Error) => void;
  here: () => RecordView[];
}

const WORKER = { source: new URL("./reader-worker.ts", import.meta.url), inBinary: "./modules/collections/reader-worker.ts" };

export interface RecordsReaderOptions {
  /** Whether the request thread is saturated (default: thread-load.ts on this thread). */
  busy?: () => boolean;
}

export function createRecordsReader(path: string, logger: Logger, options: RecordsReaderOptions = {}): RecordsReader {
  const busy = options.busy ?? createThreadLoad().busy;
  let worker: Worker | undefined;
  let unavailable = false;
  let nextId = 0;
  const pending = new Map<number, Pending>();
  const closed = new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT));

  const post = (message: ReaderMessage) => worker!.postMessage(message);

  /** Stops using the thread; what it still owed is read here. */
  function fail(error: unknown) {
    if (unavailable) return;
    unavailable = true;
    logger.error("records reader thread failed; reading in the request thread", { error: String(error instanceof Error ? error.message : error) });
    worker?.terminate();
    worker = undefined;
    settleHere();
  }

  function settleHere() {
    for (const [id, request] of pending) {
      pending.delete(id);
      try {
        request.resolve(request.here());
      } catch (error) {
        request.reject(error as Error);
      }
    }
  }

  function receive(reply: ReaderReply) {
    if (reply.type === "failed") return fail(`it could not open the database: ${reply.message}`);
    const request = pending.get(reply.id);
    if (!request) return;
    pending.delete(reply.id);
    if (reply.type === "records") request.resolve(JSON.parse(reply.json) as RecordView[]);
    else request.reject(new Error(reply.message));
  }

  function start(): Worker | undefined {
    if (worker || unavailable) return worker;
    worker = startBackgroundWorker<ReaderReply>(WORKER, { message: receive, fail });
    if (!worker) return undefined;
    post({ type: "open", path, closed });
    return worker;
  }

  return {
    worthIt: () => !unavailable && pending.size < MAX_PENDING && busy(),
    select(table, query, pick, here) {
      if (!start()) return Promise.resolve().then(here);
      const id = ++nextId;
      return new Promise<RecordView[]>((resolve, reject) => {
        pending.set(id, { resolve, reject, here });
        post({ type: "select", id, table, query, pick: pick ? [...pick] : null });
      });
    },
    close() {
      if (unavailable) return;
      unavailable = true;
      if (worker) {
        // Its connection is closed before the thread goes (bounded: a stuck read must not hold up a shutdown).
        post({ type: "close" });
        Atomics.wait(closed, 0, 0, CLOSE_TIMEOUT_MS);
        worker.terminate();
        worker = undefined;
      }
      settleHere();
    },
  };
}
