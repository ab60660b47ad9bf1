/**
 * @module modules/endpoints/request-info
 * The request as actions, templates and conditions see it. Credentials of the caller
 * (Authorization, Cookie) are left out, so no template can echo or forward them.
 */
import type { ActionRequest } from "../../plugin-api";

const HIDDEN_HEADERS = new Set(["authorization", "cookie", "proxy-authorization"]);

export function requestInfo(request: Request, path: string, params: Record<string, string>, body: unknown, ip: string | undefined): ActionRequest {
  const url = new URL(request.url);
  const query: Record<string, string> = {};
  for (const [key, value] of url.searchParams) query[key] = value;
  const headers: Record<string, string> = {};
  request.headers.forEach((value, key) => {
    if (!HIDDEN_HEADERS.has(key)) headers[key] = value;
  });
  return { method: request.method, path, params, query, headers, body, ip };
}
