/**
 * @module modules/accounts/routes
 * GET/PATCH /api/v1/account (the caller's account) and /api/v1/accounts (instance admins).
 */
import { Elysia, t } from "elysia";
import type { ClientIpResolver } from "../../http/client-ip";
import { Envelope, ok } from "../../http/envelope";
import { PageQuery, pageMeta, pageOf } from "../../http/pagination";
import type { Access } from "../auth/access";
import { BEARER, authGuard } from "../auth/guard";
import { AccountCreate, AccountPatch, AccountView, UserView } from "./schemas";
import type { AccountsService } from "./service";
import { accountView, userView } from "./views";

const tags = ["accounts"];
const detail = (summary: string) => ({ tags, security: BEARER, summary });
const IdParams = t.Object({ id: t.String({ maxLength: 64 }) });

export function accountsRoutes(accounts: AccountsService, access: Access, clientIps: ClientIpResolver) {
  return new Elysia({ name: "routes.accounts", prefix: "/api/v1" })
    .use(authGuard(access, clientIps))
    .get("/account", ({ identity }) => ok(accountView(accounts.get(identity.principal.account_id))), {
      auth: "manage",
      response: { 200: Envelope(AccountView) },
      detail: detail("The caller's account"),
    })
    .patch("/account", ({ identity, body }) => ok(accountView(accounts.updateOwn(identity, body))), {
      auth: "manage",
      body: AccountPatch,
      response: { 200: Envelope(AccountView) },
      detail: detail("Rename (owners); plan, credits, active, ip_allowlist (instance admins)"),
    })
    .post(
      "/accounts",
      async ({ identity, body, set }) => {
        const { account, owner } = await accounts.create(identity, body);
        set.status = 201;
        return ok({ ...accountView(account), owner: userView(owner) });
      },
      {
        auth: "manage",
        body: AccountCreate,
        response: { 201: Envelope(t.Composite([AccountView, t.Object({ owner: UserView })])) },
        detail: detail("Create an account and its first owner (instance admins)"),
      },
    )
    .get(
      "/accounts",
      ({ identity, query }) => {
        const page = pageOf(query);
        const { rows, total } = accounts.list(identity, page.limit, page.offset);
        return ok(rows.map(accountView), pageMeta(page, total));
      },
      { auth: "manage", query: PageQuery, response: { 200: Envelope(t.Array(AccountView)) }, detail: detail("List accounts (instance admins)") },
    )
    .patch("/accounts/:id", ({ identity, params, body }) => ok(accountView(accounts.updateById(identity, params.id, body))), {
      auth: "manage",
      params: IdParams,
      body: AccountPatch,
      response: { 200: Envelope(AccountView) },
      detail: detail("Change any account's plan, credits, active flag or allowlist (instance admins)"),
    });
}
