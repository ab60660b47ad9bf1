/**
 * @module modules/endpoints/validate
 * Save-time checks of a definition: everything that can be known before a request arrives is
 * refused here, with a 400 whose details name the field (and the action index), so a bad
 * definition never goes live.
 */
import { CONDITION_ROOTS, ExprError, compileCondition, compileFilter, recordFieldResolver, standardFunctions } from "../../expr";
import { badRequest } from "../../http/errors";
import { checkTemplate } from "../../templates";
import { checkActionConfig } from "../plugins/config-check";
import type { PluginRegistry } from "../plugins/registry";
import { bodySchemaCostProblem } from "./body-schema";
import { parsePath } from "./path";
import type { EndpointDefinition } from "./schemas";

const functions = standardFunctions();
/** Any record field name resolves: only syntax and functions can be checked before the filter runs. */
const anyRecordField = recordFieldResolver({ id: "id", created_at: "created_at", updated_at: "updated_at" });

export interface ValidateDeps {
  registry: PluginRegistry;
  /** The instance's body limit: an endpoint may lower it, not raise it. */
  maxBodyLimitBytes: number;
  credentialExists: (name: string) => boolean;
}

const invalid = (field: string, message: string, extra: Record<string, unknown> = {}) =>
  badRequest(`Invalid ${field}: ${message}`, { field, ...extra });

/** Throws a 400 naming the first problem of the definition. */
export function validateDefinition(def: EndpointDefinition, deps: ValidateDeps): void {
  const path = parsePath(def.path);
  if ("error" in path) throw invalid("path", `the path ${path.error}`);

  if (def.condition !== null) {
    try {
      compileCondition(def.condition, { functions, fields: [...CONDITION_ROOTS] });
    } catch (error) {
      if (error instanceof ExprError) throw invalid("condition", error.message, { position: error.position });
      throw error;
    }
  }

  def.actions.forEach((action, index) => {
    const field = `actions[${index}]`;
    const plugin = deps.registry.get(action.type);
    if (!plugin) throw invalid(`${field}.type`, `unknown action type "${action.type}" (see GET /api/v1/plugins)`, { action_index: index });
    const templates = checkTemplate(action.config);
    if (!templates.ok) {
      throw invalid(`${field}.config${templates.path ? `.${templates.path}` : ""}`, templates.message, { action_index: index });
    }
    for (const key of plugin.definition.filters ?? []) {
      const source = action.config[key];
      if (typeof source !== "string" || source.trim() === "") continue;
      try {
        // Field names are checked against the collection when the filter runs (a collection may
        // be schemaless, or named by a template); here the syntax and functions must be right.
        compileFilter(source, { fields: anyRecordField, functions });
      } catch (error) {
        if (error instanceof ExprError) throw invalid(`${field}.config.${key}`, error.message, { action_index: index, position: error.position });
        throw error;
      }
    }
    const problems = checkActionConfig(plugin, action.config);
    if (problems.length > 0) {
      const first = problems[0]!;
      throw invalid(`${field}.${first.path}`, first.message, { action_index: index, errors: problems.slice(0, 10) });
    }
  });

  if (def.response_template) {
    const checked = checkTemplate(def.response_template);
    if (!checked.ok) throw invalid(`response_template${checked.path ? `.${checked.path}` : ""}`, checked.message);
    const status: unknown = def.response_template.status;
    if (status !== undefined && !isStatus(status)) {
      throw invalid("response_template.status", "expected a status code (200-599) or a template");
    }
  }

  if (def.body_schema) {
    // Compiles the schema (and caches it for dispatch). The cost is checked only here, not when a
    // stored endpoint is loaded: one saved before this check keeps working.
    let costly: ReturnType<typeof bodySchemaCostProblem>;
    try {
      costly = bodySchemaCostProblem(def.body_schema);
    } catch (error) {
      throw invalid("body_schema", `not a valid JSON Schema: ${(error as Error).message}`);
    }
    if (costly) throw invalid("body_schema", `at ${costly.path}: ${costly.message}`, { schema_path: costly.path });
  }

  if (def.signature && !deps.credentialExists(def.signature.credential)) {
    throw invalid("signature.credential", `no credential named "${def.signature.credential}"`);
  }

  if (def.body_limit_bytes !== null && def.body_limit_bytes > deps.maxBodyLimitBytes) {
    throw invalid("body_limit_bytes", `at most the instance limit of ${deps.maxBodyLimitBytes} bytes`);
  }

  def.cors?.origins.forEach((origin, i) => {
    if (origin !== "*" && !isOrigin(origin)) throw invalid(`cors.origins[${i}]`, `"${origin}" is not "*" or an origin like https://app.example.com`);
  });
}

/**
 * A status code, or a template (at most 200 characters) that renders one. 1xx are not final
 * answers: the runtime cannot send one with a body (101 would switch protocols). The request
 * schema lets any value through so that the 400 names this field, not the whole template.
 */
function isStatus(status: unknown): boolean {
  if (typeof status === "number") return Number.isInteger(status) && status >= 200 && status <= 599;
  return typeof status === "string" && status.length <= 200 && (status.includes("{{") || /^[2-5]\d\d$/.test(status));
}

function isOrigin(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === "http:" || url.protocol === "https:") && url.origin === value;
  } catch {
    return false;
  }
}
