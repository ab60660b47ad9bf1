/**
 * @module modules/executions/cursor
 * The opaque `cursor` of execution lists: base64url of the last row's (started_at, id). Lists
 * resume strictly after that position, so rows recorded between two pages cause neither
 * duplicates nor gaps (keyset pagination, no OFFSET).
 */

/** A list position: the (started_at, id) of the last row a page showed. */
export interface CursorPosition {
  startedAt: number;
  id: string;
}

/** A `cursor` that was not produced by this API (or was tampered with). */
export class InvalidCursorError extends Error {
  override name = "InvalidCursorError";
  constructor() {
    super("Invalid cursor");
  }
}

// Ids are `prefix_` + base32 (see ids.ts); anything else in a cursor was not written by us.
const POSITION = /^(\d{1,16})\.([A-Za-z0-9_-]{1,64})$/;

/** Encodes a position as base64url text. */
export function encodeCursor(position: CursorPosition): string {
  return Buffer.from(`${position.startedAt}.${position.id}`, "utf8").toString("base64url");
}

/** Decodes a cursor, or throws InvalidCursorError. */
export function decodeCursor(cursor: string): CursorPosition {
  if (!/^[A-Za-z0-9_-]{1,120}$/.test(cursor)) throw new InvalidCursorError();
  const match = POSITION.exec(Buffer.from(cursor, "base64url").toString("utf8"));
  const startedAt = match ? Number(match[1]) : NaN;
  if (!match || !Number.isSafeInteger(startedAt)) throw new InvalidCursorError();
  return { startedAt, id: match[2]! };
}
