/**
 * @module templates/bounded-cache
 * A small least-recently-used map. Template strings come from saved
 * endpoints and workflows, but a hostile admin or a bug could feed endless
 * distinct ones; the cap keeps memory flat.
 */

/** A Map that forgets its least recently used entry beyond `limit` entries. */
export class BoundedCache<K, V> {
  private readonly map = new Map<K, V>();

  /** @param limit - most entries kept. */
  constructor(private readonly limit: number) {}

  /** The cached value, refreshed as most recently used. */
  get(key: K): V | undefined {
    const value = this.map.get(key);
    if (value !== undefined) {
      this.map.delete(key); // re-insert: Map iteration order is insertion order
      this.map.set(key, value);
    }
    return value;
  }

  /** Stores a value, evicting the oldest entry when full. */
  set(key: K, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
    if (this.map.size > this.limit) this.map.delete(this.map.keys().next().value as K);
  }

  /** Number of entries. */
  get size(): number {
    return this.map.size;
  }
}
