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
