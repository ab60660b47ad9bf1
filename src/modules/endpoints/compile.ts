/**
 * @module modules/endpoints/compile
 * Turns a stored definition into what dispatch runs: condition, templates and body schema are
 * compiled here once (when definitions load or change), never per request.
 */
import { CONDITION_ROOTS, compileCondition, standardFunctions, type CompiledCondition } from "../../expr";
import type { PipelineAction } from "../../engine/pipeline";
import { compileTemplate } from "../../templates";
import { validateRenderedConfig } from "../plugins/config-check";
import type { PluginRegistry } from "../plugins/registry";
import { compileBodySchema, type BodyProblem } from "./body-schema";
import { compileResponse, type CompiledResponse } from "./respond";
import { rowToDefinition } from "./definition";
import { parsePath, type Segment } from "./path";
import type { EndpointDefinition } from "./schemas";
import type { EndpointRow } from "./store";

export interface CompiledEndpoint {
  id: string;
  accountId: string;
  def: EndpointDefinition;
  segments: Segment[];
  condition: CompiledCondition | null;
  actions: PipelineAction[];
  /** The answer from the run's data; null: 200 with the last action's result. */
  response: CompiledResponse | null;
  validateBody: ((body: unknown) => BodyProblem[]) | null;
}

const functions = standardFunctions();

export function compileEndpoint(row: EndpointRow, registry: PluginRegistry): CompiledEndpoint {
  const def = rowToDefinition(row);
  const path = parsePath(def.path);
  if ("error" in path) throw new Error(`endpoint ${row.id} has an invalid stored path: ${path.error}`);
  return {
    id: row.id,
    accountId: row.accountId,
    def,
    segments: path.segments,
    condition: def.condition ? compileCondition(def.condition, { functions, fields: [...CONDITION_ROOTS] }) : null,
    actions: def.actions.map((action) => {
      const plugin = registry.get(action.type);
      if (!plugin) throw new Error(`endpoint ${row.id} uses the action type "${action.type}", which is not loaded`);
      // Filter keys stay unrendered: ctx.records parses them first, then fills their templates.
      const rawKeys = new Set(plugin.definition.filters ?? []);
      const raw = Object.fromEntries(Object.entries(action.config).filter(([key]) => rawKeys.has(key)));
      const template = compileTemplate(Object.fromEntries(Object.entries(action.config).filter(([key]) => !rawKeys.has(key))));
      // Rendering builds a new object each time, so without raw keys it is the config as it is.
      const hasRaw = Object.keys(raw).length > 0;
      return {
        type: action.type,
        name: action.name,
        run: plugin.definition.run,
        render: hasRaw ? (data) => ({ ...(template.render(data) as Record<string, unknown>), ...raw }) : (data) => template.render(data) as Record<string, unknown>,
        check: (config) => validateRenderedConfig(plugin, config),
      };
    }),
    response: def.response_template ? compileResponse(def.response_template) : null,
    validateBody: def.body_schema ? compileBodySchema(def.body_schema) : null,
  };
}
