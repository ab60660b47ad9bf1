/**
 * @module modules/executions/routes
 * The execution history of custom endpoints: GET /api/v1/endpoints/:id/executions (cursor pages,
 * newest first) and GET /api/v1/executions/:id. Both see only the caller's account.
 */
import { Elysia, t } from "elysia";
import type { ClientIpResolver } from "../../http/client-ip";
import { Envelope, ok } from "../../http/envelope";
import { badRequest, notFound } from "../../http/errors";
import type { Access } from "../auth/access";
import { BEARER, authGuard } from "../auth/guard";
import { InvalidCursorError } from "./cursor";
import { CursorMeta, ExecutionListQuery, ExecutionView, executionView } from "./schemas";
import type { ExecutionsStore } from "./store";

export interface ExecutionsRoutesDeps {
  store: ExecutionsStore;
  access: Access;
  clientIps: ClientIpResolver;
  /** True when the endpoint exists and belongs to the account. */
  endpointExists: (accountId: string, endpointId: string) => boolean;
}

const tags = ["executions"];
const detail = (summary: string) => ({ tags, security: BEARER, summary });
const IdParams = t.Object({ id: t.String({ maxLength: 64 }) });

/** `from`/`to`: unix milliseconds or an ISO 8601 time; anything else is a 400 naming the field. */
export function parseTime(value: string | undefined, field: string): number | undefined {
  if (value === undefined || value === "") return undefined;
  if (/^\d{1,16}$/.test(value)) return Number(value);
  // Date.parse accepts many loose forms; require something that starts like an ISO date.
  const ms = /^\d{4}-\d{2}-\d{2}/.test(value) ? Date.parse(value) : NaN;
  if (Number.isNaN(ms)) throw badRequest(`Invalid query.${field}: expected an ISO 8601 time or unix milliseconds`, { field: `query.${field}` });
  return ms;
}

export function executionsRoutes({ store, access, clientIps, endpointExists }: ExecutionsRoutesDeps) {
  return new Elysia({ name: "routes.executions", prefix: "/api/v1" })
    .use(authGuard(access, clientIps))
    .get(
      "/endpoints/:id/executions",
      ({ identity, params, query }) => {
        const accountId = identity.principal.account_id;
        // History outlives a deleted endpoint: the account's own rows keep it listable.
        if (!endpointExists(accountId, params.id) && !store.hasForEndpoint(accountId, params.id)) throw notFound("Endpoint not found");
        const from = parseTime(query.from, "from");
        const to = parseTime(query.to, "to");
        try {
          const page = store.listForEndpoint(accountId, params.id, { status: query.status, from, to, cursor: query.cursor, limit: query.limit ?? 50 });
          return ok(page.rows.map(executionView), { next_cursor: page.next_cursor, has_more: page.has_more });
        } catch (error) {
          if (error instanceof InvalidCursorError) throw badRequest("Invalid query.cursor: not a cursor from this API", { field: "query.cursor" });
          throw error;
        }
      },
      {
        auth: "manage",
        params: IdParams,
        query: ExecutionListQuery,
        response: { 200: Envelope(t.Array(ExecutionView), CursorMeta) },
        detail: detail("An endpoint's execution history, newest first, in cursor pages"),
      },
    )
    .get(
      "/executions/:id",
      ({ identity, params }) => {
        const rec = store.get(identity.principal.account_id, params.id);
        if (!rec) throw notFound("Execution not found");
        return ok(executionView(rec));
      },
      { auth: "manage", params: IdParams, response: { 200: Envelope(ExecutionView) }, detail: detail("One execution with its steps") },
    );
}
