/**
 * @module http/body
 * Request body reading with a hard byte limit and JSON parsing that is safe for whatever a client
 * sends: too large -> 413, malformed or too deep -> 400, `__proto__` keys dropped. Callers that
 * must hash exactly the bytes that arrived (signatures, idempotency) read the text and decode it
 * themselves.
 */
import { AppError, badRequest, payloadTooLarge } from "./errors";

/** Deepest JSON nesting accepted; deeper input is refused before any code walks it recursively. */
export const MAX_JSON_DEPTH = 100;

/** Refuses a declared Content-Length over the limit before a single byte is read; returns the header (null without one). */
export function checkDeclaredLength(request: Request, limitBytes: number): string | null {
  const declared = request.headers.get("content-length");
  if (declared !== null && Number(declared) > limitBytes) throw payloadTooLarge(limitBytes);
  return declared;
}

/**
 * Whether a request may carry a body, answered from its headers when it can: asking for
 * `request.body` builds a stream, which costs more than reading a small body natively.
 */
export function mayHaveBody(request: Request): boolean {
  const declared = request.headers.get("content-length");
  return declared !== null ? declared !== "0" : request.body !== null;
}

/** Reads the body as UTF-8 text, stopping with 413 as soon as it passes `limitBytes`. */
export async function readBodyText(request: Request, limitBytes: number): Promise<string> {
  return decodeUtf8(await readBodyBytes(request, limitBytes));
}

const NO_BYTES = new Uint8Array(0);

/**
 * Reads the body's bytes, stopping with 413 as soon as they pass `limitBytes`. Not itself async:
 * with a Content-Length, the runtime's own read is handed back as it is, so the caller's await is
 * the only suspension on the way (a hot path for custom endpoints).
 */
export function readBodyBytes(request: Request, limitBytes: number): Promise<Uint8Array> {
  const declared = checkDeclaredLength(request, limitBytes);
  // Framing holds the body to the declared length, so the runtime's native read is safe here,
  // and far cheaper than pulling chunks through a JS reader (or even asking for the stream).
  if (declared !== null) return declared === "0" ? Promise.resolve(NO_BYTES) : request.bytes();
  return readStreamedBytes(request, limitBytes);
}

async function readStreamedBytes(request: Request, limitBytes: number): Promise<Uint8Array> {
  if (!request.body) return NO_BYTES;
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limitBytes) {
      await reader.cancel().catch(() => {});
      throw payloadTooLarge(limitBytes);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** The bytes as UTF-8 text, or a 400 when they are not UTF-8. */
export function decodeUtf8(bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw badRequest("Request body is not valid UTF-8");
  }
}

/** Parses JSON text from a client into a value, or throws a 400 that says why. */
export function parseJsonBody(text: string): unknown {
  // null, not undefined: the framework would take undefined as "not parsed" and read again.
  if (text.trim() === "") return null;
  if (text.length > MAX_JSON_DEPTH && jsonDepthExceeds(text, MAX_JSON_DEPTH)) {
    throw badRequest(`JSON nested deeper than ${MAX_JSON_DEPTH} levels`);
  }
  try {
    // The reviver costs time, so it only runs when the text could hold a __proto__ key: written
    // out, or spelled with escapes (`"\u005f_proto__"` is the same key once parsed).
    return text.includes("__proto__") || text.includes("\\u") ? JSON.parse(text, dropProtoKeys) : JSON.parse(text);
  } catch (error) {
    if (error instanceof AppError) throw error;
    throw badRequest("Malformed JSON in request body", { reason: (error as Error).message });
  }
}

function dropProtoKeys(key: string, value: unknown) {
  return key === "__proto__" ? undefined : value;
}

/** True when brackets outside strings nest deeper than `max`; a linear scan, no recursion. */
export function jsonDepthExceeds(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \ */) i++;
      else if (c === 34 /* " */) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 /* { */ || c === 91 /* [ */) {
      if (++depth > max) return true;
    } else if (c === 125 /* } */ || c === 93 /* ] */) depth--;
  }
  return false;
}

/**
 * Reads and decodes a body by content type: JSON (and `+json`), form-urlencoded to an object,
 * text as a string, multipart to an object of its fields, anything else as its bytes. Every kind
 * is read here, under the limit: a body left to the framework would be read whole, however large.
 */
export async function parseBody(request: Request, contentType: string, limitBytes: number): Promise<unknown> {
  const kind = bodyKind(contentType);
  if (kind !== "other") return decodeBody(await readBodyText(request, limitBytes), kind);
  const bytes = await readBodyBytes(request, limitBytes);
  // null, not undefined: the framework would take undefined as "not parsed" and read it itself.
  if (bytes.byteLength === 0) return null;
  return isMultipart(contentType) ? multipartToObject(bytes, contentType) : bytes;
}

const isMultipart = (contentType: string) => contentType.trimStart().toLowerCase().startsWith("multipart/form-data");

/** Multipart fields as an object (files as File), as the framework would give them; a 400 when malformed. */
async function multipartToObject(bytes: Uint8Array, contentType: string): Promise<Record<string, unknown>> {
  let form: FormData;
  try {
    form = await new Response(bytes as Uint8Array<ArrayBuffer>, { headers: { "content-type": contentType } }).formData();
  } catch {
    throw badRequest("Malformed multipart/form-data body");
  }
  return fieldsToObject(form as unknown as Iterable<[string, FormDataEntryValue]>);
}

export type BodyKind = "json" | "form" | "text" | "other";

/** How a body of this content type is decoded. */
export function bodyKind(contentType: string): BodyKind {
  if (contentType === "application/json") return "json";
  const type = contentType.split(";", 1)[0]!.trim().toLowerCase();
  if (type === "application/json" || type.endsWith("+json")) return "json";
  if (type === "application/x-www-form-urlencoded") return "form";
  return type.startsWith("text/") ? "text" : "other";
}

/** Body text decoded by its kind; text and other types stay the text itself. */
export function decodeBody(text: string, kind: BodyKind): unknown {
  if (kind === "json") return parseJsonBody(text);
  if (kind === "form") return formToObject(text);
  return text;
}

function formToObject(text: string): Record<string, string | string[]> {
  return fieldsToObject(new URLSearchParams(text));
}

/** Form fields as an object: a repeated name becomes an array, `__proto__` is dropped. */
function fieldsToObject<V>(fields: Iterable<[string, V]>): Record<string, V | V[]> {
  const out: Record<string, V | V[]> = {};
  for (const [key, value] of fields) {
    if (key === "__proto__") continue;
    const existing = out[key];
    if (existing === undefined) out[key] = value;
    else if (Array.isArray(existing)) existing.push(value);
    else out[key] = [existing, value];
  }
  return out;
}
