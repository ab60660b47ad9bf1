/**
 * @module modules/executions/history-slice
 * The text of a slice of records handed to the history writer thread (through history-ring.ts):
 * two lines per record, `{"rec":…,"secrets":[…]}` without its steps, then the steps' JSON. The
 * steps stay text on the way so the writer can store them as they came when there is nothing to
 * scrub (stored-steps.ts), rather than parse, copy and serialize them again. JSON.stringify never
 * writes a raw line feed, so lines cannot be confused.
 */
import { stepsJson, type PendingExecution, type QueuedExecution } from "./history-batch";

export function encodeSlice(queued: readonly QueuedExecution[], maxResultBytes: number): string {
  let text = "";
  for (const q of queued) {
    const { rec } = q;
    const steps = rec.steps;
    const stepsText = stepsJson(q, maxResultBytes);
    // The head is the record's JSON with its steps set aside for the moment: copying the other
    // fields into a new object instead (`{ steps, ...head }`) made encoding an echo record twice
    // as slow. The recorder owns the record and nothing else runs in between.
    (rec as { steps?: unknown }).steps = undefined;
    let head: string;
    try {
      head = JSON.stringify(q);
    } finally {
      rec.steps = steps;
    }
    text += text === "" ? `${head}\n${stepsText}` : `\n${head}\n${stepsText}`;
  }
  return text;
}

/** The records of a slice; throws when `text` is not one (the whole slice is then lost, and logged). */
export function decodeSlice(text: string): PendingExecution[] {
  if (text === "") return [];
  const lines = text.split("\n");
  if (lines.length % 2 !== 0) throw new Error(`history slice of ${lines.length} lines: expected two per record`);
  const pending: PendingExecution[] = [];
  for (let i = 0; i < lines.length; i += 2) {
    const { rec, secrets } = JSON.parse(lines[i]!) as Omit<PendingExecution, "steps">;
    pending.push({ rec, secrets, steps: lines[i + 1]! });
  }
  return pending;
}
