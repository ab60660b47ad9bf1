/**
 * @module plugin-api
 * What action plugins are written against: `definePlugin`, TypeBox's `t` for config schemas,
 * and the context an action runs with. Built-in actions import this file; plugin files on disk
 * import the same exports from the virtual module `switchboard/plugin`, which the host registers
 * at start, so one plugin file works from source and from the compiled binary alike.
 *
 * @example
 * import { definePlugin, t } from "switchboard/plugin";
 * export default definePlugin({
 *   type: "shout",
 *   title: "Shout",
 *   description: "Upper-cases a text",
 *   config: t.Object({ text: t.String() }),
 *   run: (_ctx, config) => config.text.toUpperCase(),
 * });
 */
import { Type, type Static, type TSchema } from "@sinclair/typebox";
import type { Principal } from "./principal";

/** TypeBox's builder, for config schemas: `t.Object({ url: t.String() })`. */
export const t = Type;
export type { Static, TSchema };

/** The incoming request as actions see it (header names lower-cased). */
export interface ActionRequest {
  readonly method: string;
  readonly path: string;
  readonly params: Readonly<Record<string, string>>;
  readonly query: Readonly<Record<string, string>>;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: unknown;
  readonly ip?: string;
}

export interface ActionLogger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export interface OutboundRequest {
  method?: string;
  headers?: Record<string, string>;
  /** A string is sent as is; anything else as JSON. */
  body?: unknown;
  /** Defaults to the time left in the pipeline. */
  timeoutMs?: number;
}

export interface OutboundResponse {
  status: number;
  headers: Record<string, string>;
  /** Parsed JSON when the answer is JSON, otherwise text. */
  body: unknown;
}

/**
 * Outbound HTTP. Refuses loopback, private, link-local and metadata addresses (checked after
 * DNS) unless the instance allows them; follows the pipeline's AbortSignal.
 */
export interface HttpCapability {
  fetch(url: string, request?: OutboundRequest): Promise<OutboundResponse>;
}

/** A record as actions see it: its fields plus `id`, `created_at` and `updated_at` (ISO times). */
export type RecordData = Record<string, unknown> & { id: string; created_at: string; updated_at: string };

/** Which records an update or delete touches: one by id, or every match of a filter. */
export type RecordTarget = { id: string } | { filter: string };

/**
 * The account's collections. Filters are expression-language source exactly as written in the
 * config (declared in the plugin's `filters`, so the engine leaves them unrendered): they are
 * parsed first and their `{{templates}}` then fill bound values only, so no request value can
 * change a query's structure.
 */
export interface RecordsCapability {
  create(collection: string, data: Record<string, unknown>): Promise<RecordData>;
  get(collection: string, id: string): Promise<RecordData>;
  /** By id: the updated record. By filter: how many and which (refused past a limit unless allowMany). */
  update(collection: string, target: RecordTarget, data: Record<string, unknown>, options?: { allowMany?: boolean }): Promise<RecordData | { updated: number; records: RecordData[] }>;
  delete(collection: string, target: RecordTarget, options?: { allowMany?: boolean }): Promise<{ deleted: number }>;
  query(collection: string, options?: { filter?: string; sort?: string; limit?: number; offset?: number }): Promise<RecordData[]>;
  aggregate(
    collection: string,
    options: { function: "count" | "sum" | "avg" | "min" | "max"; field?: string; filter?: string; groupBy?: string },
  ): Promise<number | null | { group: unknown; value: number | null }[]>;
}

/** What an action runs with. Capabilities, never internals: no database, no framework context. */
export interface ActionContext {
  readonly request: ActionRequest;
  /** The caller, or null on a public endpoint called without a token. Frozen: it is shared by the caller's calls. */
  readonly auth: Principal | null;
  /** Results of the actions before this one, by index. */
  readonly results: readonly unknown[];
  /** Aborted when the endpoint's timeout passes or the client goes away: stop work then. */
  readonly signal: AbortSignal;
  readonly executionId: string;
  /** How deep this pipeline is nested (1 for an endpoint's own pipeline). */
  readonly depth: number;
  readonly log: ActionLogger;
  readonly http: HttpCapability;
  readonly records: RecordsCapability;
}

/** Error codes an action may fail with; they set the HTTP status of the endpoint's answer. */
export type ActionErrorCode = "VALIDATION_ERROR" | "NOT_FOUND" | "CONFLICT" | "FORBIDDEN" | "UPSTREAM_ERROR" | "TIMEOUT" | "INTERNAL_ERROR";

/** Throw this from `run` to fail the step with a code and a message meant for the caller. */
export class ActionError extends Error {
  override name = "ActionError";
  constructor(
    readonly code: ActionErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

export interface PluginDefinition<S extends TSchema = TSchema> {
  /** Unique action type, `^[a-z][a-z0-9_]{1,63}$`, e.g. `sms_notify`. */
  type: string;
  title: string;
  description: string;
  /** Schema of the action's `config`; templates in it are rendered before `run` sees it. */
  config: S;
  /**
   * Top-level config keys holding filter expressions: parsed when the endpoint is saved and
   * handed to `run` unrendered, for `ctx.records` to parse before filling in their templates.
   */
  filters?: string[];
  /** Does the work; the return value is the step's result (`{{actions[N].result}}`). */
  run(ctx: ActionContext, config: Static<S>): unknown | Promise<unknown>;
}

/** Declares an action type. Returns the definition unchanged; the host validates it on load. */
export function definePlugin<S extends TSchema>(definition: PluginDefinition<S>): PluginDefinition<S> {
  return definition;
}
