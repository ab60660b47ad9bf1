/**
 * @module modules/plugins/virtual-module
 * Registers `switchboard/plugin`, the one module a plugin file may import. It is virtual: a
 * plugin file on disk beside the compiled binary has no node_modules to resolve packages from,
 * so the host hands it the plugin API it was built with (the same `ActionError` class, the same
 * TypeBox). Types for editors and tsc come from `switchboard-plugin.d.ts` next to this file.
 */
import * as pluginApi from "../../plugin-api";

/** The specifier plugin files import. */
export const PLUGIN_MODULE = "switchboard/plugin";

let registered = false;

/**
 * Makes `import ... from "switchboard/plugin"` resolve in files imported from now on, from source
 * and inside the compiled binary alike. Idempotent: a second call does nothing.
 */
export function registerPluginModule(): void {
  if (registered) return;
  registered = true;
  Bun.plugin({
    name: "switchboard-plugin-api",
    setup(build) {
      build.module(PLUGIN_MODULE, () => ({ exports: { ...pluginApi }, loader: "object" }));
    },
  });
}
