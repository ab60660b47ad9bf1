/**
 * @module templates/lookup
 * The whole-value rule's path lookup. Only own properties are read, so
 * `{{constructor}}` or `{{__proto__}}` find nothing, and functions are never
 * returned: a template yields data, nothing else.
 */

import type { Segment } from "./paths.ts";

/** Follows `path` through own properties of objects, arrays and strings; missing -> undefined. */
export function lookupOwn(root: unknown, path: readonly Segment[]): unknown {
  let current = root;
  for (const seg of path) {
    if (current === null || (typeof current !== "object" && typeof current !== "string")) return undefined;
    // Object.hasOwn boxes strings, so `name.length` works like in Handlebars' own lookups.
    if (!Object.hasOwn(current as object, seg)) return undefined;
    current = (current as Record<string | number, unknown>)[seg];
  }
  return typeof current === "function" ? undefined : current;
}

/**
 * `lookupOwn` for one fixed path, compiled to straight-line code: with the property names written
 * into the code, the engine caches each read by the object's shape, where the loop above looks
 * every name up afresh (about three times slower per lookup). Names are emitted as JSON string
 * literals, so no segment can become code. Same answers as `lookupOwn(root, path)`.
 */
export function compileLookup(path: readonly Segment[]): (root: unknown) => unknown {
  let body = "";
  for (const seg of path) {
    const key = typeof seg === "number" ? String(seg) : JSON.stringify(seg);
    body += `if (c === null || (typeof c !== "object" && typeof c !== "string") || !hasOwn(c, ${key})) return undefined;\nc = c[${key}];\n`;
  }
  const factory = new Function("hasOwn", `"use strict";\nreturn function lookup(c) {\n${body}return typeof c === "function" ? undefined : c;\n};`);
  return factory(Object.hasOwn) as (root: unknown) => unknown;
}
