/**
 * @module modules/auth/guard
 * The auth guard of management routes: `{ auth: "manage" }` on a route runs authenticate (401),
 * scope (403), IP allowlist (403) and rate limit (429, headers on every answer) in that order and
 * hands the handler the caller's `identity`.
 */
import { Elysia } from "elysia";
import type { ClientIpResolver } from "../../http/client-ip";
import type { Scope } from "../../principal";
import type { Access } from "./access";

/** OpenAPI security requirement for routes behind the guard. */
export const BEARER = [{ bearer: [] as string[] }];

export function authGuard(access: Access, clientIps: ClientIpResolver) {
  return new Elysia({ name: "auth.guard" }).macro({
    auth: (scope: Scope) => ({
      resolve({ request, set, server }) {
        const identity = access.authenticate(request.headers.get("authorization"));
        access.requireScope(identity, scope);
        access.checkIp(identity, clientIps.resolve(request, server?.requestIP(request)?.address));
        Object.assign(set.headers, access.checkRate(identity));
        return { identity };
      },
    }),
  });
}
