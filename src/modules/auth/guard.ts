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
import type { Identity } from "./identity";

/** OpenAPI security requirement for routes behind the guard. */
export const BEARER = [{ bearer: [] as string[] }];

/**
 * The checks after authentication and scope: the key's and the account's IP allowlists (403), then
 * the rate limit (429), whose headers go into `headers`. Also for routes that authenticate
 * themselves (the account's OpenAPI document, which any scope may read).
 */
export function admitIdentity(access: Access, clientIps: ClientIpResolver, identity: Identity, request: Request, socketIp: string | undefined, headers: object) {
  access.checkIp(identity, clientIps.resolve(request, socketIp));
  Object.assign(headers, access.checkRate(identity));
}

export function authGuard(access: Access, clientIps: ClientIpResolver) {
  return new Elysia({ name: "auth.guard" }).macro({
    auth: (scope: Scope) => ({
      resolve({ request, set, server }) {
        const identity = access.authenticate(request.headers.get("authorization"));
        access.requireScope(identity, scope);
        admitIdentity(access, clientIps, identity, request, server?.requestIP(request)?.address, set.headers);
        return { identity };
      },
    }),
  });
}
