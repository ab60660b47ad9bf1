/**
 * @module modules/plugins/loader
 * Loads plugin files from folders into the registry at start: every `*.ts` / `*.js` directly in
 * each folder, by name. A broken file (syntax error, throws on import, no plugin export, refused
 * definition) costs one warn line and is skipped: one bad plugin never keeps the server down.
 * Call `registerPluginModule()` first so the files can import `switchboard/plugin`.
 */
import { readdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Logger } from "../../log";
import type { PluginDefinition } from "../../plugin-api";
import type { PluginRegistry } from "./registry";

export interface PluginLoadReport {
  /** Action types registered, in load order. */
  loaded: string[];
  /** Files (or definitions in them) skipped, with the one-line reason that was logged. */
  failed: { file: string; error: string }[];
}

export interface LoadPluginsOptions {
  /** A file whose import has not settled by then is skipped (a top-level await that hangs). */
  importTimeoutMs?: number;
}

const PLUGIN_FILE = /\.(ts|js)$/;
const NOT_A_PLUGIN = /\.(test|spec)\.(ts|js)$|\.d\.ts$/;

/**
 * Imports the plugin files of `dirs` (missing folders are skipped; a folder listed twice loads
 * once) and registers what they export: the default export, or else every named export that
 * looks like a plugin definition. Never throws for a bad plugin; see the report and the log.
 */
export async function loadPlugins(
  registry: PluginRegistry,
  dirs: string[],
  logger: Pick<Logger, "info" | "warn">,
  options: LoadPluginsOptions = {},
): Promise<PluginLoadReport> {
  const report: PluginLoadReport = { loaded: [], failed: [] };
  const skip = (file: string, error: string, type?: string) => {
    report.failed.push({ file, error });
    logger.warn("plugin skipped", { file, ...(type ? { type } : {}), error });
  };

  for (const file of pluginFiles(dirs)) {
    let definitions: unknown[];
    try {
      const module = await withTimeout(import(file), options.importTimeoutMs ?? 10_000);
      definitions = definitionsOf(module as Record<string, unknown>);
    } catch (error) {
      skip(file, describeLoadError(error));
      continue;
    }
    if (definitions.length === 0) {
      skip(file, "exports no plugin definition (expected `export default definePlugin({...})`)");
      continue;
    }
    for (const definition of definitions) {
      const type = (definition as { type?: unknown }).type;
      try {
        registry.register(definition as PluginDefinition, file);
      } catch (error) {
        skip(file, describeLoadError(error), typeof type === "string" ? type : undefined);
        continue;
      }
      report.loaded.push(type as string);
      logger.info("plugin loaded", { type, file });
    }
  }
  return report;
}

/** Absolute paths of the candidate files, folder by folder, sorted by name within a folder. */
export function pluginFiles(dirs: string[]): string[] {
  const files: string[] = [];
  for (const dir of new Set(dirs.map((d) => resolve(d)))) {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      continue; // a missing or unreadable folder just has no plugins
    }
    for (const name of names.sort()) {
      if (!PLUGIN_FILE.test(name) || NOT_A_PLUGIN.test(name)) continue;
      const path = join(dir, name);
      if (isFile(path)) files.push(path);
    }
  }
  return files;
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile(); // follows symlinks, so a linked plugin file counts
  } catch {
    return false;
  }
}

/**
 * The default export when there is one (whatever it is: the registry says what is wrong with it),
 * otherwise the named exports shaped like a definition. The same object exported twice counts once.
 */
function definitionsOf(module: Record<string, unknown>): unknown[] {
  if (module.default !== undefined) return [module.default];
  const found = new Set<unknown>();
  for (const value of Object.values(module)) {
    if (typeof value === "object" && value !== null && typeof (value as { type?: unknown }).type === "string" && "run" in value) found.add(value);
  }
  return [...found];
}

/**
 * One line for the log. Bun reports a syntax error as a BuildMessage (with a position), or as an
 * AggregateError of them whose own message is only "N errors building ..."; the first message with
 * its position says more.
 */
export function describeLoadError(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) {
    const more = error.errors.length > 1 ? ` (+${error.errors.length - 1} more)` : "";
    return describeLoadError(error.errors[0]) + more;
  }
  const message = typeof error === "object" && error !== null && "message" in error ? String(error.message) : String(error);
  const position = (error as { position?: { line?: number; column?: number } } | null)?.position;
  const at = position?.line ? ` at line ${position.line}:${position.column ?? 0}` : "";
  return message.split("\n")[0]! + at;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`did not finish loading within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
