/**
 * @module modules/endpoints/store
 * All SQL of endpoint definitions and Idempotency-Key replays.
 */
import { and, asc, count, eq, sql } from "drizzle-orm";
import type { Database } from "../../db/open";
import { endpoints } from "../../db/schema";
import { MAX_TIMEOUT_MS } from "../../engine/pipeline";

/**
 * A pending Idempotency-Key older than this is abandoned: its request can no longer be running (a
 * call is cut off at MAX_TIMEOUT_MS and then completes or releases its claim at once), so the
 * process that claimed it died (kill -9, power loss) and a retry may claim it again. The margin
 * covers a busy event loop between the claim and the pipeline's deadline.
 */
export const ABANDONED_CLAIM_MS = MAX_TIMEOUT_MS + 30_000;

export type EndpointRow = typeof endpoints.$inferSelect;
export type NewEndpoint = typeof endpoints.$inferInsert;

export interface StoredResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export function createEndpointsStore(db: Database) {
  const { orm, sqlite } = db;
  const claim = sqlite.prepare<unknown, [string, string, string, string, number, number]>(
    `INSERT INTO idempotency_keys (endpoint_id, caller_key, key, request_hash, status, created_at, expires_at)
     VALUES (?, ?, ?, ?, 'pending', ?, ?) ON CONFLICT DO NOTHING`,
  );
  const findKey = sqlite.prepare<{ request_hash: string; status: string; response: string | null; created_at: number; expires_at: number }, [string, string, string]>(
    "SELECT request_hash, status, response, created_at, expires_at FROM idempotency_keys WHERE endpoint_id = ? AND caller_key = ? AND key = ?",
  );
  const dropKey = sqlite.prepare<unknown, [string, string, string]>("DELETE FROM idempotency_keys WHERE endpoint_id = ? AND caller_key = ? AND key = ?");
  const completeKey = sqlite.prepare<unknown, [string, string, string, string]>(
    "UPDATE idempotency_keys SET status = 'done', response = ? WHERE endpoint_id = ? AND caller_key = ? AND key = ?",
  );
  const purgeKeys = sqlite.prepare<unknown, [number]>(
    "DELETE FROM idempotency_keys WHERE rowid IN (SELECT rowid FROM idempotency_keys WHERE expires_at < ? LIMIT 1000)",
  );

  return {
    transaction<T>(fn: () => T): T {
      return sqlite.transaction(fn).immediate();
    },
    insert: (row: NewEndpoint) => orm.insert(endpoints).values(row).returning().get(),
    update: (id: string, patch: Partial<NewEndpoint>) => orm.update(endpoints).set(patch).where(eq(endpoints.id, id)).returning().get(),
    delete: (id: string) => orm.delete(endpoints).where(eq(endpoints.id, id)).run(),
    byId: (id: string) => orm.select().from(endpoints).where(eq(endpoints.id, id)).get(),
    byRoute: (accountId: string, method: string, key: string) =>
      orm
        .select()
        .from(endpoints)
        .where(and(eq(endpoints.accountId, accountId), eq(endpoints.method, method), eq(endpoints.pathKey, key)))
        .get(),
    countForAccount: (accountId: string) => orm.select({ n: count() }).from(endpoints).where(eq(endpoints.accountId, accountId)).get()!.n,
    allForAccount: (accountId: string) => orm.select().from(endpoints).where(eq(endpoints.accountId, accountId)).orderBy(asc(endpoints.path), asc(endpoints.method)).all(),
    list(accountId: string, options: { enabled?: boolean; search?: string; limit: number; offset: number }) {
      const conditions = [eq(endpoints.accountId, accountId)];
      if (options.enabled !== undefined) conditions.push(eq(endpoints.enabled, options.enabled));
      if (options.search) {
        // LIKE wildcards in the search text are escaped: a search for "50%" means that text.
        const escaped = options.search.replace(/[\\%_]/g, (c) => `\\${c}`);
        conditions.push(sql`${endpoints.name} LIKE ${`%${escaped}%`} ESCAPE '\\'`);
      }
      const where = and(...conditions);
      const rows = orm.select().from(endpoints).where(where).orderBy(asc(endpoints.createdAt), asc(endpoints.id)).limit(options.limit).offset(options.offset).all();
      const total = orm.select({ n: count() }).from(endpoints).where(where).get()!.n;
      return { rows, total };
    },

    /**
     * Claims an Idempotency-Key: "claimed" for the first request, otherwise what is stored
     * (a finished answer to replay, a request still running, or a different request's key).
     * A pending claim older than ABANDONED_CLAIM_MS (its `created_at` is when it was claimed) is
     * taken over by the same request; one transaction, so of many concurrent retries one wins.
     */
    claimIdempotencyKey(endpointId: string, caller: string, key: string, requestHash: string, now: number, ttlMs: number) {
      return sqlite
        .transaction(() => {
          const existing = findKey.get(endpointId, caller, key);
          if (existing && existing.expires_at < now) dropKey.run(endpointId, caller, key);
          else if (existing) {
            if (existing.request_hash !== requestHash) return { kind: "mismatch" as const };
            if (existing.status === "pending") {
              if (existing.created_at > now - ABANDONED_CLAIM_MS) return { kind: "in_progress" as const };
              dropKey.run(endpointId, caller, key);
            } else return { kind: "replay" as const, response: JSON.parse(existing.response!) as StoredResponse };
          }
          claim.run(endpointId, caller, key, requestHash, now, now + ttlMs);
          return { kind: "claimed" as const };
        })
        .immediate();
    },
    completeIdempotencyKey: (endpointId: string, caller: string, key: string, response: StoredResponse) =>
      completeKey.run(JSON.stringify(response), endpointId, caller, key),
    releaseIdempotencyKey: (endpointId: string, caller: string, key: string) => dropKey.run(endpointId, caller, key),
    purgeExpiredIdempotencyKeys: (now: number) => purgeKeys.run(now),
  };
}

export type EndpointsStore = ReturnType<typeof createEndpointsStore>;
