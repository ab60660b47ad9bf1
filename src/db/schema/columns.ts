/**
 * @module db/schema/columns
 * Column spreads shared by the domain tables.
 */
import { integer } from "drizzle-orm/sqlite-core";

/** created_at / updated_at as unix milliseconds (integers sort and compare fast). */
export const timestamps = {
  createdAt: integer("created_at").notNull(),
  updatedAt: integer("updated_at").notNull(),
};
