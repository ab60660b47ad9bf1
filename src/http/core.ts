/**
 * @module http/core
 * The global request lifecycle every route shares: request id, body limit and parsing, the
 * single error handler that writes the envelope, and one access-log line per request.
 */
import { Elysia } from "elysia";
import type { Logger } from "../log";
import { newId } from "../ids";
import { checkDeclaredLength, parseBody } from "./body";
import { errorBody } from "./envelope";
import { toAppError } from "./to-app-error";

export interface HttpCoreOptions {
  logger: Logger;
  bodyLimitBytes: number;
  /**
   * Paths under which bodies are left unread for the route to read itself (custom endpoints
   * know their own body limit only after matching, and signature checks need the raw bytes).
   */
  rawBodyPrefixes?: string[];
}

interface RequestInfo {
  id: string;
  start: number;
}

const requests = new WeakMap<Request, RequestInfo>();

/** The path of a URL without its query (which may hold tokens): no URL object per request. */
export function pathOf(url: string): string {
  const start = url.indexOf("/", url.indexOf("//") + 2);
  if (start < 0) return "/";
  const query = url.indexOf("?", start);
  return url.slice(start, query < 0 ? undefined : query);
}

/** The id of a request seen by the core plugin (also sent back as `X-Request-Id`). */
export function requestId(request: Request): string | undefined {
  return requests.get(request)?.id;
}

// A caller-supplied id is kept for tracing across proxies only when it is short and plain.
const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/** The caller's own `X-Request-Id`, when it is plain enough to keep. */
export function callerRequestId(request: Request): string | undefined {
  const incoming = request.headers.get("x-request-id");
  return incoming && SAFE_REQUEST_ID.test(incoming) ? incoming : undefined;
}

/** The id a request is known by: the caller's plain `X-Request-Id`, or a new one. */
export function requestIdFor(request: Request): string {
  return callerRequestId(request) ?? newId("req");
}

/** Gives a request its id (a caller's plain one is kept) and starts its clock. */
export function beginRequest(request: Request): string {
  const id = requestIdFor(request);
  requests.set(request, { id, start: performance.now() });
  return id;
}

/** Writes the one access-log line of a request. */
export function logAccess(logger: Logger, request: Request, status: number): void {
  const info = requests.get(request);
  writeAccessLine(logger, request.method, pathOf(request.url), status, info?.start, info?.id);
}

/** The access-log line itself, for a caller that keeps the request's id and start time on its own. */
export function writeAccessLine(logger: Logger, method: string, path: string, status: number, start: number | undefined, id: string | undefined): void {
  logger.info("http", {
    method,
    path,
    status,
    ms: start === undefined ? undefined : Math.round((performance.now() - start) * 100) / 100,
    request_id: id,
  });
}

/** Builds the core plugin; use it first so its hooks cover every route. */
export function httpCore({ logger, bodyLimitBytes, rawBodyPrefixes = [] }: HttpCoreOptions) {
  const leftUnread = (url: string) => {
    const path = pathOf(url);
    return rawBodyPrefixes.some((prefix) => path.startsWith(prefix));
  };
  return new Elysia({ name: "http.core" })
    .onRequest(({ request, set }) => {
      set.headers["x-request-id"] = beginRequest(request);
      checkDeclaredLength(request, bodyLimitBytes);
    })
    .onParse({ as: "global" }, ({ request, contentType }) =>
      // null (not undefined) tells the framework the body is handled, so it reads nothing.
      leftUnread(request.url) ? null : parseBody(request, contentType ?? "", bodyLimitBytes),
    )
    .onError({ as: "global" }, ({ error, code, request, set }) => {
      const appError = toAppError(error, code, request);
      if (appError.status >= 500) {
        const cause = appError.cause ?? error;
        logger.error("request failed", {
          request_id: requestId(request),
          method: request.method,
          path: pathOf(request.url),
          error: cause instanceof Error ? cause.message : String(cause),
          stack: cause instanceof Error ? cause.stack : undefined,
        });
      }
      set.status = appError.status;
      if (appError.headers) Object.assign(set.headers, appError.headers);
      set.headers["content-type"] = "application/json";
      const id = requestId(request);
      if (id) set.headers["x-request-id"] = id;
      return errorBody(appError);
    })
    .onAfterResponse({ as: "global" }, ({ request, set }) => {
      logAccess(logger, request, typeof set.status === "number" ? set.status : 200);
    });
}
