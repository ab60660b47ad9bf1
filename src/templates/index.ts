/**
 * @module templates
 * JSON/text templates on Handlebars: compile cache, the whole-value rule,
 * `{{actions[0].result}}` paths, helpers (json, default, upper, lower, now),
 * no prototype access. Pure: no imports from the rest of `src/`.
 */

export { compileTemplate, renderTemplate, checkTemplate, MAX_TEMPLATE_DEPTH, type CompiledTemplate, type TemplateCheck } from "./template.ts";
export { TemplateError } from "./errors.ts";
export { toText, NOW_FORMATS } from "./helpers.ts";
