/**
 * @module db/schema/endpoints
 * Custom endpoint definitions, their execution history and Idempotency-Key replays.
 */
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { accounts } from "./accounts";
import { timestamps } from "./columns";

export const endpoints = sqliteTable(
  "endpoints",
  {
    id: text("id").primaryKey(),
    accountId: text("account_id")
      .notNull()
      .references(() => accounts.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    description: text("description"),
    /** As written, e.g. `/orders/:id`. */
    path: text("path").notNull(),
    /** The path with parameter names blanked (`/orders/:`): `/a/:x` and `/a/:y` are the same route. */
    pathKey: text("path_key").notNull(),
    method: text("method").notNull(),
    authRequired: integer("auth_required", { mode: "boolean" }).notNull().default(true),
    condition: text("condition"),
    actions: text("actions", { mode: "json" }).notNull(),
    responseTemplate: text("response_template", { mode: "json" }),
    enabled: integer("enabled", { mode: "boolean" }).notNull().default(true),
    cost: integer("cost").notNull().default(1),
    timeoutMs: integer("timeout_ms").notNull().default(30000),
    bodySchema: text("body_schema", { mode: "json" }),
    signature: text("signature", { mode: "json" }),
    cors: text("cors", { mode: "json" }),
    bodyLimitBytes: integer("body_limit_bytes"),
    /** Which invocations are recorded: all, errors, none. */
    history: text("history").notNull().default("all"),
    ...timestamps,
  },
  (table) => [uniqueIndex("endpoints_route").on(table.accountId, table.method, table.pathKey)],
);

/**
 * Where execution history was kept before it moved to history.db (db/history.ts). Nothing writes
 * here any more: rows an older version left are moved over at start, and the table stays empty
 * until a later migration drops it.
 */
export const executions = sqliteTable(
  "executions",
  {
    id: text("id").primaryKey(),
    accountId: text("account_id").notNull(),
    /** Kept after the endpoint is deleted, so history outlives definitions until retention prunes it. */
    endpointId: text("endpoint_id"),
    kind: text("kind").notNull().default("endpoint"),
    status: text("status").notNull(),
    httpStatus: integer("http_status"),
    errorCode: text("error_code"),
    errorMessage: text("error_message"),
    method: text("method"),
    path: text("path"),
    clientIp: text("client_ip"),
    keyPrefix: text("key_prefix"),
    startedAt: integer("started_at").notNull(),
    durationMs: integer("duration_ms").notNull(),
    steps: text("steps", { mode: "json" }).notNull(),
  },
  (table) => [
    index("executions_endpoint_started").on(table.endpointId, table.startedAt),
    index("executions_account_started").on(table.accountId, table.startedAt),
    index("executions_started").on(table.startedAt),
  ],
);

export const idempotencyKeys = sqliteTable(
  "idempotency_keys",
  {
    endpointId: text("endpoint_id").notNull(),
    /** Whose key it is: two callers may pick the same Idempotency-Key without colliding. */
    callerKey: text("caller_key").notNull(),
    key: text("key").notNull(),
    /** SHA-256 of method, path and body: the same key with another request is a 409. */
    requestHash: text("request_hash").notNull(),
    status: text("status").notNull(),
    response: text("response", { mode: "json" }),
    createdAt: integer("created_at").notNull(),
    expiresAt: integer("expires_at").notNull(),
  },
  (table) => [primaryKey({ columns: [table.endpointId, table.callerKey, table.key] }), index("idempotency_expires").on(table.expiresAt)],
);
