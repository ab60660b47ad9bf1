/**
 * @module modules/collections/reader-worker
 * The records reader thread (started by reader-thread.ts): its own connection to the instance
 * database and its own collections store, through which it reads the pages of query_records and
 * turns the rows into record views as JSON text. The request thread then only parses that text:
 * reading the rows and building the views were about half of its time per query call.
 */
import { openDatabase, type Database } from "../../db/open";
import type { ReaderMessage, ReaderReply } from "./reader-protocol";
import { toView } from "./record-view";
import { createCollectionsStore, type CollectionsStore } from "./store";

declare const self: Worker;

let db: Database | undefined;
let store: CollectionsStore | undefined;
let closed: Int32Array | undefined;

const reply = (message: ReaderReply) => self.postMessage(message);
const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

self.onmessage = (event: MessageEvent<ReaderMessage>) => {
  const message = event.data;
  if (message.type === "select") {
    try {
      const rows = store!.selectRecords(message.table, message.query);
      const pick = message.pick ? new Set(message.pick) : undefined;
      reply({ type: "records", id: message.id, json: JSON.stringify(rows.map((row) => toView(row, pick))) });
    } catch (error) {
      reply({ type: "error", id: message.id, message: messageOf(error) });
    }
  } else if (message.type === "open") {
    closed = message.closed;
    try {
      db = openDatabase(message.path);
      store = createCollectionsStore(db);
    } catch (error) {
      reply({ type: "failed", message: messageOf(error) });
    }
  } else if (message.type === "close") {
    // Not db.close(): that checkpoints and optimizes, which is the main connection's job.
    db?.sqlite.close(false);
    db = undefined;
    store = undefined;
    if (closed) {
      Atomics.store(closed, 0, 1);
      Atomics.notify(closed, 0);
    }
  }
};
