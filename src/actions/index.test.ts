import { expect, test } from "bun:test";
import { createPluginRegistry } from "../modules/plugins/registry";
import { BUILTIN_ACTIONS } from "./index";

test("every built-in action passes the registry's checks, with a unique type", () => {
  const registry = createPluginRegistry();
  for (const def of BUILTIN_ACTIONS) registry.register(def, "builtin");
  expect(registry.list().map((p) => p.definition.type)).toContain("transform");
  expect(registry.list()).toHaveLength(BUILTIN_ACTIONS.length);
});
