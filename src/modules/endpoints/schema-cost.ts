/**
 * @module modules/endpoints/schema-cost
 * How many checks one value of a request body may cost against a `body_schema`, found from the
 * schema alone, so that a schema whose checks multiply is refused when its endpoint is saved.
 *
 * A schema is written by an endpoint's author but checked against whatever a caller sends, on the
 * event loop. Ajv's work is about (values in the body) x (checks per value), so a bound on checks
 * per value keeps validation linear in the body. Branches multiply it: every branch of
 * `allOf`/`anyOf`/`oneOf` may run in full, and `$ref` is followed, so
 * `{"allOf":[{"items":{"$ref":"#"}},{"items":{"$ref":"#"}}]}` costs 2^depth checks on `[[[[...]]]]`
 * (a 200-byte body, 2^100 checks). The count follows one property name or item index at a time, so
 * branches that go down different properties (or into objects in one branch and arrays in another,
 * as a schema of any JSON value does) do not add up. It over-counts rather than under-counts: a
 * `$ref` it cannot follow exactly as Ajv does is refused, since it could hide a loop.
 *
 * Not covered: `pattern`/`patternProperties` run the author's regex on JavaScriptCore's
 * backtracking engine, which can be quadratic or worse on a long string.
 */
import { MAX_JSON_DEPTH } from "../../http/body";

/**
 * Most checks one body value may cost: each subschema it is checked against counts one (a bare
 * `$ref` none), plus one per NAMES_PER_CHECK names it lists. Honest schemas stay well under it: a
 * `oneOf` of 20 shapes is 21, an `anyOf` of five nested in another about 30. It bounds the worst
 * case: a 1 MB array of 500,000 numbers against an `anyOf` of 64 branches that each fail but the
 * last measured 1.4 s (each failed check is an error object), 16 branches 0.3 s; the same body
 * against one check takes 5 ms.
 */
export const MAX_CHECKS_PER_VALUE = 64;

/** Work of the cost check itself (subschemas x property names x levels; about 65 ns each) past which a schema is refused as too large. */
const MAX_CHECK_STEPS = 2_000_000;

/** Ajv looks up every name `properties`, `required` and `dependencies` list on each object it checks: this many count as one check. */
const NAMES_PER_CHECK = 16;

/** Where in the schema (a JSON Pointer) and why it is refused. */
export interface CostProblem {
  path: string;
  message: string;
}

/**
 * The most checks one value of a body (nested at most MAX_JSON_DEPTH deep) may cost against the
 * schema, or why the schema is refused: the JSON Pointer of the subschema where the checks
 * multiply past MAX_CHECKS_PER_VALUE, a `$ref` that cannot be followed, or a loop of `$ref`s that
 * never goes down into the body.
 */
