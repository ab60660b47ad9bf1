/**
 * @module db/schema/settings
 * Runtime settings of the instance: one JSON value per key, editable without a restart
 * (process settings such as port and data dir stay in flags and env, see config.ts).
 */
import { sqliteTable, text } from "drizzle-orm/sqlite-core";
import { timestamps } from "./columns";

export const settings = sqliteTable("settings", {
  key: text("key").primaryKey(),
  value: text("value", { mode: "json" }).notNull(),
  ...timestamps,
});
