/**
 * @module modules/keys/store
 * All SQL of managing API keys. Authenticating with one (lookup by hash, metered uses) is the
 * auth store's.
 */
import { and, count, desc, eq, gt, isNull, or } from "drizzle-orm";
import type { Database } from "../../db/open";
import { apiKeys } from "../../db/schema";

export type KeyRow = typeof apiKeys.$inferSelect;
export type NewKey = typeof apiKeys.$inferInsert;

export function createKeysStore(db: Database) {
  const { orm, sqlite } = db;
  const touch = sqlite.prepare<unknown, [number, string, number]>(
    "UPDATE api_keys SET last_used_at = ?1 WHERE id = ?2 AND (last_used_at IS NULL OR last_used_at < ?3)",
  );
  const touchAll = sqlite.transaction((entries: [string, number][]) => {
    for (const [id, at] of entries) touch.run(at, id, at);
  });

  const activeWhere = (accountId: string, now: number) =>
    and(eq(apiKeys.accountId, accountId), isNull(apiKeys.revokedAt), or(isNull(apiKeys.expiresAt), gt(apiKeys.expiresAt, now)));

  return {
    /** Inserts a key unless the account already has `max` active keys (checked under the write lock). */
    insertIfUnderLimit(row: NewKey, max: number, now: number): KeyRow | null {
      return sqlite
        .transaction(() => {
          const active = orm.select({ n: count() }).from(apiKeys).where(activeWhere(row.accountId, now)).get()!.n;
          if (active >= max) return null;
          return orm.insert(apiKeys).values(row).returning().get();
        })
        .immediate();
    },
    keyById: (id: string) => orm.select().from(apiKeys).where(eq(apiKeys.id, id)).get(),
    listKeys(accountId: string, userId: string | null, limit: number, offset: number) {
      const where = userId ? and(eq(apiKeys.accountId, accountId), eq(apiKeys.userId, userId)) : eq(apiKeys.accountId, accountId);
      const rows = orm.select().from(apiKeys).where(where).orderBy(desc(apiKeys.createdAt), desc(apiKeys.id)).limit(limit).offset(offset).all();
      const total = orm.select({ n: count() }).from(apiKeys).where(where).get()!.n;
      return { rows, total };
    },
    revoke(id: string, now: number): KeyRow | undefined {
      orm.update(apiKeys).set({ revokedAt: now, updatedAt: now }).where(and(eq(apiKeys.id, id), isNull(apiKeys.revokedAt))).run();
      return orm.select().from(apiKeys).where(eq(apiKeys.id, id)).get();
    },

    /** Writes a batch of last-used times in one transaction; never moves a time backwards. */
    touchLastUsed(entries: [string, number][]) {
      if (entries.length) touchAll(entries);
    },
  };
}

export type KeysStore = ReturnType<typeof createKeysStore>;
