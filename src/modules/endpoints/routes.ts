/**
 * @module modules/endpoints/routes
 * /api/v1/endpoints: define, list, change and delete custom endpoints.
 */
import { Elysia, t } from "elysia";
import type { ClientIpResolver } from "../../http/client-ip";
import { Envelope, ok } from "../../http/envelope";
import { pageMeta, pageOf } from "../../http/pagination";
import type { Access } from "../auth/access";
import { BEARER, authGuard } from "../auth/guard";
import { endpointView } from "./definition";
import { EndpointCreate, EndpointUpdate, EndpointView } from "./schemas";
import type { EndpointsService } from "./service";

const tags = ["endpoints"];
const detail = (summary: string) => ({ tags, security: BEARER, summary });
const IdParams = t.Object({ id: t.String({ maxLength: 64 }) });
const ListQuery = t.Object({
  page: t.Optional(t.Integer({ minimum: 1, maximum: 1_000_000 })),
  limit: t.Optional(t.Integer({ minimum: 1, maximum: 1000 })),
  enabled: t.Optional(t.Boolean()),
  search: t.Optional(t.String({ maxLength: 200, description: "Part of the name, case-insensitive" })),
});

export function endpointsRoutes(endpoints: EndpointsService, access: Access, clientIps: ClientIpResolver) {
  return new Elysia({ name: "routes.endpoints", prefix: "/api/v1/endpoints" })
    .use(authGuard(access, clientIps))
    .post(
      "",
      ({ identity, body, set }) => {
        const row = endpoints.create(identity, body);
        set.status = 201;
        return ok(endpointView(row, identity.accountSlug));
      },
      { auth: "manage", body: EndpointCreate, response: { 201: Envelope(EndpointView) }, detail: detail("Define an endpoint; it is live at once") },
    )
    .get(
      "",
      ({ identity, query }) => {
        const page = pageOf(query);
        const { rows, total } = endpoints.list(identity, { enabled: query.enabled, search: query.search, limit: page.limit, offset: page.offset });
        return ok(
          rows.map((row) => endpointView(row, identity.accountSlug)),
          pageMeta(page, total),
        );
      },
      { auth: "manage", query: ListQuery, response: { 200: Envelope(t.Array(EndpointView)) }, detail: detail("List endpoints (filter by enabled, search by name)") },
    )
    .get("/:id", ({ identity, params }) => ok(endpointView(endpoints.get(identity, params.id), identity.accountSlug)), {
      auth: "manage",
      params: IdParams,
      response: { 200: Envelope(EndpointView) },
      detail: detail("One endpoint"),
    })
    .patch("/:id", ({ identity, params, body }) => ok(endpointView(endpoints.update(identity, params.id, body), identity.accountSlug)), {
      auth: "manage",
      params: IdParams,
      body: EndpointUpdate,
      response: { 200: Envelope(EndpointView) },
      detail: detail("Change an endpoint (validated like a create)"),
    })
    .delete("/:id", ({ identity, params }) => ok(endpointView(endpoints.remove(identity, params.id), identity.accountSlug)), {
      auth: "manage",
      params: IdParams,
      response: { 200: Envelope(EndpointView) },
      detail: detail("Delete an endpoint; its history is kept until retention prunes it"),
    });
}
