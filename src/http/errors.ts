/**
 * @module http/errors
 * The one error type of the HTTP edge. Every failure a client sees is an AppError with a
 * code from the closed list of DESIGN.md; the status follows from the code.
 */

/** Error codes of the envelope, each with its HTTP status (DESIGN.md, Envelope and errors). */
export const ERROR_STATUS = {
  VALIDATION_ERROR: 400,
  UNAUTHORIZED: 401,
  INSUFFICIENT_CREDITS: 402,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  RATE_LIMITED: 429,
  INTERNAL_ERROR: 500,
  UPSTREAM_ERROR: 502,
  TIMEOUT: 504,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

/** Public-safe details: field paths, limits, allowed methods. Never a stack, SQL or secret. */
export type ErrorDetails = Record<string, unknown>;

/**
 * An error meant for the client. `message` and `details` are sent as they are, so they must be
 * written for the client; the underlying `cause` is only logged.
 */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details?: ErrorDetails;
  /** Extra response headers, e.g. `Allow` on 405 or `Retry-After` on 429. */
  readonly headers?: Record<string, string>;

  constructor(
    code: ErrorCode,
    message: string,
    options: { details?: ErrorDetails; headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    // A 4xx is an expected outcome raised at a known place: its stack is never read, and capturing
    // one is most of what a refused call costs (a flood of bad keys). 5xx keep theirs for the log.
    const stackTraceLimit = Error.stackTraceLimit;
    if (ERROR_STATUS[code] < 500) Error.stackTraceLimit = 0;
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    Error.stackTraceLimit = stackTraceLimit;
    this.name = "AppError";
    this.code = code;
    this.status = ERROR_STATUS[code];
    this.details = options.details;
    this.headers = options.headers;
  }
}

export const badRequest = (message: string, details?: ErrorDetails) =>
  new AppError("VALIDATION_ERROR", message, { details });
export const unauthorized = (message = "Authentication required") => new AppError("UNAUTHORIZED", message);
export const forbidden = (message = "Not allowed") => new AppError("FORBIDDEN", message);
export const notFound = (message = "Not found") => new AppError("NOT_FOUND", message);
export const conflict = (message: string, details?: ErrorDetails) => new AppError("CONFLICT", message, { details });
export const payloadTooLarge = (limitBytes: number) =>
  new AppError("PAYLOAD_TOO_LARGE", `Request body exceeds the limit of ${limitBytes} bytes`, {
    details: { limit_bytes: limitBytes },
  });
export const methodNotAllowed = (allow: string[]) =>
  new AppError("METHOD_NOT_ALLOWED", "Method not allowed", {
    details: { allow },
    headers: { Allow: allow.join(", ") },
  });
export const internalError = (cause?: unknown) =>
  new AppError("INTERNAL_ERROR", "Internal error", { cause });
