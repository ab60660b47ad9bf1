/**
 * @module secrets
 * Random secrets and their digests. Secrets are generated here, shown once by the caller and
 * stored only as SHA-256 digests; lookups go by digest, so the secret never sits in the database.
 */
import { timingSafeEqual } from "node:crypto";

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** `length` uniformly random base62 characters (rejection sampling: no modulo bias). */
export function randomBase62(length: number): string {
  let out = "";
  while (out.length < length) {
    const bytes = crypto.getRandomValues(new Uint8Array(length * 2));
    for (let i = 0; i < bytes.length && out.length < length; i++) {
      const b = bytes[i]!;
      if (b < 248) out += BASE62[b % 62]; // 248 = 4 * 62: values above would favour some chars
    }
  }
  return out;
}

/** Hex SHA-256 of a secret; what the database stores and looks up by. */
export function sha256Hex(secret: string): string {
  return Bun.SHA256.hash(secret, "hex") as string;
}

/** Compares two strings in time that does not depend on where they differ. */
export function constantTimeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  if (left.length !== right.length) {
    timingSafeEqual(left, left); // spend comparable time either way
    return false;
  }
  return timingSafeEqual(left, right);
}
