/**
 * @module modules/accounts/store
 * All SQL of accounts and users.
 */
import { and, count, eq, sql } from "drizzle-orm";
import type { Database } from "../../db/open";
import { returningOne } from "../../db/returning";
import { accounts, users } from "../../db/schema";

export type AccountRow = typeof accounts.$inferSelect;
export type UserRow = typeof users.$inferSelect;
export type NewAccount = typeof accounts.$inferInsert;
export type NewUser = typeof users.$inferInsert;

export function createAccountsStore(db: Database) {
  const { orm, sqlite } = db;
  const spend = sqlite.prepare<{ credits: number | null }, [number, string, number]>(
    "UPDATE accounts SET credits = credits - ? WHERE id = ? AND credits IS NOT NULL AND credits >= ? RETURNING credits",
  );
  const bySlugForDispatch = sqlite.prepare<{ id: string; slug: string; plan: string; credits: number | null; active: number }, [string]>(
    "SELECT id, slug, plan, credits, active FROM accounts WHERE slug = ?",
  );
  // Lookups by key are on every management call: prepared once (drizzle otherwise builds and
  // prepares the SQL on each call, which made GET /auth/me cost ~170 µs).
  const accountByIdQuery = orm.select().from(accounts).where(eq(accounts.id, sql.placeholder("id"))).prepare();
  const accountBySlugQuery = orm.select().from(accounts).where(eq(accounts.slug, sql.placeholder("slug"))).prepare();
  const userByIdQuery = orm.select().from(users).where(eq(users.id, sql.placeholder("id"))).prepare();
  const userByEmailQuery = orm.select().from(users).where(eq(users.email, sql.placeholder("email"))).prepare();
  const creditsOf = sqlite.prepare<{ credits: number | null; found: number }, [string]>(
    "SELECT credits, 1 AS found FROM accounts WHERE id = ?",
  );

  return {
    /** Runs `fn` in one IMMEDIATE transaction (write lock taken up front: no lost updates). */
    transaction<T>(fn: () => T): T {
      return sqlite.transaction(fn).immediate();
    },

    insertAccount(row: NewAccount): AccountRow {
      return orm.insert(accounts).values(row).returning().get();
    },
    accountById: (id: string): AccountRow | undefined => accountByIdQuery.get({ id }),
    accountBySlug: (slug: string): AccountRow | undefined => accountBySlugQuery.get({ slug }),
    /** What dispatching a custom endpoint call needs, by one prepared statement (hot path). */
    dispatchInfo: (slug: string) => bySlugForDispatch.get(slug),
    listAccounts(limit: number, offset: number) {
      const rows = orm.select().from(accounts).orderBy(accounts.createdAt, accounts.id).limit(limit).offset(offset).all();
      const total = orm.select({ n: count() }).from(accounts).get()!.n;
      return { rows, total };
    },
    updateAccount(id: string, patch: Partial<NewAccount>): AccountRow | undefined {
      return orm.update(accounts).set(patch).where(eq(accounts.id, id)).returning().get();
    },

    /**
     * Atomically takes `amount` credits. Returns the balance left, `null` when the account is
     * unlimited, or `false` when it holds too few (nothing is taken then).
     */
    spendCredits(accountId: string, amount: number): number | null | false {
      const spent = returningOne(spend, amount, accountId, amount);
      if (spent) return spent.credits;
      const current = creditsOf.get(accountId);
      return current && current.credits === null ? null : false;
    },

    insertUser(row: NewUser): UserRow {
      return orm.insert(users).values(row).returning().get();
    },
    userById: (id: string): UserRow | undefined => userByIdQuery.get({ id }),
    userByEmail: (email: string): UserRow | undefined => userByEmailQuery.get({ email }),
    listUsers(accountId: string, limit: number, offset: number) {
      const rows = orm
        .select()
        .from(users)
        .where(eq(users.accountId, accountId))
        .orderBy(users.createdAt, users.id)
        .limit(limit)
        .offset(offset)
        .all();
      const total = orm.select({ n: count() }).from(users).where(eq(users.accountId, accountId)).get()!.n;
      return { rows, total };
    },
    updateUser(id: string, patch: Partial<NewUser>): UserRow | undefined {
      return orm.update(users).set(patch).where(eq(users.id, id)).returning().get();
    },
    /** Active users of an account holding the owner role. */
    activeOwners(accountId: string): UserRow[] {
      return orm
        .select()
        .from(users)
        .where(and(eq(users.accountId, accountId), eq(users.disabled, false), sql`EXISTS (SELECT 1 FROM json_each(${users.roles}) WHERE value = 'owner')`))
        .orderBy(users.createdAt)
        .all();
    },
  };
}

export type AccountsStore = ReturnType<typeof createAccountsStore>;
