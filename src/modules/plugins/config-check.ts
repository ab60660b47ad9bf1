/**
 * @module modules/plugins/config-check
 * Checks an action's `config` against its plugin's schema, twice in its life:
 *  - at SAVE time (`checkActionConfig`), when templates are not rendered yet: a string holding
 *    `{{` stands for a value known only at run time, so it is accepted wherever a value is expected,
 *    even where the schema wants a number, a boolean, an object or an enum member;
 *  - at RUN time (`validateRenderedConfig`), strictly, on the rendered config `run` will receive.
 * Both answer `{path, message}` issues with paths such as `config.items[0].sku`.
 */
import { KindGuard, Type, type TSchema } from "@sinclair/typebox";
import { TypeCompiler, type TypeCheck } from "@sinclair/typebox/compiler";
import { ValueErrorType, type ValueError } from "@sinclair/typebox/errors";
import type { RegisteredPlugin } from "./registry";

/** One problem in a config, named by where it is. */
export interface ConfigIssue {
  /** `config`, `config.to`, `config.items[0].sku`, `config["x-y"]`. */
  path: string;
  message: string;
}

/** Enough to find a mistake without flooding an error answer. */
export const MAX_CONFIG_ISSUES = 20;

/** Marks the unions the lenient schema adds, so their errors report the wrapped schema's own. */
const TEMPLATE_WRAPPER = "x-switchboard-template";
const TEMPLATE = Type.String({ pattern: "\\{\\{" });

const lenientChecks = new WeakMap<RegisteredPlugin, TypeCheck<TSchema>>();

/**
 * Save-time check: `[]` when the config can become valid once its templates are rendered.
 * Literal values are checked as strictly as at run time.
 */
export function checkActionConfig(plugin: RegisteredPlugin, config: unknown): ConfigIssue[] {
  if (plugin.check.Check(config)) return [];
  const lenient = lenientCheckFor(plugin);
  // The lenient schema decides; the strict errors only phrase the answer, because they name the
  // failing leaf ("Expected number") where the lenient ones would say "Expected union value".
  if (lenient.Check(config)) return [];
  const strict = toIssues(plugin.check.Errors(config), (e) => !isTemplate(e.value));
  return strict.length > 0 ? strict : toIssues(lenient.Errors(config), () => true);
}

/** Run-time check of a rendered config: strict, with the checker compiled at registration. */
export function validateRenderedConfig(plugin: RegisteredPlugin, rendered: unknown): ConfigIssue[] {
  if (plugin.check.Check(rendered)) return [];
  return toIssues(plugin.check.Errors(rendered), () => true);
}

/** `/items/0/sku` -> `config.items[0].sku`. */
export function configPath(pointer: string): string {
  let path = "config";
  if (pointer === "") return path;
  for (const raw of pointer.slice(1).split("/")) {
    const key = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    if (/^\d+$/.test(key)) path += `[${key}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(key)) path += `.${key}`;
    else path += `[${JSON.stringify(key)}]`;
  }
  return path;
}

const isTemplate = (value: unknown) => typeof value === "string" && value.includes("{{");

function lenientCheckFor(plugin: RegisteredPlugin): TypeCheck<TSchema> {
  let check = lenientChecks.get(plugin);
  if (!check) {
    // The root stays an object: a whole config cannot be one template.
    check = TypeCompiler.Compile(relaxChildren(plugin.definition.config));
    lenientChecks.set(plugin, check);
  }
  return check;
}

/** `schema | "...{{...}}..."`, with the same relaxation all the way down. */
function relax(schema: TSchema): TSchema {
  return Type.Union([relaxChildren(schema), TEMPLATE], { [TEMPLATE_WRAPPER]: true });
}

/** A shallow copy (Kind and modifier symbols included) whose sub-schemas are relaxed. */
function relaxChildren(schema: TSchema): TSchema {
  const copy: Record<string, unknown> = { ...schema };
  const mapValues = (record: Record<string, TSchema>) => Object.fromEntries(Object.entries(record).map(([k, v]) => [k, relax(v)]));
  if (isRecord(schema.properties)) copy.properties = mapValues(schema.properties);
  if (isRecord(schema.patternProperties)) copy.patternProperties = mapValues(schema.patternProperties);
  if (KindGuard.IsSchema(schema.additionalProperties)) copy.additionalProperties = relax(schema.additionalProperties);
  if (Array.isArray(schema.items)) copy.items = schema.items.map(relax);
  else if (KindGuard.IsSchema(schema.items)) copy.items = relax(schema.items);
  // Members of a union or an intersection are alternatives for the same value, already wrapped once.
  if (Array.isArray(schema.anyOf)) copy.anyOf = schema.anyOf.map(relaxChildren);
  if (Array.isArray(schema.allOf)) copy.allOf = schema.allOf.map(relaxChildren);
  return copy as TSchema;
}

const isRecord = (value: unknown): value is Record<string, TSchema> => typeof value === "object" && value !== null;

function toIssues(errors: Iterable<ValueError>, keep: (error: ValueError) => boolean): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const seen = new Set<string>();
  for (const error of flatten(errors)) {
    if (!keep(error)) continue;
    const path = configPath(error.path);
    // TypeBox reports a missing property twice ("required", then "Expected string"): keep the first.
    if (seen.has(path)) continue;
    seen.add(path);
    issues.push({ path, message: messageOf(error) });
    if (issues.length >= MAX_CONFIG_ISSUES) break;
  }
  return issues;
}

/** Replaces a lenient wrapper's "Expected union value" by the errors of the schema it wraps. */
function* flatten(errors: Iterable<ValueError>): Generator<ValueError> {
  for (const error of errors) {
    if (error.type === ValueErrorType.Union && error.schema[TEMPLATE_WRAPPER] === true && error.errors[0]) {
      yield* flatten(error.errors[0]);
    } else {
      yield error;
    }
  }
}

function messageOf(error: ValueError): string {
  if (error.type === ValueErrorType.ObjectRequiredProperty) return "Required property is missing";
  if (error.type === ValueErrorType.ObjectAdditionalProperties) return "Unknown property";
  const variants = error.schema.anyOf;
  if (error.type === ValueErrorType.Union && Array.isArray(variants) && variants.every((v: TSchema) => KindGuard.IsLiteral(v))) {
    return `Expected one of ${variants.map((v: TSchema) => JSON.stringify(v.const)).join(", ")}`;
  }
  return error.message;
}
