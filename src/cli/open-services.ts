/**
 * @module cli/open-services
 * What the management commands (admin, keys, apply, export) share: parse flags, open and migrate
 * the data dir, build the services as `serve` would (bootstrap account and plugins included).
 */
import { loadConfig, parseConfigFlags, type Env } from "../config";
import { createLogger } from "../log";
import { loadPlugins } from "../modules/plugins/loader";
import { registerPluginModule } from "../modules/plugins/virtual-module";
import { openDataDir } from "../server";
import { createServices } from "../services";

export async function openServices(argv: string[], env: Env, extra: string[], options: { plugins?: boolean } = {}) {
  const { flags, options: values } = parseConfigFlags(argv, extra);
  const config = loadConfig(flags, env);
  const logger = createLogger({ format: config.logFormat });
  const db = openDataDir(config, logger);
  const services = createServices({ config, db, logger });
  services.accounts.ensureBootstrapAccount();
  if (options.plugins) {
    // Definitions may use plugin action types, so plugins load as they do for `serve`.
    registerPluginModule();
    await loadPlugins(services.registry, config.pluginDirs, logger);
  }
  return {
    options: values,
    services,
    close() {
      services.close();
      db.close();
    },
  };
}
