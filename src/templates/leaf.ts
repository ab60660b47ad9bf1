/**
 * @module templates/leaf
 * Compiles one string leaf into a renderer, cached by source. Three kinds:
 * no `{{` (returned as is), exactly one `{{ path }}` (the whole-value rule:
 * a direct own-property lookup that bypasses Handlebars and keeps the
 * value's type), and text (Handlebars, always a string).
 */

import { BoundedCache } from "./bounded-cache.ts";
import { compileText } from "./environment.ts";
import { currentNow, HELPERS } from "./helpers.ts";
import { compileLookup } from "./lookup.ts";
import { wholeValuePath, type Segment } from "./paths.ts";

/** Renders one string leaf. */
export type LeafRenderer = (data: unknown) => unknown;

/** How many compiled leaves are kept. */
export const LEAF_CACHE_SIZE = 1000;

const cache = new BoundedCache<string, LeafRenderer>(LEAF_CACHE_SIZE);

/** A renderer for `source`, from the cache when possible. @throws TemplateError (without a path). */
export function compileLeaf(source: string): LeafRenderer {
  const hit = cache.get(source);
  if (hit) return hit;
  const renderer = build(source);
  cache.set(source, renderer);
  return renderer;
}

function build(source: string): LeafRenderer {
  if (!source.includes("{{")) return () => source;
  const path = wholeValuePath(source);
  // A lone helper name (`{{json}}`) is a helper call to Handlebars; leave it to Handlebars.
  if (path && !(path.length === 1 && Object.hasOwn(HELPERS, path[0]) && path[0] !== "now")) {
    // At the top level `this` is the data itself, as in Handlebars.
    return wholeValue(path[0] === "this" ? path.slice(1) : path);
  }
  return compileText(source);
}

function wholeValue(path: Segment[]): LeafRenderer {
  const lookup = compileLookup(path);
  if (path.length === 1 && path[0] === "now") {
    // `{{now}}` is the request's time when the data carries one, else the clock (as the `now` helper).
    return (data) => {
      const own = lookup(data);
      return own === undefined ? currentNow(data) : own;
    };
  }
  return (data) => {
    const value = lookup(data);
    return value === undefined ? null : value;
  };
}
