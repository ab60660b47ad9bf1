/**
 * @module db/schema
 * The drizzle schema: one file per domain, gathered here for drizzle-kit and the stores.
 */
export * from "./settings";
export * from "./accounts";
export * from "./auth";
export * from "./endpoints";
export * from "./collections";
