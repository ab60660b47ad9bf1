/**
 * @module db/schema/auth
 * Login sessions and API keys. Both keep only the SHA-256 of their secret.
 */
import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { accounts, users } from "./accounts";
import { timestamps } from "./columns";

export const sessions = sqliteTable(
  "sessions",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    tokenHash: text("token_hash").notNull().unique(),
    createdAt: integer("created_at").notNull(),
    expiresAt: integer("expires_at").notNull(),
  },
  (table) => [index("sessions_user_id").on(table.userId), index("sessions_expires_at").on(table.expiresAt)],
);

export const apiKeys = sqliteTable(
  "api_keys",
  {
    id: text("id").primaryKey(),
    accountId: text("account_id")
      .notNull()
      .references(() => accounts.id, { onDelete: "cascade" }),
    /** The user the key acts as: its principal carries this user's id, email and roles. */
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    /** The first characters of the secret, shown in lists so people can tell keys apart. */
    prefix: text("prefix").notNull(),
    keyHash: text("key_hash").notNull().unique(),
    scopes: text("scopes", { mode: "json" }).$type<string[]>().notNull(),
    ipAllowlist: text("ip_allowlist", { mode: "json" }).$type<string[]>().notNull().default([]),
    /** Overrides the account's plan for rate limits when set. */
    plan: text("plan"),
    expiresAt: integer("expires_at"),
    revokedAt: integer("revoked_at"),
    lastUsedAt: integer("last_used_at"),
    /** Uses left for metered keys (null = unmetered), optionally refilled every interval. */
    remaining: integer("remaining"),
    refillAmount: integer("refill_amount"),
    refillInterval: text("refill_interval"),
    refilledAt: integer("refilled_at"),
    ...timestamps,
  },
  (table) => [index("api_keys_account_id").on(table.accountId, table.revokedAt)],
);
