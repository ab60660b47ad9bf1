/**
 * @module ids
 * Prefixed, time-sortable identifiers (`req_…`, `key_…`): 48 bits of milliseconds then 80 random
 * bits, in Crockford base32, so ids sort by creation time and index well in SQLite.
 *
 * Every request takes two of them, so the work is kept small: the time part is encoded once per
 * millisecond, and random bytes come from a pool refilled 4 KiB at a time rather than one
 * getRandomValues call (and one typed array) per id.
 */

const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";
const CODES = Uint8Array.from(ALPHABET, (c) => c.charCodeAt(0));
const RANDOM_CHARS = 16;
const POOL_BYTES = 4096;

let pool = new Uint8Array(0);
let offset = 0;
let lastMs = -1;
let lastTime = "";

function timePart(now: number): string {
  if (now === lastMs) return lastTime;
  let time = "";
  let ms = now;
  for (let i = 0; i < 10; i++) {
    time = ALPHABET[ms % 32] + time;
    ms = Math.floor(ms / 32);
  }
  lastMs = now;
  lastTime = time;
  return time;
}

/** A new id such as `req_01jd3x4k5m6n7p8q9r0s1t2v3w`. */
export function newId(prefix: string, now = Date.now()): string {
  if (offset + RANDOM_CHARS > pool.length) {
    pool = crypto.getRandomValues(new Uint8Array(POOL_BYTES));
    offset = 0;
  }
  const p = pool;
  const o = offset;
  offset += RANDOM_CHARS;
  // One flat string from 16 character codes: appending character by character built a rope of 16
  // pieces per id (2.5x the cost). 256 is a multiple of 32, so `& 31` keeps every character equally likely.
  const random = String.fromCharCode(
    CODES[p[o]! & 31]!, CODES[p[o + 1]! & 31]!, CODES[p[o + 2]! & 31]!, CODES[p[o + 3]! & 31]!,
    CODES[p[o + 4]! & 31]!, CODES[p[o + 5]! & 31]!, CODES[p[o + 6]! & 31]!, CODES[p[o + 7]! & 31]!,
    CODES[p[o + 8]! & 31]!, CODES[p[o + 9]! & 31]!, CODES[p[o + 10]! & 31]!, CODES[p[o + 11]! & 31]!,
    CODES[p[o + 12]! & 31]!, CODES[p[o + 13]! & 31]!, CODES[p[o + 14]! & 31]!, CODES[p[o + 15]! & 31]!,
  );
  return `${prefix}_${timePart(now)}${random}`;
}

/**
 * The creation time (unix ms) written into an id by `newId`, or undefined when `id` is not one
 * (`prefix_` then 26 base32 characters). The execution history finds a record by it (store.ts).
 */
export function idTime(id: string): number | undefined {
  const start = id.indexOf("_") + 1;
  if (start === 0 || id.length !== start + 10 + RANDOM_CHARS) return undefined;
  let ms = 0;
  for (let i = start; i < start + 10; i++) {
    const digit = ALPHABET.indexOf(id[i]!);
    if (digit < 0) return undefined;
    ms = ms * 32 + digit;
  }
  return ms;
}
