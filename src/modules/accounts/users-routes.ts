/**
 * @module modules/accounts/users-routes
 * /api/v1/users: owners and admins list, create, change roles of and disable users.
 */
import { Elysia, t } from "elysia";
import type { ClientIpResolver } from "../../http/client-ip";
import { Envelope, ok } from "../../http/envelope";
import { PageQuery, pageMeta, pageOf } from "../../http/pagination";
import type { Access } from "../auth/access";
import { BEARER, authGuard } from "../auth/guard";
import { UserCreate, UserPatch, UserView } from "./schemas";
import type { UsersService } from "./users-service";
import { userView } from "./views";

const tags = ["users"];
const detail = (summary: string) => ({ tags, security: BEARER, summary });
const IdParams = t.Object({ id: t.String({ maxLength: 64 }) });

export function usersRoutes(users: UsersService, access: Access, clientIps: ClientIpResolver) {
  return new Elysia({ name: "routes.users", prefix: "/api/v1/users" })
    .use(authGuard(access, clientIps))
    .get(
      "",
      ({ identity, query }) => {
        const page = pageOf(query);
        const { rows, total } = users.list(identity, page.limit, page.offset);
        return ok(rows.map(userView), pageMeta(page, total));
      },
      { auth: "manage", query: PageQuery, response: { 200: Envelope(t.Array(UserView)) }, detail: detail("List the account's users") },
    )
    .post(
      "",
      async ({ identity, body, set }) => {
        const user = await users.create(identity, body);
        set.status = 201;
        return ok(userView(user));
      },
      { auth: "manage", body: UserCreate, response: { 201: Envelope(UserView) }, detail: detail("Create a user (default role member)") },
    )
    .get("/:id", ({ identity, params }) => ok(userView(users.get(identity, params.id))), {
      auth: "manage",
      params: IdParams,
      response: { 200: Envelope(UserView) },
      detail: detail("One user"),
    })
    .patch("/:id", async ({ identity, params, body }) => ok(userView(await users.update(identity, params.id, body))), {
      auth: "manage",
      params: IdParams,
      body: UserPatch,
      response: { 200: Envelope(UserView) },
      detail: detail("Change roles, disable/enable, or set a new password (ends the user's sessions)"),
    })
    .delete("/:id", async ({ identity, params }) => ok(userView(await users.update(identity, params.id, { disabled: true }))), {
      auth: "manage",
      params: IdParams,
      response: { 200: Envelope(UserView) },
      detail: detail("Disable a user: their sessions and keys stop working at once"),
    });
}
