import { describe, expect, it } from "vitest";
import { BoundedCache } from "./bounded-cache";

describe("BoundedCache", () => {
  it("keeps at most maxEntries, dropping the one stored longest ago", () => {
    const cache = new BoundedCache<string, number>(3);
    for (const [i, k] of ["a", "b", "c", "d"].entries()) cache.set(k, i);
    expect(cache.size).toBe(3);
    expect(cache.get("a")).toBeUndefined();
    expect([cache.get("b"), cache.get("c"), cache.get("d")]).toEqual([1, 2, 3]);
    // Storing a key again makes it the newest: "b" outlives "c" now.
    cache.set("b", 10);
    cache.set("e", 4);
    expect(cache.get("c")).toBeUndefined();
    expect(cache.get("b")).toBe(10);
  });

  it("makes a value once per key while it is kept, and again after it was dropped", () => {
    const cache = new BoundedCache<string, string>(2);
    let made = 0;
    const make = (k: string) => () => `${k}:${++made}`;
    expect(cache.getOrMake("x", make("x"))).toBe("x:1");
    expect(cache.getOrMake("x", make("x"))).toBe("x:1");
    cache.getOrMake("y", make("y"));
    cache.getOrMake("z", make("z"));
    expect(cache.getOrMake("x", make("x"))).toBe("x:4");
    expect(made).toBe(4);
  });

  it("shares one pending promise between callers, and forgets one that rejects", async () => {
    const cache = new BoundedCache<string, Promise<string>>(10);
    let calls = 0;
    const failing = () => {
      calls += 1;
      return Promise.reject(new Error("upstream down"));
    };
    const first = cache.getOrMake("k", failing);
    expect(cache.getOrMake("k", failing)).toBe(first);
    await expect(first).rejects.toThrow("upstream down");
    expect(cache.get("k")).toBeUndefined();
    await expect(cache.getOrMake("k", async () => "ok")).resolves.toBe("ok");
    expect(calls).toBe(1);
  });

  it("forgets a deleted key, so the next lookup makes it again", () => {
    const cache = new BoundedCache<string, number>(4);
    let made = 0;
    cache.getOrMake("a", () => ++made);
    cache.delete("a");
    expect(cache.get("a")).toBeUndefined();
    expect(cache.getOrMake("a", () => ++made)).toBe(2);
    expect(cache.size).toBe(1);
  });

  it("refuses a size that is not a whole number of at least one", () => {
    for (const n of [0, -1, 1.5, Number.NaN]) expect(() => new BoundedCache(n)).toThrow(RangeError);
  });
});
