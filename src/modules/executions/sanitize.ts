/**
 * @module modules/executions/sanitize
 * The execution record as it is stored: secrets replaced, step results truncated, messages bounded.
 */
import { redactSecrets, truncateResult } from "./redact";
import type { ExecutionRecord, StepRecord } from "./types";

/** An error message longer than this is cut: it is for people scanning a history list. */
export const MAX_ERROR_MESSAGE = 2000;

const clip = (text: string) => (text.length > MAX_ERROR_MESSAGE ? `${text.slice(0, MAX_ERROR_MESSAGE)}…` : text);

/** The step list as it may be stored: see sanitizeRecord. The input is not changed. */
export function sanitizeSteps(steps: readonly StepRecord[], secrets: readonly string[], maxResultBytes = 4096): StepRecord[] {
  const scrub = (text: string) => clip(redactSecrets(text, secrets) as string);
  return steps.map((step) => {
    const safe: StepRecord = { index: step.index, type: step.type, status: step.status, duration_ms: step.duration_ms };
    if (step.name !== undefined) safe.name = scrub(step.name);
    // Redact before truncating: a preview cut through a secret would no longer match it.
    if (step.result !== undefined) safe.result = truncateResult(redactSecrets(step.result, secrets), maxResultBytes);
    if (step.error) safe.error = { code: String(step.error.code), message: scrub(String(step.error.message)) };
    return safe;
  });
}

/** Everything of the record but its steps, as it may be stored: see sanitizeRecord. */
export function sanitizeHead<T extends Omit<ExecutionRecord, "steps">>(rec: T, secrets: readonly string[]): T {
  const safe: T = { ...rec, path: redactSecrets(rec.path, secrets) as string };
  if (rec.error_message !== undefined) safe.error_message = clip(redactSecrets(rec.error_message, secrets) as string);
  return safe;
}

/**
 * The record as it may be stored: the path, step names, error messages and step results go through
 * `redactSecrets` (credential values, Switchboard tokens, values under secret-looking keys, also
 * inside JSON text); messages are then clipped to 2000 characters and results above
 * `maxResultBytes` cut to a preview. The input is not changed.
 */
export function sanitizeRecord(rec: ExecutionRecord, secrets: readonly string[], maxResultBytes = 4096): ExecutionRecord {
  return { ...sanitizeHead(rec, secrets), steps: sanitizeSteps(rec.steps, secrets, maxResultBytes) };
}
