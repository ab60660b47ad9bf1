/**
 * @module cli/identity-commands
 * `switchboard admin create` and `switchboard keys create`: set-up without the HTTP API, e.g. on
 * a fresh instance or from a provisioning script. Secrets are printed once, on stdout only.
 */
import { ConfigError } from "../config";
import { createOwner } from "../modules/accounts/bootstrap";
import type { Command } from "./commands";
import { openServices } from "./open-services";

const required = (options: Record<string, string | undefined>, name: string) => {
  const value = options[name];
  if (!value) throw new ConfigError(`--${name} is required`);
  return value;
};

/** Errors of the services (a taken email, too many keys) become one-line CLI errors. */
async function asCliError<T>(fn: () => T | Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError((error as Error).message);
  }
}

export const adminCommand: Command = {
  summary: "admin create --email E --password P [--account SLUG]: create an owner",
  async run(argv, env) {
    const [action, ...rest] = argv;
    if (action !== "create") throw new ConfigError('usage: switchboard admin create --email E --password P [--account SLUG]');
    const { options, services, close } = await openServices(rest, env, ["email", "password", "account"]);
    try {
      const email = required(options, "email");
      const password = required(options, "password");
      if (password.length < 8) throw new ConfigError("--password must be at least 8 characters");
      const owner = await asCliError(() => createOwner(services, { email, password, accountSlug: options.account }));
      process.stdout.write(`created owner ${owner.email} (${owner.id})${owner.instanceAdmin ? ", instance admin" : ""}\n`);
      return 0;
    } finally {
      close();
    }
  },
};

export const keysCommand: Command = {
  summary: "keys create --name N [--account SLUG] [--scopes manage,invoke]: create an API key",
  async run(argv, env) {
    const [action, ...rest] = argv;
    if (action !== "create") throw new ConfigError("usage: switchboard keys create --name N [--account SLUG] [--scopes manage,invoke]");
    const { options, services, close } = await openServices(rest, env, ["name", "account", "scopes"]);
    try {
      const name = required(options, "name");
      const slug = options.account ?? "default";
      const account = services.accounts.bySlug(slug);
      if (!account) throw new ConfigError(`no account with slug "${slug}"`);
      const owner = services.users.activeOwners(account.id)[0];
      if (!owner) throw new ConfigError(`account "${slug}" has no active owner: run \`switchboard admin create\` first`);
      const scopes = options.scopes?.split(",").map((s) => s.trim());
      if (scopes?.some((s) => s !== "manage" && s !== "invoke")) throw new ConfigError("--scopes takes manage, invoke or both");
      const created = await asCliError(() =>
        services.keys.create({ accountId: account.id, userId: owner.id, accountPlan: account.plan }, {
          name,
          scopes: scopes as ("manage" | "invoke")[] | undefined,
        }),
      );
      process.stdout.write(`${created.key}\n`);
      process.stderr.write(`created key ${created.id} "${created.name}" for ${slug} (acts as ${owner.email}); the secret above is shown only once\n`);
      return 0;
    } finally {
      close();
    }
  },
};
