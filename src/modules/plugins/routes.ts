/**
 * @module modules/plugins/routes
 * GET /api/v1/plugins: every action type with its config schema, so the admin UI can build a
 * form and API users can see what `config` an action takes.
 */
import { Elysia, t } from "elysia";
import type { TSchema } from "@sinclair/typebox";
import type { ClientIpResolver } from "../../http/client-ip";
import { Envelope, ok } from "../../http/envelope";
import type { Access } from "../auth/access";
import { BEARER, authGuard } from "../auth/guard";
import { BUILTIN_SOURCE, type PluginRegistry, type RegisteredPlugin } from "./registry";

/** One action type as the API shows it. File paths stay on the server: `source` is only the kind. */
export const PluginView = t.Object({
  type: t.String(),
  title: t.String(),
  description: t.String(),
  source: t.Union([t.Literal("builtin"), t.Literal("plugin")]),
  config_schema: t.Record(t.String(), t.Unknown(), { description: "JSON Schema of the action's config" }),
});

const views = new WeakMap<RegisteredPlugin, typeof PluginView.static>();

/** The API view of a plugin; its schema is turned into plain JSON Schema once. */
export function pluginView(plugin: RegisteredPlugin): typeof PluginView.static {
  let view = views.get(plugin);
  if (!view) {
    const { type, title, description, config } = plugin.definition;
    view = { type, title, description, source: plugin.source === BUILTIN_SOURCE ? "builtin" : "plugin", config_schema: jsonSchema(config) };
    views.set(plugin, view);
  }
  return view;
}

/** TypeBox schemas are JSON Schema plus symbols; a JSON round trip keeps exactly the JSON part. */
const jsonSchema = (schema: TSchema) => JSON.parse(JSON.stringify(schema)) as Record<string, unknown>;

export function pluginsRoutes(registry: PluginRegistry, access: Access, clientIps: ClientIpResolver) {
  return new Elysia({ name: "routes.plugins", prefix: "/api/v1/plugins" })
    .use(authGuard(access, clientIps))
    .get("", () => ok(registry.list().map(pluginView)), {
      auth: "manage",
      response: { 200: Envelope(t.Array(PluginView)) },
      detail: { tags: ["plugins"], security: BEARER, summary: "List action types (built-in and plugins) with their config schemas" },
    });
}
