/**
 * @module modules/auth/service
 * Login and logout. A wrong password and an unknown email take the same time and get the same
 * 401; attempts are rate-limited per client IP against password guessing.
 */
import { badRequest, forbidden, unauthorized } from "../../http/errors";
import { enforceRateLimit, type RateLimiter } from "../../http/rate-limit";
import { newId } from "../../ids";
import { randomBase62, sha256Hex } from "../../secrets";
import { dummyPasswordHash, verifyPassword } from "../accounts/passwords";
import type { AccountsService } from "../accounts/service";
import type { UsersService } from "../accounts/users-service";
import { SESSION_TOKEN_PATTERN, bearerToken } from "./access";
import type { AuthStore } from "./store";

export interface AuthDeps {
  sessions: AuthStore;
  users: UsersService;
  accounts: AccountsService;
  limiter: RateLimiter;
  sessionTtlMs: number;
  loginAttemptsPerMinute: number;
  onChange: () => void;
}

export type AuthService = ReturnType<typeof createAuthService>;

export function createAuthService({ sessions, users, accounts, limiter, sessionTtlMs, loginAttemptsPerMinute, onChange }: AuthDeps) {
  return {
    async login(email: string, password: string, clientIp: string | undefined) {
      enforceRateLimit(limiter, `login:${clientIp ?? "unknown"}`, { perMinute: loginAttemptsPerMinute, perDay: null }, (retry) => `Too many login attempts; retry in ${retry} s`);
      const user = users.byEmail(email);
      const valid = await verifyPassword(password, user?.passwordHash ?? (await dummyPasswordHash()));
      if (!user || !valid || user.disabled) throw unauthorized("Invalid email or password");
      const account = accounts.get(user.accountId);
      if (!account.active) throw forbidden("Account is disabled");
      const now = Date.now();
      const token = `sbs_${randomBase62(40)}`;
      const expiresAt = now + sessionTtlMs;
      sessions.deleteExpired(now);
      sessions.insert({ id: newId("ses"), userId: user.id, tokenHash: sha256Hex(token), createdAt: now, expiresAt });
      const updated = users.recordLogin(user.id, now) ?? user;
      return { token, user: updated, expiresAt };
    },

    /** Ends the session the request was made with. */
    logout(authorization: string | null | undefined) {
      const token = bearerToken(authorization);
      if (!token || !SESSION_TOKEN_PATTERN.test(token)) throw badRequest("Logout needs a session token, not an API key");
      sessions.deleteByHash(sha256Hex(token));
      onChange();
    },

    endSessions(userId: string) {
      sessions.deleteForUser(userId);
      onChange();
    },
  };
}
