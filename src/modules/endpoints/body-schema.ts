/**
 * @module modules/endpoints/body-schema
 * `body_schema` is standard JSON Schema, validated with Ajv (a well-kept, fast validator that
 * compiles each schema to a function once) rather than a hand-written checker.
 *
 * A schema is written by an endpoint's author but checked against whatever a caller sends, on
 * the event loop, so checking must take time linear in the body whatever the schema says:
 *  - `uniqueItems` and `enum` are Ajv keywords of our own (structural-ids.ts): Ajv's compare
 *    every pair of items (110,000 small arrays took 15 s). No schema is refused for them.
 *  - A schema whose checks multiply (`allOf` of two `$ref: "#"` doubles the work at every level
 *    of nesting) is refused when its endpoint is saved ({@link bodySchemaCostProblem},
 *    schema-cost.ts). An endpoint saved before that check keeps working: compiling never refuses
 *    a valid schema, and such a schema is only ever checked up to its first error.
 *  - Every failed check is an error object (about 45 ns, kept until the end with `allErrors`):
 *    a body first meets a validator that stops at its first error, and only a body small enough
 *    for the bound is checked again for all its errors (up to 20 are shown).
 */
import Ajv, { type ValidateFunction } from "ajv";
import addFormats from "ajv-formats";
import { schemaCost, type CostProblem } from "./schema-cost";
import { useStructuralIds, withStructuralIds } from "./structural-ids";

/** A failing body is checked again for all its errors while values x checks per value stay under this. */
const ALL_ERRORS_BUDGET = 50_000;

export interface BodyProblem {
  path: string;
  message: string;
}

interface CompiledSchema {
  /** Stops at the first error: decides, in time linear in the body. */
  first: ValidateFunction;
  /** Every error, for bodies of at most `allErrorsUpTo` values; null when the schema is too costly for it. */
  all: ValidateFunction | null;
  allErrorsUpTo: number;
  /** Why saving this schema is refused, or null. */
  costProblem: CostProblem | null;
}

function newAjv(allErrors: boolean): Ajv {
  const ajv = new Ajv({ allErrors, strict: false, validateSchema: true });
  addFormats(ajv);
  useStructuralIds(ajv);
  return ajv;
}

/**
 * Ajv keeps something of every schema it compiles (its cache and the values its generated code
 * refers to), for as long as the instance lives: compiling 20,000 distinct schemas grew the heap by
 * ~120 MB. So the instances are replaced whenever the cache below is emptied; validators compiled
 * earlier keep what they need and go with the last endpoint that uses them.
 */
let firstErrorAjv = newAjv(false);
let allErrorsAjv = newAjv(true);

/** Schemas compiled, by their text; emptied (and Ajv with it) past MAX_CACHED. */
const cache = new Map<string, CompiledSchema>();
const MAX_CACHED = 1000;

/** Compiled once per schema text; throws with Ajv's message when it is not valid JSON Schema. */
function compiled(schema: Record<string, unknown>): CompiledSchema {
  const text = JSON.stringify(schema);
  let entry = cache.get(text);
  if (!entry) {
    if (cache.size >= MAX_CACHED) {
      cache.clear();
      firstErrorAjv = newAjv(false);
      allErrorsAjv = newAjv(true);
    }
    // $id would register the schema globally in Ajv and make a second endpoint with it fail.
    const { $id: _ignored, ...rest } = schema;
    const first = firstErrorAjv.compile(rest);
    const cost = costOf(rest);
    entry =
      "problem" in cost
        ? { first, all: null, allErrorsUpTo: 0, costProblem: cost.problem }
        : { first, all: allErrorsAjv.compile(rest), allErrorsUpTo: Math.floor(ALL_ERRORS_BUDGET / Math.max(1, cost.maxChecks)), costProblem: null };
    cache.set(text, entry);
  }
  return entry;
}

/** The cost check must never be what breaks a stored endpoint: a failure of its own counts as a refusal. */
function costOf(schema: Record<string, unknown>): ReturnType<typeof schemaCost> {
  try {
    return schemaCost(schema);
  } catch (error) {
    return { problem: { path: "/", message: `its cost could not be checked (${(error as Error).message}); simplify it` } };
  }
}

/**
 * A validator of bodies against the schema (compiled once, cached by its text); throws with Ajv's
 * message when the schema is not valid JSON Schema, never for its cost: a stored schema that
 * {@link bodySchemaCostProblem} would refuse today is still checked, up to its first error.
 */
export function compileBodySchema(schema: Record<string, unknown>): (body: unknown) => BodyProblem[] {
  const { first, all, allErrorsUpTo } = compiled(schema);
  return (body) =>
    withStructuralIds(() => {
      if (first(body)) return [];
      let errors = first.errors ?? [];
      if (all && !hasMoreValues(body, allErrorsUpTo) && !all(body)) errors = all.errors ?? errors;
      return errors.slice(0, 20).map((e) => ({
        path: e.instancePath === "" ? "/" : e.instancePath,
        message: e.keyword === "required" ? `must have property ${JSON.stringify((e.params as { missingProperty: string }).missingProperty)}` : (e.message ?? "is invalid"),
      }));
    });
}

/**
 * Why an endpoint may not be saved with this schema, or null: some body could make checking it
 * slow, and `path` (a JSON Pointer into the schema) names where. Throws as
 * {@link compileBodySchema} does when the schema is not valid JSON Schema.
 */
export function bodySchemaCostProblem(schema: Record<string, unknown>): BodyProblem | null {
  return compiled(schema).costProblem;
}

/** True when the body holds more than `limit` values (it stops counting there). */
function hasMoreValues(body: unknown, limit: number): boolean {
  let count = 1;
  const stack: unknown[] = [body];
  while (stack.length > 0) {
    const value = stack.pop();
    if (typeof value !== "object" || value === null) continue;
    const children = Array.isArray(value) ? value : Object.values(value);
    count += children.length;
    if (count > limit) return true;
    for (const child of children) stack.push(child);
  }
  return false;
}
