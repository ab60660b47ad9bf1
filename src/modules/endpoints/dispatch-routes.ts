/**
 * @module modules/endpoints/dispatch-routes
 * Mounts the dispatcher at `ANY /api/v1/x/:slug/*` and the account's OpenAPI document at
 * `GET /api/v1/x/:slug/openapi.json`.
 */
import { Elysia } from "elysia";
import type { Access } from "../auth/access";
import { forbidden, notFound } from "../../http/errors";
import type { AccountsService } from "../accounts/service";
import type { createDispatcher } from "./dispatch";
import { accountOpenApi } from "./openapi";
import type { EndpointsService } from "./service";

export const DISPATCH_PREFIX = "/api/v1/x/";

export function dispatchRoutes(dispatch: ReturnType<typeof createDispatcher>, endpoints: EndpointsService, accounts: AccountsService, access: Access) {
  return new Elysia({ name: "routes.dispatch" })
    .get(
      "/api/v1/x/:slug/openapi.json",
      ({ params, request }) => {
        const account = accounts.dispatchInfo(params.slug);
        if (!account) throw notFound("No such account");
        // The document lists every path of the account, so only its own callers may read it.
        const identity = access.authenticate(request.headers.get("authorization"));
        if (identity.principal.account_id !== account.id) throw forbidden("This token belongs to another account");
        return accountOpenApi(account.slug, endpoints.export(account.id));
      },
      { detail: { tags: ["endpoints"], summary: "OpenAPI 3 document of the account's custom endpoints", security: [{ bearer: [] }] } },
    )
    .all("/api/v1/x/:slug/*", ({ request, params, server }) =>
      dispatch({ request, slug: params.slug, rest: params["*"] ?? "", socketIp: server?.requestIP(request)?.address }),
      { detail: { hide: true } },
    );
}
