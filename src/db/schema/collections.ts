/**
 * @module db/schema/collections
 * Collection definitions. Each collection's records live in a table of their own, created and
 * dropped by the collections store (DDL at run time, not a migration), so a collection's indexes
 * are real SQLite indexes and dropping one is a DROP TABLE.
 */
import { sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { accounts } from "./accounts";
import { timestamps } from "./columns";

export const collections = sqliteTable(
  "collections",
  {
    id: text("id").primaryKey(),
    accountId: text("account_id")
      .notNull()
      .references(() => accounts.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    /** Name of the SQLite table holding the records (derived from the id, never from input). */
    tableName: text("table_name").notNull().unique(),
    /** `[{name, type, required, unique}]`; an empty list means schemaless. */
    fields: text("fields", { mode: "json" }).notNull(),
    /** `[{fields: [...], unique}]` beyond the ones `unique` fields imply. */
    indexes: text("indexes", { mode: "json" }).notNull(),
    ...timestamps,
  },
  (table) => [uniqueIndex("collections_account_name").on(table.accountId, table.name)],
);