export function schemaCost(schema: Record<string, unknown> | boolean): { problem: CostProblem } | { maxChecks: number } {
  const graph = schemaGraph(schema);
  if ("problem" in graph) return graph;
  const { nodes } = graph;

  const order = inPlaceOrder(nodes);
  if (!Array.isArray(order)) {
    return { problem: { path: nodes[order.cycleAt]!.pointer, message: "a $ref (or allOf/anyOf/oneOf of one) leads back here without going down into the body, so checking a value would never end" } };
  }

  /** Property name -> the nodes that name it, with the subschema they give it. */
  const holders = new Map<string, [SchemaNode, number][]>();
  let tupleLength = 0;
  let passCost = 0;
  for (const node of nodes) {
    for (const [name, sub] of node.named) {
      const list = holders.get(name);
      if (list) list.push([node, sub]);
      else holders.set(name, [[node, sub]]);
    }
    tupleLength = Math.max(tupleLength, node.tuple.length);
    passCost += 1 + node.inPlace.length;
  }
  let steps = 0;

  // checks[d][n]: most checks of one value d levels below a value that node n checks.
  const checks: Float64Array[] = [];
  let maxChecks = 0;
  const step = new Float64Array(nodes.length);
  /** Checks one level down, through children `own` picks at each node, summed over in-place branches. */
  const down = (level: Float64Array, own: (node: SchemaNode) => number) => {
    steps += passCost;
    for (const n of order) {
      const node = nodes[n]!;
      let total = own(node);
      for (const c of node.inPlace) total += step[c]!;
      step[n] = total;
      if (total > level[n]!) level[n] = total;
    }
  };
  for (let depth = 0; depth <= MAX_JSON_DEPTH; depth++) {
    const level = new Float64Array(nodes.length);
    const below = checks[depth - 1];
    if (!below) down(level, (node) => node.weight);
    else {
      // A property name is itself checked (propertyNames) one level down, and has nothing below it.
      const names0 = depth === 1 ? (node: SchemaNode) => sumOf(below, node.names) : () => 0;
      const other = (node: SchemaNode) => sumOf(below, node.otherKeys) + sumOf(below, node.everyKey) + names0(node);
      for (const [name, named] of holders) {
        if (steps > MAX_CHECK_STEPS) break;
        // A property that gets no more checks than any other property would cannot raise the maximum.
        if (named.every(([node, sub]) => below[sub]! <= sumOf(below, node.otherKeys))) continue;
        down(level, (node) => {
          const sub = node.named.get(name);
          return (sub === undefined ? sumOf(below, node.otherKeys) : below[sub]!) + sumOf(below, node.everyKey) + names0(node);
        });
      }
      down(level, other);
      for (let i = 0; i < tupleLength; i++) {
        down(level, (node) => (i < node.tuple.length ? sumOf(below, node.tuple[i]!) : sumOf(below, node.restItems)) + sumOf(below, node.everyItem));
      }
      down(level, (node) => sumOf(below, node.restItems) + sumOf(below, node.everyItem));
    }
    if (steps > MAX_CHECK_STEPS) {
      return { problem: { path: "/", message: `too large to check its cost (${nodes.length} subschemas, ${holders.size} property names); split or simplify it` } };
    }
    checks.push(level);
    maxChecks = Math.max(maxChecks, level[0]!);
    if (level[0]! > MAX_CHECKS_PER_VALUE) {
      const culprit = whereItMultiplies(nodes, checks, depth);
      return {
        problem: {
          path: nodes[culprit]!.pointer,
          message:
            `a body value ${depth === 0 ? "" : `nested ${depth} level${depth === 1 ? "" : "s"} deep `}could cost ${level[0]} checks ` +
            `(at most ${MAX_CHECKS_PER_VALUE}, so that no body is slow to check; a subschema is one, plus one per ${NAMES_PER_CHECK} names in its properties or required): ` +
            "use fewer allOf/anyOf/oneOf branches or properties here, or fewer $refs back to a schema above",
        },
      };
    }
    if (level.every((v) => v === 0)) break; // deeper values meet no subschema at all
  }
  return { maxChecks };
}

interface SchemaNode {
  pointer: string;
  /** What checking a value against it costs on its own: 0 for `true` and for a bare `$ref`. */
  weight: number;
  /** Subschemas applied to the same value: allOf, anyOf, oneOf, not, if/then/else, $ref, dependencies. */
  inPlace: number[];
  /** `properties`: name -> the subschema its value gets. */
  named: Map<string, number>;
  /** `additionalProperties`: for a property `properties` does not name. */
  otherKeys: number[];
  /** `patternProperties` (any may match) and `unevaluatedProperties`: for any property. */
  everyKey: number[];
  /** `propertyNames`: for the name itself. */
  names: number[];
  /** Tuple `items` or `prefixItems`: index -> subschemas. */
  tuple: number[][];
  /** `additionalItems`: for an item past the tuple. */
  restItems: number[];
  /** `items` (one schema), `contains`, `unevaluatedItems`: for any item. */
  everyItem: number[];
}

const IN_PLACE_ONE = ["not", "if", "then", "else"];
const IN_PLACE_LIST = ["allOf", "anyOf", "oneOf"];
const IN_PLACE_MAP = ["dependencies", "dependentSchemas"];

