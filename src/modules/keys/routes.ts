/**
 * @module modules/keys/routes
 * /api/v1/keys: create (the secret is in that response only), list, get, revoke.
 */
import { Elysia, t } from "elysia";
import type { ClientIpResolver } from "../../http/client-ip";
import { Envelope, ok } from "../../http/envelope";
import { PageQuery, pageMeta, pageOf } from "../../http/pagination";
import type { AccountsService } from "../accounts/service";
import type { Access } from "../auth/access";
import { BEARER, authGuard } from "../auth/guard";
import { CreatedKeyView, KeyCreate, KeyView } from "./schemas";
import type { KeysService } from "./service";

const tags = ["keys"];
const detail = (summary: string) => ({ tags, security: BEARER, summary });
const IdParams = t.Object({ id: t.String({ maxLength: 64 }) });

export function keysRoutes(keys: KeysService, accounts: AccountsService, access: Access, clientIps: ClientIpResolver) {
  return new Elysia({ name: "routes.keys", prefix: "/api/v1/keys" })
    .use(authGuard(access, clientIps))
    .post(
      "",
      ({ identity, body, set }) => {
        const account = accounts.get(identity.principal.account_id);
        const created = keys.create({ accountId: account.id, userId: identity.principal.user_id, accountPlan: account.plan }, body, identity);
        set.status = 201;
        set.headers["cache-control"] = "no-store";
        return ok(created);
      },
      { auth: "manage", body: KeyCreate, response: { 201: Envelope(CreatedKeyView) }, detail: detail("Create an API key; the secret is shown once") },
    )
    .get(
      "",
      ({ identity, query }) => {
        const page = pageOf(query);
        const { rows, total } = keys.list(identity, page.limit, page.offset);
        return ok(rows, pageMeta(page, total));
      },
      {
        auth: "manage",
        query: PageQuery,
        response: { 200: Envelope(t.Array(KeyView)) },
        detail: detail("List keys (members see their own); never shows a secret"),
      },
    )
    .get("/:id", ({ identity, params }) => ok(keys.get(identity, params.id)), {
      auth: "manage",
      params: IdParams,
      response: { 200: Envelope(KeyView) },
      detail: detail("One key"),
    })
    .delete("/:id", ({ identity, params }) => ok(keys.revoke(identity, params.id)), {
      auth: "manage",
      params: IdParams,
      response: { 200: Envelope(KeyView) },
      detail: detail("Revoke a key; it fails from the very next request"),
    });
}
