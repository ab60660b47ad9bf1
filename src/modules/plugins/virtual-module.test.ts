import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as pluginApi from "../../plugin-api";
import { PLUGIN_MODULE, registerPluginModule } from "./virtual-module";

describe("registerPluginModule", () => {
  test("switchboard/plugin resolves to the host's own plugin API; a second call is harmless", async () => {
    registerPluginModule();
    registerPluginModule();
    const virtual = await import(PLUGIN_MODULE);
    expect(Object.keys(virtual).sort()).toEqual(Object.keys(pluginApi).sort());
    // The very same objects: an ActionError thrown by a plugin is an ActionError to the engine.
    expect(virtual.ActionError).toBe(pluginApi.ActionError);
    expect(virtual.definePlugin).toBe(pluginApi.definePlugin);
    expect(virtual.t).toBe(pluginApi.t);
  });

  test("the type declarations name every export of plugin-api.ts", () => {
    const exportedNames = (source: string) => {
      const names = new Set<string>();
      for (const m of source.matchAll(/export\s+(?:declare\s+)?(?:const|function|class|interface|type)\s+(\w+)/g)) names.add(m[1]!);
      for (const m of source.matchAll(/export\s+type\s*\{([^}]*)\}/g)) for (const n of m[1]!.split(",")) if (n.trim()) names.add(n.trim());
      return [...names].sort();
    };
    const api = exportedNames(readFileSync(join(import.meta.dir, "..", "..", "plugin-api.ts"), "utf8"));
    const declared = exportedNames(readFileSync(join(import.meta.dir, "switchboard-plugin.d.ts"), "utf8"));
    expect(declared).toEqual(api);
  });
});
