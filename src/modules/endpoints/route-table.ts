/**
 * @module modules/endpoints/route-table
 * The routes of one account as a trie of path segments, built once when definitions change:
 * matching walks the request's segments, not the list of endpoints. A literal segment beats a
 * parameter; a path that exists under other methods answers 405 with `Allow`. Routes made only of
 * literal segments are also kept by their whole path, so most calls are one map lookup.
 */
import type { Segment } from "./path";

interface Node<T> {
  literals: Map<string, Node<T>>;
  param?: Node<T>;
  methods: Map<string, { value: T; names: (string | null)[] }>;
}

export type RouteMatch<T> =
  | { kind: "found"; value: T; params: Record<string, string> }
  | { kind: "method_not_allowed"; allow: string[] }
  | { kind: "not_found" };

const node = <T>(): Node<T> => ({ literals: new Map(), methods: new Map() });

export class RouteTable<T> {
  private readonly root: Node<T> = node();
  private readonly all: T[] = [];
  /** Literal-only routes by their path as it arrives ("a/b", no slashes around) and method. */
  private readonly literal = new Map<string, Map<string, T>>();

  add(method: string, segments: readonly Segment[], value: T): void {
    let current = this.root;
    const names: (string | null)[] = [];
    for (const segment of segments) {
      if (segment.kind === "literal") {
        let next = current.literals.get(segment.value);
        if (!next) current.literals.set(segment.value, (next = node()));
        current = next;
        names.push(null);
      } else {
        current = current.param ??= node();
        names.push(segment.name);
      }
    }
    current.methods.set(method, { value, names });
    this.all.push(value);
    // A literal holding "/" (defined as %2F) can only be reached %-escaped, so only through the trie.
    if (segments.every((s) => s.kind === "literal" && !s.value.includes("/"))) {
      const path = segments.map((s) => (s as { value: string }).value).join("/");
      let methods = this.literal.get(path);
      if (!methods) this.literal.set(path, (methods = new Map()));
      methods.set(method, value);
    }
  }

  values(): readonly T[] {
    return this.all;
  }

  /** Nodes whose path matches, most specific (literal-first) first. */
  private collect(current: Node<T>, segments: readonly string[], index: number, out: Node<T>[]): void {
    if (index === segments.length) {
      if (current.methods.size > 0) out.push(current);
      return;
    }
    const literal = current.literals.get(segments[index]!);
    if (literal) this.collect(literal, segments, index + 1, out);
    if (current.param) this.collect(current.param, segments, index + 1, out);
  }

  /** For each method answered at this path, the route that would serve it (most specific first wins). */
  routesAt(segments: readonly string[]): Map<string, T> {
    const nodes: Node<T>[] = [];
    this.collect(this.root, segments, 0, nodes);
    const routes = new Map<string, T>();
    for (const candidate of nodes) {
      for (const [method, route] of candidate.methods) if (!routes.has(method)) routes.set(method, route.value);
    }
    return routes;
  }

  /**
   * The literal-only route for a raw path without %-escapes or slashes around it, or undefined
   * (then `match` decides). Such a route is always the most specific, so a hit is the answer.
   */
  matchLiteral(method: string, path: string): RouteMatch<T> | undefined {
    const value = this.literal.get(path)?.get(method);
    return value === undefined ? undefined : { kind: "found", value, params: {} };
  }

  match(method: string, segments: readonly string[]): RouteMatch<T> {
    const nodes: Node<T>[] = [];
    this.collect(this.root, segments, 0, nodes);
    if (nodes.length === 0) return { kind: "not_found" };
    for (const candidate of nodes) {
      const route = candidate.methods.get(method);
      if (!route) continue;
      const params: Record<string, string> = {};
      route.names.forEach((name, i) => {
        if (name !== null) params[name] = segments[i]!;
      });
      return { kind: "found", value: route.value, params };
    }
    return { kind: "method_not_allowed", allow: [...new Set(nodes.flatMap((n) => [...n.methods.keys()]))].sort() };
  }
}
