/**
 * @module modules/collections/record-view
 * A stored row as the API shows a record. Shared by the records service and the reader thread
 * (reader-worker.ts), which must answer exactly what the service would.
 */
import { RESERVED_FIELDS } from "./definition";
import type { RecordData } from "./validate";
import type { RecordRow } from "./store";

/** A record as the API shows it: server fields, then the data fields. */
export interface RecordView {
  id: string;
  created_at: string;
  updated_at: string;
  [field: string]: unknown;
}

const iso = (ms: number) => new Date(ms).toISOString();

export function toView(row: RecordRow, pick?: ReadonlySet<string>): RecordView {
  const data = JSON.parse(row.data) as RecordData;
  if (!pick) {
    // Most records were never changed: one date text serves both (toISOString is the costly part of a row).
    const created = iso(row.created_at);
    return { id: row.id, created_at: created, updated_at: row.updated_at === row.created_at ? created : iso(row.updated_at), ...data };
  }
  const view: Record<string, unknown> = {};
  if (pick.has("id")) view.id = row.id;
  if (pick.has("created_at")) view.created_at = iso(row.created_at);
  if (pick.has("updated_at")) view.updated_at = iso(row.updated_at);
  for (const name of pick) if (!RESERVED_FIELDS.has(name) && Object.hasOwn(data, name)) view[name] = data[name];
  return view as RecordView;
}
