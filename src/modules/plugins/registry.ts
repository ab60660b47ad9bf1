/**
 * @module modules/plugins/registry
 * Every action type the instance knows, built-in or loaded from a plugin file, with its config
 * schema compiled once. A definition is validated here, where it enters, so the engine and the
 * endpoint checks can trust what `get` returns.
 */
import { FormatRegistry, KindGuard, TypeGuard, type TSchema } from "@sinclair/typebox";
import { TypeCompiler, type TypeCheck } from "@sinclair/typebox/compiler";
// Elysia registers the standard string formats (uri, email, date-time, uuid...) in TypeBox's
// global FormatRegistry. Importing it here makes plugin schemas check the same way whether or not
// the HTTP layer is loaded (the compiled plugin host of the tests loads no Elysia app).
import "elysia/type-system/format";
import type { PluginDefinition } from "../../plugin-api";

/** Action type names: `^[a-z][a-z0-9_]{1,63}$` (DESIGN.md, Actions and plugins). */
export const PLUGIN_TYPE_PATTERN = /^[a-z][a-z0-9_]{1,63}$/;

/** Source of the actions compiled into the binary. */
export const BUILTIN_SOURCE = "builtin";

/** A definition the registry refused; the message says what to fix. */
export class PluginError extends Error {
  override name = "PluginError";
}

export interface RegisteredPlugin {
  readonly definition: PluginDefinition;
  /** `"builtin"` or the absolute path of the plugin file. */
  readonly source: string;
  /** The config schema, compiled once; strict (templates already rendered). */
  readonly check: TypeCheck<TSchema>;
}

export interface PluginRegistry {
  /** Validates and adds a definition; throws PluginError and adds nothing when it is unfit. */
  register(def: PluginDefinition, source: string): void;
  get(type: string): RegisteredPlugin | undefined;
  /** Every registered type, sorted by type. */
  list(): RegisteredPlugin[];
}

export function createPluginRegistry(): PluginRegistry {
  const plugins = new Map<string, RegisteredPlugin>();
  return {
    register(def, source) {
      const check = validateDefinition(def);
      const existing = plugins.get(def.type);
      if (existing) throw new PluginError(`action type "${def.type}" is already registered by ${existing.source}`);
      plugins.set(def.type, Object.freeze({ definition: def, source, check }));
    },
    get: (type) => plugins.get(type),
    list: () => [...plugins.values()].sort((a, b) => (a.definition.type < b.definition.type ? -1 : 1)),
  };
}

/** Checks the shape of a definition and compiles its config schema. */
function validateDefinition(def: unknown): TypeCheck<TSchema> {
  if (typeof def !== "object" || def === null) throw new PluginError("a plugin definition must be an object (use definePlugin)");
  const d = def as Partial<Record<keyof PluginDefinition, unknown>>;
  if (typeof d.type !== "string" || !PLUGIN_TYPE_PATTERN.test(d.type)) {
    throw new PluginError(`invalid action type ${JSON.stringify(d.type)}: expected ${PLUGIN_TYPE_PATTERN.source}`);
  }
  for (const field of ["title", "description"] as const) {
    const value = d[field];
    if (typeof value !== "string" || value.trim() === "") throw new PluginError(`plugin "${d.type}" needs a non-empty ${field}`);
  }
  if (typeof d.run !== "function") throw new PluginError(`plugin "${d.type}" needs a run(ctx, config) function`);
  // TypeGuard looks at TypeBox's Kind symbols, deeply: a plain JSON-schema object (no symbols)
  // would compile to a checker that rejects everything, so it is refused here with a clear message.
  if (!TypeGuard.IsObject(d.config)) throw new PluginError(`plugin "${d.type}": config must be a TypeBox object schema (t.Object({...}))`);
  if (d.filters !== undefined) {
    const keys = Object.keys((d.config as { properties: object }).properties);
    if (!Array.isArray(d.filters) || d.filters.some((key) => typeof key !== "string" || !keys.includes(key))) {
      throw new PluginError(`plugin "${d.type}": filters must list config properties that hold filter expressions`);
    }
  }
  const unknownFormat = findUnknownFormat(d.config);
  if (unknownFormat !== undefined) throw new PluginError(`plugin "${d.type}": config uses the unknown string format "${unknownFormat}"`);
  try {
    return TypeCompiler.Compile(d.config);
  } catch (error) {
    throw new PluginError(`plugin "${d.type}": config schema does not compile: ${(error as Error).message}`);
  }
}

/** A `format` nobody registered makes TypeBox reject every value, which would fail silently at run. */
function findUnknownFormat(schema: unknown, depth = 0): string | undefined {
  if (typeof schema !== "object" || schema === null || depth > 64) return undefined;
  const node = schema as Record<string, unknown>;
  if (KindGuard.IsSchema(node) && typeof node.format === "string" && !FormatRegistry.Has(node.format)) return node.format;
  for (const value of Object.values(node)) {
    const found = findUnknownFormat(value, depth + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}
