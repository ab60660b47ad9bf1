/**
 * @module modules/endpoints/dispatch-routes
 * Mounts the dispatcher at `ANY /api/v1/x/:slug/*` and the account's OpenAPI document at
 * `GET /api/v1/x/:slug/openapi.json`.
 */
import type { Server } from "bun";
import { Elysia } from "elysia";
import { checkDeclaredLength } from "../../http/body";
import type { ClientIpResolver } from "../../http/client-ip";
import { coalesced } from "../../http/coalesce";
import { callerRequestId, pathOf, writeAccessLine } from "../../http/core";
import { errorJson } from "../../http/envelope";
import { AppError, badRequest, forbidden, internalError, notFound } from "../../http/errors";
import { newId } from "../../ids";
import type { Logger } from "../../log";
import type { Access } from "../auth/access";
import { admitIdentity } from "../auth/guard";
import type { AccountsService } from "../accounts/service";
import type { createDispatcher } from "./dispatch";
import { accountOpenApi } from "./openapi";
import type { EndpointsService } from "./service";

export const DISPATCH_PREFIX = "/api/v1/x/";

/** The route pattern of the dispatcher, in Elysia and in Bun's own router alike. */
export const DISPATCH_ROUTE = "/api/v1/x/:slug/*";

/**
 * The dispatcher as a route of Bun's own router, for the listening server: custom endpoint calls
 * skip the framework's router and hooks (the dispatcher already answers every outcome itself),
 * which measured 14.5k -> 24k rejects/s. Request id, body limit and access log are kept here;
 * `app.handle()` (tests) still reaches the same dispatcher through the framework route below.
 */
export function dispatchNativeRoutes(dispatch: ReturnType<typeof createDispatcher>, logger: Logger, bodyLimitBytes: number) {
  return {
    [DISPATCH_ROUTE]: (request: Request, server: Server<unknown>): Response | Promise<Response> => {
      const start = performance.now();
      // Without the caller's own, the dispatcher derives the id from the call's execution id.
      const requestId = callerRequestId(request);
      const path = pathOf(request.url);
      try {
        checkDeclaredLength(request, bodyLimitBytes);
        // Bun routed it here, so the path starts with the prefix: `<slug>/<rest>`.
        const tail = path.slice(DISPATCH_PREFIX.length);
        const slash = tail.indexOf("/");
        const slug = slash < 0 ? tail : tail.slice(0, slash);
        // The dispatcher writes the access line as it answers.
        const answer = dispatch({
          request,
          slug: slug.includes("%") ? decodeURIComponent(slug) : slug,
          rest: slash < 0 ? "" : tail.slice(slash + 1),
          server,
          requestId,
          access: { path, start },
        });
        // Sent with the other answers of this turn of the event loop (http/coalesce.ts).
        return coalesced(answer);
      } catch (error) {
        // A bad %-escape in the slug is the caller's; anything else that escaped the dispatcher is ours.
        const appError = error instanceof AppError ? error : error instanceof URIError ? badRequest("Malformed request path") : internalError(error);
        const id = requestId ?? newId("req");
        if (appError.status >= 500) logger.error("dispatch failed", { request_id: id, error: String((error as Error)?.stack ?? error) });
        writeAccessLine(logger, request.method, path, appError.status, start, id);
        return new Response(errorJson(appError), { status: appError.status, headers: { "content-type": "application/json", "x-request-id": id } });
      }
    },
  };
}

export function dispatchRoutes(
  dispatch: ReturnType<typeof createDispatcher>,
  endpoints: EndpointsService,
  accounts: AccountsService,
  access: Access,
  clientIps: ClientIpResolver,
) {
  return new Elysia({ name: "routes.dispatch" })
    .get(
      "/api/v1/x/:slug/openapi.json",
      ({ params, request, server, set }) => {
        const account = accounts.dispatchInfo(params.slug);
        if (!account) throw notFound("No such account");
        // The document lists every path of the account, so only its own callers may read it, and
        // only from where the key and the account allow (any scope: it serves managers and callers).
        const identity = access.authenticate(request.headers.get("authorization"));
        if (identity.principal.account_id !== account.id) throw forbidden("This token belongs to another account");
        admitIdentity(access, clientIps, identity, request, server?.requestIP(request)?.address, set.headers);
        return accountOpenApi(account.slug, endpoints.export(account.id));
      },
      { detail: { tags: ["endpoints"], summary: "OpenAPI 3 document of the account's custom endpoints", security: [{ bearer: [] }] } },
    )
    .all(DISPATCH_ROUTE, ({ request, params, server }) =>
      dispatch({ request, slug: params.slug, rest: params["*"] ?? "", server }),
      { detail: { hide: true } },
    );
}
