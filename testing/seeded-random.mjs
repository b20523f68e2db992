/**
 * mulberry32: a small, fast, deterministic PRNG, so generated corpora and randomized test cases
 * are the same on every run. Pure (no I/O), for tests, benchmarks (bench/soak) and corpus generators;
 * plain JavaScript so the .mjs benchmarks import it as the TypeScript tests do (types: .d.mts).
 */
export function seededRandom(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
