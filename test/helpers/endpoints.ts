/**
 * Test actions registered into a test app's plugin registry: they make side effects and timing
 * observable (how often a step ran, a step that outlives the timeout, a step that fails).
 */
import { ActionError, definePlugin, t } from "../../src/plugin-api";
import type { TestApp } from "./app";

export function registerTestActions(app: TestApp) {
  const calls = { count: 0 };
  const actions = [
    definePlugin({ type: "count_calls", title: "Count", description: "Counts its runs", config: t.Object({}), run: () => ++calls.count }),
    definePlugin({
      type: "sleep",
      title: "Sleep",
      description: "Waits, ignoring the abort signal on purpose",
      config: t.Object({ ms: t.Integer({ minimum: 0 }) }),
      run: async (_ctx, config) => {
        await Bun.sleep(config.ms);
        return { slept: config.ms };
      },
    }),
    definePlugin({
      type: "fail",
      title: "Fail",
      description: "Fails with an ActionError or a raw Error",
      config: t.Object({ code: t.Optional(t.String()), raw: t.Optional(t.Boolean()) }),
      run: (_ctx, config) => {
        if (config.raw) throw new Error("SQLITE_ERROR: no such table secret_stuff");
        throw new ActionError((config.code ?? "UPSTREAM_ERROR") as never, "the upstream said no");
      },
    }),
    definePlugin({
      type: "echo_number",
      title: "Echo a number",
      description: "Returns its numeric config, proving templates render into typed values",
      config: t.Object({ n: t.Number() }),
      run: (_ctx, config) => config.n * 2,
    }),
  ];
  for (const action of actions) app.services.registry.register(action, "test");
  return calls;
}
