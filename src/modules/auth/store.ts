/**
 * @module modules/auth/store
 * All SQL of authenticating: login sessions, and resolving a session token or an API key by its
 * hash to the caller's user and account. These lookups run on every request, so each is one
 * prepared statement joining token, user and account.
 */
import { eq } from "drizzle-orm";
import type { Database } from "../../db/open";
import { returningOne } from "../../db/returning";
import { sessions } from "../../db/schema";

/** The user and account columns every principal lookup returns. */
interface UserAccountColumns {
  user_id: string;
  account_id: string;
  email: string;
  roles: string;
  disabled: number;
  instance_admin: number;
  account_slug: string;
  account_plan: string;
  account_active: number;
  account_ip_allowlist: string;
}

/** The same columns as SQL over `users u` and `accounts a`. */
const USER_ACCOUNT_COLUMNS = `u.id AS user_id, u.account_id, u.email, u.roles, u.disabled, u.instance_admin,
  a.slug AS account_slug, a.plan AS account_plan, a.active AS account_active, a.ip_allowlist AS account_ip_allowlist`;

/** What authenticating with a session token needs, in one row. */
export interface SessionPrincipalRow extends UserAccountColumns {
  session_id: string;
  token_hash: string;
  expires_at: number;
}

/** What authenticating with an API key needs, in one row. */
export interface KeyPrincipalRow extends UserAccountColumns {
  key_id: string;
  key_hash: string;
  scopes: string;
  key_ip_allowlist: string;
  key_plan: string | null;
  expires_at: number | null;
  revoked_at: number | null;
  remaining: number | null;
  refill_interval: string | null;
}

export function createAuthStore(db: Database) {
  const { orm, sqlite } = db;
  const byHash = sqlite.prepare<SessionPrincipalRow, [string]>(
    `SELECT s.id AS session_id, s.token_hash, s.expires_at, ${USER_ACCOUNT_COLUMNS}
       FROM sessions s JOIN users u ON u.id = s.user_id JOIN accounts a ON a.id = u.account_id
      WHERE s.token_hash = ?`,
  );
  const keyByHash = sqlite.prepare<KeyPrincipalRow, [string]>(
    `SELECT k.id AS key_id, k.key_hash, k.scopes, k.ip_allowlist AS key_ip_allowlist, k.plan AS key_plan,
            k.expires_at, k.revoked_at, k.remaining, k.refill_interval, ${USER_ACCOUNT_COLUMNS}
       FROM api_keys k JOIN users u ON u.id = k.user_id JOIN accounts a ON a.id = k.account_id
      WHERE k.key_hash = ?`,
  );
  const refill = sqlite.prepare<unknown, [number, string, number]>(
    "UPDATE api_keys SET remaining = refill_amount, refilled_at = ?1 WHERE id = ?2 AND refill_amount IS NOT NULL AND refilled_at <= ?3",
  );
  const takeUse = sqlite.prepare<{ remaining: number }, [string]>(
    "UPDATE api_keys SET remaining = remaining - 1 WHERE id = ? AND remaining > 0 RETURNING remaining",
  );
  const deleteByHash = sqlite.prepare<unknown, [string]>("DELETE FROM sessions WHERE token_hash = ?");
  const deleteExpired = sqlite.prepare<unknown, [number]>("DELETE FROM sessions WHERE expires_at < ?");
  return {
    principalByHash: (hash: string) => byHash.get(hash),
    keyPrincipalByHash: (hash: string) => keyByHash.get(hash),

    /**
     * Takes one use of a metered key, refilling it first when its interval has passed.
     * Returns the uses left after this one, or null when none were left.
     */
    takeKeyUse(keyId: string, now: number, refillIntervalMs: number | null): number | null {
      return sqlite
        .transaction(() => {
          if (refillIntervalMs !== null) refill.run(now, keyId, now - refillIntervalMs);
          return returningOne(takeUse, keyId)?.remaining ?? null;
        })
        .immediate();
    },
    insert(row: typeof sessions.$inferInsert) {
      orm.insert(sessions).values(row).run();
    },
    deleteByHash(hash: string): boolean {
      return deleteByHash.run(hash).changes > 0;
    },
    deleteForUser(userId: string) {
      orm.delete(sessions).where(eq(sessions.userId, userId)).run();
    },
    deleteExpired(now: number): number {
      return deleteExpired.run(now).changes;
    },
  };
}

export type AuthStore = ReturnType<typeof createAuthStore>;
