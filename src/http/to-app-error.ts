/**
 * @module http/to-app-error
 * Normalises anything thrown during a request into an AppError. Framework errors with a meaning
 * for the client (bad body, failed schema, unknown route) map to their code; anything else is a
 * bug and becomes a bare INTERNAL_ERROR whose cause is only logged.
 */
import { AppError, ERROR_STATUS, badRequest, internalError, notFound, type ErrorCode } from "./errors";

const MAX_VALIDATION_ISSUES = 20;

interface ValidationIssue {
  path?: string;
  message?: string;
  summary?: string;
}

/** Maps a thrown value and the framework's code for it to the AppError the client sees. */
export function toAppError(error: unknown, frameworkCode: string | number, request: Request): AppError {
  if (error instanceof AppError) return error;
  switch (frameworkCode) {
    case "PARSE": {
      const cause = (error as { cause?: unknown }).cause;
      return cause instanceof AppError ? cause : badRequest("Malformed request body");
    }
    case "VALIDATION":
      return validationError(error, request);
    case "NOT_FOUND":
      return notFound(`No route for ${request.method} ${new URL(request.url).pathname}`);
    case "INVALID_COOKIE_SIGNATURE":
    case "INVALID_FILE_TYPE":
      return badRequest((error as Error).message);
  }
  // A status thrown through the framework's status() helper keeps its meaning when it has one.
  const status = (error as { code?: unknown }).code;
  if (typeof status === "number") {
    const code = (Object.keys(ERROR_STATUS) as ErrorCode[]).find((c) => ERROR_STATUS[c] === status);
    if (code && status < 500) return new AppError(code, String((error as { response?: unknown }).response ?? code));
  }
  return internalError(error);
}

/** A schema failure -> 400 naming where (`body.name`) and what, never echoing the value sent. */
function validationError(error: unknown, request: Request): AppError {
  const e = error as { type?: string; all?: ValidationIssue[]; message?: string; value?: unknown };
  let on = typeof e.type === "string" ? e.type : "request";
  // A query value converted to a number and then out of range (`limit=-1`) fails with type
  // "property" and no path: name the query parameter that holds the value instead.
  let where: string | undefined;
  if (on === "property") {
    on = "query";
    where = queryFieldHolding(request, e.value);
  }
  let issues: ValidationIssue[] = [];
  try {
    issues = Array.isArray(e.all) ? e.all : [];
  } catch {
    // `all` is a getter that re-runs the validator; a failure there must not turn a 400 into a 500.
  }
  const errors = issues.slice(0, MAX_VALIDATION_ISSUES).map((issue) => ({
    field: where ?? fieldName(on, issue.path),
    message: issue.message ?? "invalid value",
  }));
  const first = errors[0];
  const message = first ? `Invalid ${first.field}: ${first.message}` : `Invalid ${on}`;
  return badRequest(message, { on, errors });
}

/** `query.<name>` of the one query parameter whose value is `value`; undefined when none or several. */
function queryFieldHolding(request: Request, value: unknown): string | undefined {
  const names = new Set<string>();
  try {
    for (const [name, text] of new URL(request.url).searchParams) if (text === String(value)) names.add(name);
  } catch {
    return undefined;
  }
  return names.size === 1 ? `query.${[...names][0]}` : undefined;
}

function fieldName(on: string, path?: string): string {
  if (!path || path === "/") return on;
  return on + path.split("/").filter(Boolean).map((part) => (/^\d+$/.test(part) ? `[${part}]` : `.${part}`)).join("");
}
