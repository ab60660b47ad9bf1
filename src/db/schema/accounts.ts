/**
 * @module db/schema/accounts
 * Accounts (teams on one instance) and their users.
 */
import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { timestamps } from "./columns";

export const accounts = sqliteTable("accounts", {
  id: text("id").primaryKey(),
  slug: text("slug").notNull().unique(),
  name: text("name").notNull(),
  plan: text("plan").notNull(),
  /** null = unlimited; otherwise spent atomically by custom endpoint calls. */
  credits: integer("credits"),
  active: integer("active", { mode: "boolean" }).notNull().default(true),
  ipAllowlist: text("ip_allowlist", { mode: "json" }).$type<string[]>().notNull().default([]),
  ...timestamps,
});

export const users = sqliteTable(
  "users",
  {
    id: text("id").primaryKey(),
    accountId: text("account_id")
      .notNull()
      .references(() => accounts.id, { onDelete: "cascade" }),
    /** Stored lower-cased; unique across the instance because login takes only an email. */
    email: text("email").notNull().unique(),
    passwordHash: text("password_hash").notNull(),
    roles: text("roles", { mode: "json" }).$type<string[]>().notNull(),
    instanceAdmin: integer("instance_admin", { mode: "boolean" }).notNull().default(false),
    disabled: integer("disabled", { mode: "boolean" }).notNull().default(false),
    lastLoginAt: integer("last_login_at"),
    ...timestamps,
  },
  (table) => [index("users_account_id").on(table.accountId)],
);
