/**
 * @module cli/endpoint-commands
 * `switchboard apply -f FILE` and `switchboard export` keep endpoint definitions in git: export
 * writes every definition of an account (JSON or YAML, no ids or times); apply validates a whole
 * file first, then adds or replaces definitions by (method, path) in one transaction.
 */
import { readFileSync } from "node:fs";
import { Value } from "@sinclair/typebox/value";
import YAML from "yaml";
import { ConfigError, parseConfigFlags, type Env } from "../config";
import { AppError } from "../http/errors";
import { EndpointCreate } from "../modules/endpoints/schemas";
import type { Command } from "./commands";
import { openServices } from "./open-services";

async function open(argv: string[], env: Env, extra: string[]) {
  const opened = await openServices(argv, env, extra, { plugins: true });
  const slug = opened.options.account ?? "default";
  const account = opened.services.accounts.bySlug(slug);
  if (!account) {
    opened.close();
    throw new ConfigError(`no account with slug "${slug}"`);
  }
  return { ...opened, account };
}

/** Reads a definitions file: a list, or `{ endpoints: [...] }`, in JSON or YAML. */
export function parseDefinitionsFile(text: string, name: string): EndpointCreate[] {
  let parsed: unknown;
  try {
    parsed = name.endsWith(".json") ? JSON.parse(text) : YAML.parse(text, { maxAliasCount: 100 });
  } catch (error) {
    throw new ConfigError(`${name} is not valid ${name.endsWith(".json") ? "JSON" : "YAML"}: ${(error as Error).message.split("\n")[0]}`);
  }
  const list = Array.isArray(parsed) ? parsed : (parsed as { endpoints?: unknown })?.endpoints;
  if (!Array.isArray(list)) throw new ConfigError(`${name} must hold a list of endpoints (or {"endpoints": [...]})`);
  return list.map((item, index) => {
    const error = Value.Errors(EndpointCreate, item).First();
    if (error) throw new ConfigError(`${name}: endpoint ${index}${error.path.replaceAll("/", ".")}: ${error.message}`);
    return item as EndpointCreate;
  });
}

export const applyCommand: Command = {
  summary: "apply -f FILE [--account SLUG]: add or replace endpoints from a JSON/YAML file",
  async run(rawArgv, env) {
    const argv = rawArgv.map((arg) => (arg === "-f" ? "--file" : arg));
    const file = parseConfigFlags(argv, ["file", "account"]).options.file;
    if (!file) throw new ConfigError("usage: switchboard apply -f endpoints.json|yaml [--account SLUG]");
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch {
      throw new ConfigError(`cannot read ${file}`);
    }
    const definitions = parseDefinitionsFile(text, file);
    const { services, account, close } = await open(argv, env, ["file", "account"]);
    try {
      const result = services.endpoints.apply(account.id, definitions);
      process.stdout.write(`applied ${file} to ${account.slug}: ${result.created} created, ${result.updated} updated\n`);
      return 0;
    } catch (error) {
      if (error instanceof AppError) {
        const field = (error.details as { field?: string } | undefined)?.field;
        throw new ConfigError(`${error.message}${field && !error.message.includes(field) ? ` (${field})` : ""}`);
      }
      throw error;
    } finally {
      close();
    }
  },
};

export const exportCommand: Command = {
  summary: "export [--account SLUG] [--format json|yaml]: print every endpoint definition",
  async run(argv, env) {
    const { services, account, options, close } = await open(argv, env, ["account", "format"]);
    try {
      const format = options.format ?? "json";
      if (format !== "json" && format !== "yaml") throw new ConfigError("--format takes json or yaml");
      const definitions = { endpoints: services.endpoints.export(account.id) };
      process.stdout.write(format === "json" ? JSON.stringify(definitions, null, 2) + "\n" : YAML.stringify(definitions));
      return 0;
    } finally {
      close();
    }
  },
};
