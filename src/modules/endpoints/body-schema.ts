/**
 * @module modules/endpoints/body-schema
 * `body_schema` is standard JSON Schema, validated with Ajv (a well-kept, fast validator that
 * compiles each schema to a function once) rather than a hand-written checker.
 */
import Ajv, { type ValidateFunction } from "ajv";
import addFormats from "ajv-formats";

const ajv = new Ajv({ allErrors: true, strict: false, validateSchema: true });
addFormats(ajv);

const cache = new Map<string, ValidateFunction>();

export interface BodyProblem {
  path: string;
  message: string;
}

/** Compiles a schema once (cached by its text); throws with Ajv's message when it is not valid JSON Schema. */
export function compileBodySchema(schema: Record<string, unknown>): (body: unknown) => BodyProblem[] {
  const text = JSON.stringify(schema);
  let validate = cache.get(text);
  if (!validate) {
    // $id would register the schema globally in Ajv and make a second endpoint with it fail.
    const { $id: _ignored, ...rest } = schema;
    validate = ajv.compile(rest);
    if (cache.size > 1000) cache.clear();
    cache.set(text, validate);
  }
  const check = validate;
  return (body) => {
    if (check(body)) return [];
    return (check.errors ?? []).slice(0, 20).map((e) => ({
      path: e.instancePath === "" ? "/" : e.instancePath,
      message: e.keyword === "required" ? `must have property ${JSON.stringify((e.params as { missingProperty: string }).missingProperty)}` : (e.message ?? "is invalid"),
    }));
  };
}
