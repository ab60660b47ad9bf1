/**
 * @module expr/parse-cache
 * A bounded least-recently-used cache of parsed trees. Filters often arrive
 * per request (`?filter=` on a records list), so the same source is parsed
 * once; trees are frozen because every compile shares them.
 */

import type { Expr } from "./ast.ts";
import { DEFAULT_MAX_DEPTH, DEFAULT_MAX_LENGTH, parse, type ParseOptions } from "./parser.ts";

/** How many parsed sources are kept. */
export const PARSE_CACHE_SIZE = 500;

const cache = new Map<string, Expr>();

/** `parse` through the cache; the returned tree is deeply frozen. @throws ExprError */
export function parseCached(source: string, options: ParseOptions = {}): Expr {
  const key = `${options.maxLength ?? DEFAULT_MAX_LENGTH}:${options.maxDepth ?? DEFAULT_MAX_DEPTH}:${source}`;
  const hit = cache.get(key);
  if (hit) {
    cache.delete(key); // re-insert to mark as recently used; Map keeps insertion order
    cache.set(key, hit);
    return hit;
  }
  const ast = deepFreeze(parse(source, options));
  cache.set(key, ast);
  if (cache.size > PARSE_CACHE_SIZE) cache.delete(cache.keys().next().value!);
  return ast;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
