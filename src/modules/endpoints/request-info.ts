/**
 * @module modules/endpoints/request-info
 * The request as actions, templates and conditions see it. Credentials of the caller
 * (Authorization, Cookie) are left out, so no template can echo or forward them.
 *
 * `query` and `headers` are built on first read: most pipelines look at the body and params only,
 * and copying every header costs more than the rest of this object together.
 */
import type { ActionRequest } from "../../plugin-api";

const HIDDEN_HEADERS = new Set(["authorization", "cookie", "proxy-authorization"]);

export function requestInfo(request: Request, path: string, params: Record<string, string>, body: unknown, ip: string | undefined): ActionRequest {
  let query: Record<string, string> | undefined;
  let headers: Record<string, string> | undefined;
  return {
    method: request.method,
    path,
    params,
    get query() {
      return (query ??= queryOf(request.url));
    },
    get headers() {
      return (headers ??= visibleHeaders(request.headers));
    },
    body,
    ip,
  };
}

function queryOf(url: string): Record<string, string> {
  const query: Record<string, string> = {};
  const start = url.indexOf("?");
  if (start < 0) return query;
  const hash = url.indexOf("#", start);
  for (const [key, value] of new URLSearchParams(url.slice(start + 1, hash < 0 ? undefined : hash))) {
    if (key !== "__proto__") query[key] = value;
  }
  return query;
}

function visibleHeaders(source: Headers): Record<string, string> {
  const headers: Record<string, string> = {};
  source.forEach((value, key) => {
    if (!HIDDEN_HEADERS.has(key)) headers[key] = value;
  });
  return headers;
}
