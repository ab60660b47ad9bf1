/**
 * @module modules/endpoints/structural-ids
 * `uniqueItems` and `enum` for Ajv, in time linear in the body.
 *
 * Ajv's own `uniqueItems` compares every pair of non-scalar items: one 879 KB body of 110,000
 * one-item arrays (`[[0],[1],...]`) held the event loop for 15 s. Its `enum` compares a value with
 * each allowed one in turn (5,000 allowed values x 100,000 values: 1.7 s). No well-kept validator
 * checks `uniqueItems` in linear time, so both keywords are replaced here: every value gets a
 * structural id (equal JSON values, objects whatever their key order, get the same number), and
 * duplicates or allowed values are found by id, in one pass. No schema is refused for using them.
 *
 * Ids are numbered afresh for each validation ({@link withStructuralIds}): they hold no memory
 * between requests, and a value seen in one request can never be confused with one of the next.
 */
import type Ajv from "ajv";
import type { DataValidateFunction } from "ajv/dist/types";

/** Pair keys are `a * PAIR_SCALE + b`, exact below 2^52; ids past it (a body of 67M values) fall back to text keys. */
const PAIR_SCALE = 2 ** 26;
const NULL = 0;
const FALSE = 1;
const TRUE = 2;
const EMPTY_ARRAY = 3;
const EMPTY_OBJECT = 4;

/**
 * Structural ids for one validation: equal JSON values get the same number (key order of objects
 * ignored, -0 equal to 0, 1 and "1" not, as with Ajv's deep equality). An array is the chain of (prefix, item) pairs from the empty array, an object the chain of (prefix, name,
 * value) over its sorted names, so an id costs one map lookup per element and no text. Arrays and
 * objects that hold others (or many values) are remembered by reference, so nested `uniqueItems`
 * never walk a subtree twice. Maps, not plain objects, hold the keys: `"__proto__"` and
 * `"constructor"` are names like any other (Ajv's own keyword misses duplicates of both).
 */
class StructuralIds {
  private numbers = new Map<number, number>();
  private strings = new Map<string, number>();
  private pairs = new Map<number | string, number>();
  private known = new WeakMap<object, number>();
  private next = EMPTY_OBJECT + 1;
  /** seenAt[id] is an item's index when seenIn[id] is the current pass. */
  private seenIn = new Int32Array(1024);
  private seenAt = new Int32Array(1024);
  private pass = 0;
  /** `enum` lists -> the ids of their values. */
  private sets = new WeakMap<unknown[], Set<number>>();

  /** True when the value equals one of the options (each option list is numbered once per validation). */
  isOneOf(value: unknown, options: unknown[]): boolean {
    let set = this.sets.get(options);
    if (!set) {
      set = new Set(options.map((option) => this.idOf(option)));
      this.sets.set(options, set);
    }
    return set.has(this.idOf(value));
  }

  /**
   * A pair [i, j] of equal items, or null; the pair Ajv's own keyword names. With `scalarTypes`
   * (the item schema allows only these scalar types) items of other types are skipped, i is the
   * last item equal to a later one and j the first such later one; otherwise j < i, i is the last
   * item equal to an earlier one and j the last such earlier one.
   */
  duplicate(items: unknown[], scalarTypes: string[] | null): [number, number] | null {
    const ids = items.map((item) => this.idOf(item));
    if (this.seenIn.length < this.next) {
      const size = Math.max(this.next, this.seenIn.length * 2);
      this.seenIn = new Int32Array(size);
      this.seenAt = new Int32Array(size);
      this.pass = 0;
    }
    const pass = ++this.pass;
    const { seenIn, seenAt } = this;
    if (scalarTypes) {
      for (let i = ids.length - 1; i >= 0; i--) {
        if (!scalarTypes.some((type) => isOfType(items[i], type))) continue;
        const id = ids[i]!;
        if (seenIn[id] === pass) return [i, seenAt[id]!];
        seenIn[id] = pass;
        seenAt[id] = i;
      }
      return null;
    }
    let found: [number, number] | null = null;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      if (seenIn[id] === pass) found = [i, seenAt[id]!];
      seenIn[id] = pass;
      seenAt[id] = i;
    }
    return found;
  }

  private idOf(value: unknown): number {
    switch (typeof value) {
      case "number":
        return this.intern(this.numbers, value); // a Map key: -0 is 0, as Ajv's equality has it
      case "string":
        return this.intern(this.strings, value);
      case "boolean":
        return value ? TRUE : FALSE;
      case "object": {
        if (value === null) return NULL;
        const known = this.known.get(value);
        if (known !== undefined) return known;
        let id: number;
        let holdsMore = false;
        if (Array.isArray(value)) {
          id = EMPTY_ARRAY;
          for (const item of value) {
            if (typeof item === "object" && item !== null) holdsMore = true;
            id = this.pair(id, this.idOf(item));
          }
          holdsMore ||= value.length > 8;
        } else {
          const record = value as Record<string, unknown>;
          const names = Object.keys(record).sort();
          id = EMPTY_OBJECT;
          for (const name of names) {
            const item = record[name];
            if (typeof item === "object" && item !== null) holdsMore = true;
            id = this.pair(this.pair(id, this.intern(this.strings, name)), this.idOf(item));
          }
          holdsMore ||= names.length > 4;
        }
        // Small flat values are cheaper to walk again than to remember.
        if (holdsMore) this.known.set(value, id);
        return id;
      }
      default:
        return this.next++; // not JSON (undefined, a function ...): equal to nothing else
    }
  }

  private pair(a: number, b: number): number {
    return this.intern(this.pairs, a < PAIR_SCALE && b < PAIR_SCALE ? a * PAIR_SCALE + b : `${a},${b}`);
  }

  private intern<K>(map: Map<K, number>, key: K): number {
    let id = map.get(key);
    if (id === undefined) {
      id = this.next++;
      map.set(key, id);
    }
    return id;
  }
}

