/**
 * @module templates/template
 * Templates as values: a string, or any JSON-like object/array whose string
 * leaves may hold `{{...}}`. Compiling walks the value once; rendering builds
 * a new value leaf by leaf, so the output is a value, not text spliced into
 * JSON: it serialises to well-formed JSON whatever quotes or braces the
 * data holds. Object keys are never templated.
 */

import { TemplateError } from "./errors.ts";
import { compileLeaf } from "./leaf.ts";

/** A compiled template. */
export interface CompiledTemplate {
  /** Renders against `data` (e.g. `{request, auth, actions, now, credentials, input, nodes}`). */
  render(data: unknown): unknown;
}

/** Result of {@link checkTemplate}. */
export type TemplateCheck = { ok: true } | { ok: false; message: string; path: string };

/** Deepest nesting of objects/arrays a template may have. */
export const MAX_TEMPLATE_DEPTH = 64;

type Render = (data: unknown) => unknown;

/**
 * Compiles a template value once.
 * @throws TemplateError naming the leaf path of the first bad string (e.g. `body.total`).
 */
export function compileTemplate(source: unknown): CompiledTemplate {
  return { render: compileNode(source, "", 0, true) };
}

/** Compiles and renders in one go (cached per string leaf, so repeated calls stay cheap). */
export function renderTemplate(source: unknown, data: unknown): unknown {
  // Without generated code: it would be built anew on every call.
  return compileNode(source, "", 0, false)(data);
}

/** Save-time validation: the first problem and where it is, without throwing. */
export function checkTemplate(source: unknown): TemplateCheck {
  try {
    compileNode(source, "", 0, false);
    return { ok: true };
  } catch (err) {
    if (err instanceof TemplateError) return { ok: false, message: err.message, path: err.path };
    throw err;
  }
}

/** `literals`: build objects through generated code (worth it for a template compiled once and kept). */
function compileNode(source: unknown, path: string, depth: number, literals: boolean): Render {
  if (typeof source === "string") return compileString(source, path);
  if (source === null || typeof source !== "object") return () => source;
  if (depth >= MAX_TEMPLATE_DEPTH) throw new TemplateError(`template nests deeper than ${MAX_TEMPLATE_DEPTH} levels`, path);
  if (Array.isArray(source)) {
    const items = source.map((item, i) => compileNode(item, `${path}[${i}]`, depth + 1, literals));
    return (data) => items.map((render) => render(data));
  }
  const proto = Object.getPrototypeOf(source);
  if (proto !== Object.prototype && proto !== null) return () => source; // Dates and the like are values, not templates
  const entries = Object.entries(source).map(([key, value]) => [key, compileNode(value, path ? `${path}.${key}` : key, depth + 1, literals)] as const);
  if (literals && entries.length <= MAX_LITERAL_KEYS && !Object.hasOwn(source, "__proto__")) return objectLiteral(entries);
  return (data) => {
    const out: Record<string, unknown> = {};
    for (const [key, render] of entries) {
      // defineProperty: a "__proto__" key must stay an own data property, not replace the prototype.
      if (key === "__proto__") Object.defineProperty(out, key, { value: render(data), enumerable: true, writable: true, configurable: true });
      else out[key] = render(data);
    }
    return out;
  };
}

/** Objects with at most this many keys are built by one object literal (see objectLiteral). */
const MAX_LITERAL_KEYS = 32;

/**
 * Renders an object through a function compiled to return one object literal with the keys
 * written in: the engine then builds every answer with one shape, where assigning keys one by one
 * in a loop looks each up afresh. Keys are emitted as JSON string literals (no key can become
 * code), and `__proto__` never comes here: as a literal key it would set the prototype.
 */
function objectLiteral(entries: readonly (readonly [string, Render])[]): Render {
  const fields = entries.map(([key], i) => `${JSON.stringify(key)}: r[${i}](data)`).join(",\n");
  const factory = new Function("r", `"use strict";\nreturn function render(data) {\nreturn {\n${fields}\n};\n};`);
  return factory(entries.map(([, render]) => render)) as Render;
}

function compileString(source: string, path: string): Render {
  let leaf: Render;
  try {
    leaf = compileLeaf(source);
  } catch (err) {
    throw err instanceof TemplateError ? new TemplateError(err.message, path) : err;
  }
  return (data) => {
    try {
      return leaf(data);
    } catch (err) {
      // Compilation was checked; what remains is exotic (a throwing getter in the data). Say where.
      throw new TemplateError(`render failed: ${(err as Error)?.message ?? String(err)}`, path);
    }
  };
}