/** Keywords that cost nothing when checking a value. */
const ANNOTATIONS = new Set(["$ref", "$id", "$schema", "$comment", "$anchor", "title", "description", "default", "examples", "definitions", "$defs", "deprecated", "readOnly", "writeOnly"]);

function weightOf(schema: Record<string, unknown> | boolean): number {
  if (typeof schema === "boolean") return schema ? 0 : 1;
  if (typeof schema.$ref === "string" && Object.keys(schema).every((key) => ANNOTATIONS.has(key))) return 0;
  const count = (value: unknown) => (Array.isArray(value) ? value.length : typeof value === "object" && value !== null ? Object.keys(value).length : 0);
  const names = count(schema.properties) + count(schema.required) + count(schema.dependencies) + count(schema.dependentRequired) + count(schema.dependentSchemas);
  return 1 + Math.floor(names / NAMES_PER_CHECK);
}

const isSchema = (value: unknown): value is Record<string, unknown> | boolean =>
  typeof value === "boolean" || (typeof value === "object" && value !== null && !Array.isArray(value));
const escapePointer = (name: string) => name.replace(/~/g, "~0").replace(/\//g, "~1");

/** Every subschema reachable from the root (through `$ref` too), numbered from 0 (the root); or why one cannot be followed. */
function schemaGraph(schema: Record<string, unknown> | boolean): { nodes: SchemaNode[] } | { problem: CostProblem } {
  const nodes: SchemaNode[] = [];
  const index = new Map<unknown, number>();
  const pending: [Record<string, unknown> | boolean, string][] = [];
  const ids = collectIds(schema);

  const nodeOf = (value: unknown, pointer: string): number | null => {
    if (!isSchema(value)) return null; // not a schema: Ajv has refused it already, or ignores it
    const key = typeof value === "boolean" ? String(value) : value;
    let id = index.get(key);
    if (id === undefined) {
      id = nodes.length;
      index.set(key, id);
      nodes.push({ pointer: pointer || "/", weight: weightOf(value), inPlace: [], named: new Map(), otherKeys: [], everyKey: [], names: [], tuple: [], restItems: [], everyItem: [] });
      pending.push([value, pointer]);
    }
    return id;
  };
  const add = (list: number[], value: unknown, pointer: string) => {
    const id = nodeOf(value, pointer);
    if (id !== null) list.push(id);
  };
  const addTuple = (node: SchemaNode, list: unknown, pointer: string) => {
    if (!Array.isArray(list)) return;
    list.forEach((item, i) => add((node.tuple[i] ??= []), item, `${pointer}/${i}`));
  };

  nodeOf(schema, "");
  while (pending.length > 0) {
    const [value, pointer] = pending.pop()!;
    if (typeof value === "boolean") continue;
    const node = nodes[index.get(value)!]!;
    for (const key of IN_PLACE_ONE) add(node.inPlace, value[key], `${pointer}/${key}`);
    for (const key of IN_PLACE_LIST) {
      const list = value[key];
      if (Array.isArray(list)) list.forEach((item, i) => add(node.inPlace, item, `${pointer}/${key}/${i}`));
    }
    for (const key of IN_PLACE_MAP) forEachEntry(value[key], (name, sub) => add(node.inPlace, sub, `${pointer}/${key}/${escapePointer(name)}`));
    forEachEntry(value.properties, (name, sub) => {
      const id = nodeOf(sub, `${pointer}/properties/${escapePointer(name)}`);
      if (id !== null) node.named.set(name, id);
    });
    forEachEntry(value.patternProperties, (name, sub) => add(node.everyKey, sub, `${pointer}/patternProperties/${escapePointer(name)}`));
    add(node.otherKeys, value.additionalProperties, `${pointer}/additionalProperties`);
    add(node.everyKey, value.unevaluatedProperties, `${pointer}/unevaluatedProperties`);
    add(node.names, value.propertyNames, `${pointer}/propertyNames`);
    if (Array.isArray(value.items)) addTuple(node, value.items, `${pointer}/items`);
    else add(node.everyItem, value.items, `${pointer}/items`);
    addTuple(node, value.prefixItems, `${pointer}/prefixItems`);
    add(node.restItems, value.additionalItems, `${pointer}/additionalItems`);
    add(node.everyItem, value.contains, `${pointer}/contains`);
    add(node.everyItem, value.unevaluatedItems, `${pointer}/unevaluatedItems`);
    if (typeof value.$ref === "string") {
      const target = resolveRef(ids, value, value.$ref);
      if (target === undefined) {
        return { problem: { path: `${pointer}/$ref`, message: `the reference ${JSON.stringify(value.$ref)} cannot be followed to check its cost; refer to "#" or "#/definitions/NAME" within this schema` } };
      }
      add(node.inPlace, target.value, target.pointer);
    }
  }
  return { nodes };
}

/** Follows the checks past the bound down to the subschema none of whose parts is past it alone. */
function whereItMultiplies(nodes: SchemaNode[], checks: Float64Array[], startDepth: number): number {
  let n = 0;
  let depth = startDepth;
  const over = (c: number, d: number) => d >= 0 && checks[d]![c]! > MAX_CHECKS_PER_VALUE;
  for (;;) {
    const node = nodes[n]!;
    const inPlace = node.inPlace.find((c) => over(c, depth));
    if (inPlace !== undefined) {
      n = inPlace;
      continue;
    }
    const children = [...node.named.values(), ...node.otherKeys, ...node.everyKey, ...node.tuple.flat(), ...node.restItems, ...node.everyItem];
    const next = children.find((c) => over(c, depth - 1));
    if (next === undefined) return n;
    n = next;
    depth -= 1;
  }
}

/** Nodes ordered so each comes after the subschemas it applies in place; or where a loop is. */
function inPlaceOrder(nodes: SchemaNode[]): number[] | { cycleAt: number } {
  const waiting = nodes.map((node) => node.inPlace.length);
  const usedBy: number[][] = nodes.map(() => []);
  nodes.forEach((node, n) => node.inPlace.forEach((c) => usedBy[c]!.push(n)));
  const ready = nodes.flatMap((_, n) => (waiting[n] === 0 ? [n] : []));
  const order: number[] = [];
  while (ready.length > 0) {
    const n = ready.pop()!;
    order.push(n);
    for (const parent of usedBy[n]!) if (--waiting[parent]! === 0) ready.push(parent);
  }
  if (order.length === nodes.length) return order;
  // Left waiting: the loop and what applies it. Walking waiting children from any of them ends in the loop.
  const walked = new Set<number>();
  let n = waiting.findIndex((w) => w > 0);
  while (!walked.has(n)) {
    walked.add(n);
    n = nodes[n]!.inPlace.find((c) => waiting[c]! > 0)!;
  }
  return { cycleAt: n };
}

const sumOf = (values: Float64Array, ids: number[]) => ids.reduce((sum, id) => sum + values[id]!, 0);

function forEachEntry(value: unknown, fn: (name: string, sub: unknown) => void) {
  if (typeof value === "object" && value !== null && !Array.isArray(value)) {
    for (const [name, sub] of Object.entries(value)) fn(name, sub);
  }
}

// --- $id and $ref, resolved as Ajv resolves them ---

interface Located {
  value: unknown;
  pointer: string;
}

interface SchemaIds {
  /** Resolved URI of each `$id` (without fragment) or anchor (with it) -> its subschema; null when two claim one. "" is the root. */
  named: Map<string, Located | null>;
  /** Each subschema -> the base URI its references resolve against. */
  baseOf: Map<object, string>;
}

/**
 * The keywords under which Ajv looks for `$id`s (json-schema-traverse with allKeys): a list of
 * subschemas, a map of name -> subschema, or (any other key but these data keywords) one subschema.
 * A property named "default" or "enum" is a subschema like any other.
 */
const LIST_KEYWORDS = new Set(["items", "allOf", "anyOf", "oneOf", "prefixItems"]);
const MAP_KEYWORDS = new Set(["$defs", "definitions", "properties", "patternProperties", "dependencies"]);
const DATA_KEYWORDS = new Set(["default", "enum", "const", "examples", "required", "maximum", "minimum", "exclusiveMaximum", "exclusiveMinimum", "multipleOf", "maxLength", "minLength", "pattern", "format", "maxItems", "minItems", "uniqueItems", "maxProperties", "minProperties"]);

/** Where `$ref`s inside the schema can lead: subschemas named by `$id`/`$anchor`, and the base URI of each. */
function collectIds(schema: unknown): SchemaIds {
  const named = new Map<string, Located | null>();
  const baseOf = new Map<object, string>();
  const name = (key: string, at: Located) => named.set(key, named.has(key) ? null : at);
  const stack: [unknown, string, string][] = [[schema, "", ""]];
  named.set("", { value: schema, pointer: "" });
  while (stack.length > 0) {
    const [value, pointer, outer] = stack.pop()!;
    if (typeof value !== "object" || value === null || Array.isArray(value) || baseOf.has(value)) continue;
    const record = value as Record<string, unknown>;
    const here = { value, pointer };
    let base = outer;
    if (typeof record.$id === "string") {
      const id = resolveUri(outer, record.$id);
      if (id === null) continue; // its references cannot be followed: refused when met
      const hash = id.indexOf("#");
      if (hash < 0) {
        base = id;
        name(id, here);
      } else {
        name(id, here); // draft-07 plain-name fragment: `"$id": "#foo"`
        base = id.slice(0, hash);
      }
    }
    if (typeof record.$anchor === "string") {
      const anchor = resolveUri(base, `#${record.$anchor}`);
      if (anchor !== null) name(anchor, here);
    }
    baseOf.set(value, base);
    for (const [key, sub] of Object.entries(record)) {
      const at = `${pointer}/${escapePointer(key)}`;
      if (LIST_KEYWORDS.has(key) && Array.isArray(sub)) sub.forEach((item, i) => stack.push([item, `${at}/${i}`, base]));
      else if (MAP_KEYWORDS.has(key)) forEachEntry(sub, (prop, item) => stack.push([item, `${at}/${escapePointer(prop)}`, base]));
      else if (!DATA_KEYWORDS.has(key)) stack.push([sub, at, base]);
    }
  }
  return { named, baseOf };
}

/** A base for relative URIs (Ajv keeps them relative when the root has no `$id`), removed again after resolving. */
const RELATIVE = "relative-ref:///";

/** `ref` resolved against `base` (RFC 3986), without a trailing "#" or "#/" (as Ajv's normalizeId); null when not a URI. */
function resolveUri(base: string, ref: string): string | null {
  let href: string;
  try {
    href = new URL(ref, new URL(base, RELATIVE)).href;
  } catch {
    return null;
  }
  if (href.startsWith(RELATIVE)) href = href.slice(RELATIVE.length);
  return href.replace(/#\/?$/, "");
}

/**
 * The subschema a `$ref` in `from` names, found as Ajv finds it: resolved against the base URI of
 * `from`, then a `$id` (with a JSON Pointer fragment from there) or an anchor. Anything else is
 * undefined, and refused: a reference this cannot follow could hide a loop.
 */
function resolveRef(ids: SchemaIds, from: object, ref: string): Located | undefined {
  const base = ids.baseOf.get(from);
  const full = base === undefined ? null : resolveUri(base, ref);
  if (full === null) return undefined;
  const hash = full.indexOf("#");
  const uri = hash < 0 ? full : full.slice(0, hash);
  const fragment = hash < 0 ? "" : full.slice(hash + 1);
  if (fragment !== "" && !fragment.startsWith("/")) return ids.named.get(full) ?? undefined;
  const start = ids.named.get(uri);
  if (!start) return undefined;
  let value = start.value;
  let pointer = start.pointer;
  for (const raw of fragment === "" ? [] : fragment.slice(1).split("/")) {
    let part: string;
    try {
      part = decodeURIComponent(raw).replace(/~1/g, "/").replace(/~0/g, "~");
    } catch {
      return undefined;
    }
    if (typeof value !== "object" || value === null || !Object.hasOwn(value, part)) return undefined;
    value = (value as Record<string, unknown>)[part];
    pointer += `/${escapePointer(part)}`;
  }
  return { value, pointer };
}
