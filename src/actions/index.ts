/**
 * @module actions
 * The built-in actions, each written against the public plugin API only, exactly as a plugin
 * file would be. The host registers them with source "builtin" before loading plugin files.
 */
import type { PluginDefinition } from "../plugin-api";
import { transform } from "./transform";

/** Every built-in action definition (send_webhook, records, mail... join as they are written). */
export const BUILTIN_ACTIONS: PluginDefinition[] = [transform];
