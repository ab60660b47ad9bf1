/**
 * @module modules/endpoints/definition
 * Stored rows <-> the API's snake_case definition and view.
 */
import { iso } from "../accounts/views";
import type { EndpointCreate, EndpointDefinition, Method } from "./schemas";
import type { EndpointRow } from "./store";

/** The full definition of a request body, with every default applied. */
export function withDefaults(input: EndpointCreate): EndpointDefinition {
  return {
    name: input.name,
    description: input.description ?? null,
    path: input.path,
    method: input.method,
    auth_required: input.auth_required ?? true,
    condition: input.condition?.trim() ? input.condition : null,
    actions: input.actions.map((a) => ({ type: a.type, config: a.config ?? {}, ...(a.name ? { name: a.name } : {}) })),
    response_template: input.response_template ?? null,
    enabled: input.enabled ?? true,
    cost: input.cost ?? 1,
    timeout_ms: input.timeout_ms ?? 30_000,
    body_schema: input.body_schema ?? null,
    signature: input.signature ?? null,
    cors: input.cors ?? null,
    body_limit_bytes: input.body_limit_bytes ?? null,
    history: input.history ?? "all",
  };
}

export function rowToDefinition(row: EndpointRow): EndpointDefinition {
  return {
    name: row.name,
    description: row.description,
    path: row.path,
    method: row.method as Method,
    auth_required: row.authRequired,
    condition: row.condition,
    actions: row.actions as EndpointDefinition["actions"],
    response_template: row.responseTemplate as EndpointDefinition["response_template"],
    enabled: row.enabled,
    cost: row.cost,
    timeout_ms: row.timeoutMs,
    body_schema: row.bodySchema as EndpointDefinition["body_schema"],
    signature: row.signature as EndpointDefinition["signature"],
    cors: row.cors as EndpointDefinition["cors"],
    body_limit_bytes: row.bodyLimitBytes,
    history: row.history as EndpointDefinition["history"],
  };
}

/** Columns of a definition (path_key is derived by the service). */
export function definitionToColumns(def: EndpointDefinition) {
  return {
    name: def.name,
    description: def.description,
    path: def.path,
    method: def.method,
    authRequired: def.auth_required,
    condition: def.condition,
    actions: def.actions,
    responseTemplate: def.response_template,
    enabled: def.enabled,
    cost: def.cost,
    timeoutMs: def.timeout_ms,
    bodySchema: def.body_schema,
    signature: def.signature,
    cors: def.cors,
    bodyLimitBytes: def.body_limit_bytes,
    history: def.history,
  };
}

export function endpointView(row: EndpointRow, accountSlug: string) {
  return {
    id: row.id,
    ...rowToDefinition(row),
    url: `/api/v1/x/${accountSlug}${row.path === "/" ? "" : row.path}`,
    created_at: iso(row.createdAt)!,
    updated_at: iso(row.updatedAt)!,
  };
}
