/**
 * @module ids
 * Prefixed, time-sortable identifiers (`req_…`, `key_…`): 48 bits of milliseconds then 80 random
 * bits, in Crockford base32, so ids sort by creation time and index well in SQLite.
 */

const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";

/** A new id such as `req_01jd3x4k5m6n7p8q9r0s1t2v3w`. */
export function newId(prefix: string, now = Date.now()): string {
  let time = "";
  let ms = now;
  for (let i = 0; i < 10; i++) {
    time = ALPHABET[ms % 32] + time;
    ms = Math.floor(ms / 32);
  }
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  let random = "";
  for (let i = 0; i < 16; i++) random += ALPHABET[bytes[i]! & 31];
  return `${prefix}_${time}${random}`;
}
