/**
 * @module modules/executions/history-cap
 * Keeps each endpoint's history near `SWITCHBOARD_HISTORY_MAX_PER_ENDPOINT` as it is written,
 * by whichever thread writes it. The retention pass (retention.ts) runs once a minute and deletes
 * at most 100,000 rows a run; a busy endpoint writes that many in a few seconds, so on its own it
 * let history.db grow without bound under load (3.7 million rows of one endpoint, 1.5 GB, after
 * two minutes of wrk on the bench's echo), and the echo slowed down by half as it grew.
 *
 * The writer keeps, for each endpoint it wrote to, an upper bound of its records. Only once that
 * passes the cap by a tenth does it look for the cut (a walk of the endpoint's newest chunks, each
 * holding up to a tenth of the cap: chunks.ts) and delete the whole chunks beyond it, oldest
 * first, about `trimBatch` records at a time so one trim never holds the writer long; a backlog
 * goes over the next writes. What stays is the cap and less than a chunk more. Deletes elsewhere
 * (the retention pass) only lower the real count, so the bound stays a bound; a trim that finds
 * fewer records than the cap deletes nothing. Records inserted by another thread (the request
 * thread, while the writer thread is behind) are not in this thread's bound: they may take an
 * endpoint past cap + a tenth until that thread's own trim, or the next pass.
 */
import type { HistoryTarget } from "./history-batch";
import type { ExecutionsStore, StoredExecution } from "./store";

/** Records deleted by one trim, about, by default (the writer thread's). */
const TRIM_BATCH = 2000;

/**
 * Endpoints whose bounds are kept at most. Deleted endpoints would otherwise stay in the map for
 * the life of the process; past this many, all bounds are forgotten and learned again, each with
 * one look at its endpoint on its next write.
 */
const MAX_BOUNDS = 10_000;

/**
 * `trimBatch`: rows one trim deletes at most. The request thread, when it writes history itself,
 * gives a smaller one: a trim there holds every request for as long as it runs.
 */
export function withEndpointCap(
  store: Pick<ExecutionsStore, "insertRows" | "pruneEndpointBeyond">,
  maxPerEndpoint: number,
  trimBatch = TRIM_BATCH,
): HistoryTarget {
  const max = Math.max(1, Math.floor(maxPerEndpoint));
  const batch = Math.max(1, Math.floor(trimBatch));
  const slack = Math.ceil(max / 10);
  /** Endpoint id -> at least as many rows as it has now; absent: not known yet. */
  const bounds = new Map<string, number>();

  return {
    insertRows: (rows) => store.insertRows(rows),
    afterInsert(rows: readonly StoredExecution[]) {
      const written = new Map<string, number>();
      for (const row of rows) if (row.endpoint_id !== null) written.set(row.endpoint_id, (written.get(row.endpoint_id) ?? 0) + 1);
      for (const [endpointId, n] of written) {
        const bound = (bounds.get(endpointId) ?? Infinity) + n;
        if (bound <= max + slack) {
          bounds.set(endpointId, bound);
          continue;
        }
        if (bounds.size >= MAX_BOUNDS) bounds.clear();
        // Unknown until the trim is done: a trim that throws is tried again with the next write.
        bounds.delete(endpointId);
        const deleted = store.pruneEndpointBeyond(endpointId, max, batch);
        // A full batch may have left more beyond the cap: leave the bound unknown, so the next write trims again.
        if (deleted < batch) bounds.set(endpointId, max);
      }
    },
  };
}
