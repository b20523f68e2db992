/**
 * A per-isolate cache with a fixed number of entries: when full, the entry stored longest ago is
 * dropped (insertion order, which a `Map` keeps). For work a Worker would otherwise repeat on every
 * request with the same input (hashing a token, opening a sealed credential); the input is the key,
 * so a changed input (a rotated credential) is a miss, never a stale hit.
 */
export class BoundedCache<K, V> {
  private readonly entries = new Map<K, V>();

  constructor(readonly maxEntries: number) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new RangeError(`BoundedCache: maxEntries must be a whole number ≥ 1, not ${maxEntries}`);
  }

  get size(): number {
    return this.entries.size;
  }

  get(key: K): V | undefined {
    return this.entries.get(key);
  }

  set(key: K, value: V): void {
    this.entries.delete(key);
    this.entries.set(key, value);
    if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value as K);
  }

  delete(key: K): void {
    this.entries.delete(key);
  }

  /**
   * The value stored for `key`, else `make()`'s, stored. A promise is stored as it is, so requests
   * that arrive together share one computation; one that rejects is dropped again, so the next
   * request tries afresh instead of getting the same failure.
   */
  getOrMake(key: K, make: () => V): V {
    if (this.entries.has(key)) return this.entries.get(key) as V;
    const value = make();
    this.set(key, value);
    if (value instanceof Promise) {
      value.catch(() => {
        if (this.entries.get(key) === value) this.entries.delete(key);
      });
    }
    return value;
  }
}
