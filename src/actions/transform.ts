/**
 * @module actions/transform
 * `transform`: shapes data. Its result is its `template` after rendering, so with the whole-value
 * rule `{"template": {"total": "{{actions[1].result}}"}}` yields an object holding the earlier
 * step's result itself (a number, an object), not its text.
 */
import { definePlugin, t } from "../plugin-api";

export const transform = definePlugin({
  type: "transform",
  title: "Transform",
  description: "Builds a value from the request and earlier results; the step's result is the rendered template",
  config: t.Object({
    template: t.Unknown({ description: "Any JSON value; its templates are already rendered" }),
  }),
  // The engine renders templates in the config before `run`: nothing is left to do here.
  run: (_ctx, config) => config.template,
});
