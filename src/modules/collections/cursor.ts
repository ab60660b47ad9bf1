/**
 * @module modules/collections/cursor
 * The opaque `cursor` of record lists: base64url JSON of the sort it belongs to and the last
 * row's sort-key values. A page resumes strictly after that position (keyset pagination), so
 * records inserted between pages cause neither duplicates nor gaps.
 */

export interface RecordCursor {
  /** The normalised sort, e.g. `-seq` or `updated_at,seq`. */
  sort: string;
  /** One value per sort key: numbers for seq/updated_at, text for id. */
  values: (string | number)[];
}

export class InvalidCursorError extends Error {
  override name = "InvalidCursorError";
  constructor(reason = "not a cursor from this API") {
    super(reason);
  }
}

export function encodeCursor(cursor: RecordCursor): string {
  return Buffer.from(JSON.stringify([cursor.sort, ...cursor.values]), "utf8").toString("base64url");
}

/** Decodes a cursor; `kinds` gives the expected type of each value. @throws InvalidCursorError */
export function decodeCursor(text: string, sort: string, kinds: readonly ("number" | "string")[]): RecordCursor {
  if (!/^[A-Za-z0-9_-]{1,400}$/.test(text)) throw new InvalidCursorError();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(text, "base64url").toString("utf8"));
  } catch {
    throw new InvalidCursorError();
  }
  if (!Array.isArray(parsed) || typeof parsed[0] !== "string") throw new InvalidCursorError();
  if (parsed[0] !== sort) throw new InvalidCursorError("the cursor belongs to a different sort");
  const values = parsed.slice(1) as unknown[];
  if (values.length !== kinds.length) throw new InvalidCursorError();
  values.forEach((v, i) => {
    const ok = kinds[i] === "number" ? typeof v === "number" && Number.isSafeInteger(v) : typeof v === "string" && v.length <= 100;
    if (!ok) throw new InvalidCursorError();
  });
  return { sort, values: values as (string | number)[] };
}
