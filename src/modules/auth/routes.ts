/**
 * @module modules/auth/routes
 * POST /api/v1/auth/login, POST /api/v1/auth/logout, GET /api/v1/auth/me.
 */
import { Elysia, t } from "elysia";
import type { ClientIpResolver } from "../../http/client-ip";
import { Envelope, ok } from "../../http/envelope";
import { AccountView, UserView } from "../accounts/schemas";
import type { AccountsService } from "../accounts/service";
import type { UsersService } from "../accounts/users-service";
import { accountView, iso, userView } from "../accounts/views";
import type { Access } from "./access";
import { BEARER, authGuard } from "./guard";
import type { AuthService } from "./service";

export interface AuthRoutesDeps {
  auth: AuthService;
  access: Access;
  users: UsersService;
  accounts: AccountsService;
  clientIps: ClientIpResolver;
}

const tags = ["auth"];

export function authRoutes({ auth, access, users, accounts, clientIps }: AuthRoutesDeps) {
  return new Elysia({ name: "routes.auth", prefix: "/api/v1/auth" })
    .use(authGuard(access, clientIps))
    .post(
      "/login",
      async ({ body, request, server }) => {
        const ip = clientIps.resolve(request, server?.requestIP(request)?.address);
        const session = await auth.login(body.email, body.password, ip);
        return ok({ token: session.token, user: userView(session.user), expires_at: iso(session.expiresAt)! });
      },
      {
        body: t.Object({ email: t.String({ maxLength: 254 }), password: t.String({ maxLength: 256 }) }),
        response: { 200: Envelope(t.Object({ token: t.String(), user: UserView, expires_at: t.String() })) },
        detail: { tags, summary: "Sign in with email and password; returns a session token" },
      },
    )
    .post(
      "/logout",
      ({ request }) => {
        auth.logout(request.headers.get("authorization"));
        return ok({ logged_out: true });
      },
      { auth: "manage", detail: { tags, security: BEARER, summary: "End the current session" } },
    )
    .get(
      "/me",
      ({ identity }) => {
        const user = users.byId(identity.principal.user_id)!;
        return ok({
          principal: identity.principal,
          scopes: [...identity.scopes],
          plan: identity.plan,
          user: userView(user),
          account: accountView(accounts.get(identity.principal.account_id)),
        });
      },
      {
        auth: "manage",
        response: {
          200: Envelope(
            t.Object({
              principal: t.Object({
                account_id: t.String(),
                user_id: t.String(),
                email: t.String(),
                roles: t.Array(t.String()),
                key_id: t.Optional(t.String()),
              }),
              scopes: t.Array(t.String()),
              plan: t.String(),
              user: UserView,
              account: AccountView,
            }),
          ),
        },
        detail: { tags, security: BEARER, summary: "Who am I: the caller's principal, user and account" },
      },
    );
}