/** The ids of the validation running now; made by the first keyword that needs them. */
let current: StructuralIds | null = null;
let active = false;

/** Runs one validation with its own numbering, dropped when it ends. */
export function withStructuralIds<T>(validate: () => T): T {
  current = null;
  active = true;
  try {
    return validate();
  } finally {
    current = null;
    active = false;
  }
}

/** Outside {@link withStructuralIds} (Ajv checking a schema against its meta-schema), each check numbers on its own. */
const ids = (): StructuralIds => (active ? (current ??= new StructuralIds()) : new StructuralIds());

/** Ajv's test of a scalar JSON type (without strictNumbers: Infinity is an integer). */
function isOfType(value: unknown, type: string): boolean {
  if (type === "null") return value === null;
  if (type === "integer") return typeof value === "number" && !(value % 1) && !Number.isNaN(value);
  return typeof value === type;
}

/** The scalar types `items` allows, when it allows only scalars (as Ajv's getSchemaTypes reads them), or null. */
function scalarItemTypes(parentSchema: Record<string, unknown>): string[] | null {
  const items = parentSchema.items;
  if (typeof items !== "object" || items === null || Array.isArray(items)) return null;
  const { type, nullable } = items as Record<string, unknown>;
  const types = (Array.isArray(type) ? type : typeof type === "string" ? [type] : []) as string[];
  if (nullable === true && !types.includes("null")) types.push("null");
  return types.length > 0 && !types.some((t) => t === "object" || t === "array") ? types : null;
}

function compileUniqueItems(schema: unknown, parentSchema: Record<string, unknown>): DataValidateFunction {
  const scalarTypes = scalarItemTypes(parentSchema);
  const check: DataValidateFunction = (data: unknown) => {
    const items = data as unknown[];
    if (schema !== true || items.length < 2) return true;
    const pair = ids().duplicate(items, scalarTypes);
    if (!pair) return true;
    const [i, j] = pair;
    check.errors = [{ keyword: "uniqueItems", params: { i, j }, message: `must NOT have duplicate items (items ## ${j} and ${i} are identical)` }];
    return false;
  };
  return check;
}

function compileEnum(schema: unknown[]): DataValidateFunction {
  if (schema.length === 0) throw new Error("enum must have non-empty array"); // as Ajv's own keyword
  const check: DataValidateFunction = (data: unknown) => {
    if (ids().isOneOf(data, schema)) return true;
    check.errors = [{ keyword: "enum", params: { allowedValues: schema }, message: "must be equal to one of the allowed values" }];
    return false;
  };
  return check;
}

/** Replaces Ajv's `uniqueItems` and `enum` with the ones above (same errors, same messages). */
export function useStructuralIds(ajv: Ajv): void {
  ajv.removeKeyword("uniqueItems");
  ajv.addKeyword({ keyword: "uniqueItems", type: "array", schemaType: "boolean", errors: true, compile: compileUniqueItems });
  ajv.removeKeyword("enum");
  ajv.addKeyword({ keyword: "enum", schemaType: "array", errors: true, compile: compileEnum });
}
