/**
 * @module clock
 * The current time as an ISO 8601 string, formatted once per millisecond: a busy server asks for
 * it on every call (log lines, a template's `now`), many times within the same millisecond.
 */

let lastMs = -1;
let lastIso = "";

export function isoNow(): string {
  const ms = Date.now();
  if (ms !== lastMs) {
    lastMs = ms;
    lastIso = new Date(ms).toISOString();
  }
  return lastIso;
}
