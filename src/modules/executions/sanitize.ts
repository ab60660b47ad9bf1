/**
 * @module modules/executions/sanitize
 * The execution record as it is stored: secrets replaced, step results truncated, messages bounded.
 */
import { redactSecrets, truncateResult } from "./redact";
import type { ExecutionRecord, StepRecord } from "./types";

/** An error message longer than this is cut: it is for people scanning a history list. */
const MAX_ERROR_MESSAGE = 2000;

const clip = (text: string) => (text.length > MAX_ERROR_MESSAGE ? `${text.slice(0, MAX_ERROR_MESSAGE)}…` : text);

/**
 * The record as it may be stored: the path, step names, error messages and step results go through
 * `redactSecrets` (credential values, Switchboard tokens, values under secret-looking keys, also
 * inside JSON text); messages are then clipped to 2000 characters and results above
 * `maxResultBytes` cut to a preview. The input is not changed.
 */
export function sanitizeRecord(rec: ExecutionRecord, secrets: readonly string[], maxResultBytes = 4096): ExecutionRecord {
  const scrub = (text: string) => clip(redactSecrets(text, secrets) as string);
  const steps: StepRecord[] = rec.steps.map((step) => {
    const safe: StepRecord = { index: step.index, type: step.type, status: step.status, duration_ms: step.duration_ms };
    if (step.name !== undefined) safe.name = scrub(step.name);
    // Redact before truncating: a preview cut through a secret would no longer match it.
    if (step.result !== undefined) safe.result = truncateResult(redactSecrets(step.result, secrets), maxResultBytes);
    if (step.error) safe.error = { code: String(step.error.code), message: scrub(String(step.error.message)) };
    return safe;
  });
  const safe: ExecutionRecord = { ...rec, path: redactSecrets(rec.path, secrets) as string, steps };
  if (rec.error_message !== undefined) safe.error_message = scrub(rec.error_message);
  return safe;
}
