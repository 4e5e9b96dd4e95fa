// sc.pl.violin's stripplot: every cell as a point over its violin, spread sideways by a random
// jitter. The jitter here is deterministic (a seeded mulberry32 stream), so a plot, its screenshot
// and its export look the same each time they are drawn.

/** mulberry32: a small, fast 32-bit generator; uniform floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `n` horizontal offsets, uniform in [-1, 1), the same for the same seed. */
export function jitterOffsets(n: number, seed: number): Float64Array {
  const next = mulberry32(seed);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = next() * 2 - 1;
  return out;
}

/**
 * Up to `max` of `n` indices, spread evenly (every k-th), in order: the points drawn for a large
 * group; all of them when n <= max.
 */
export function evenSample(n: number, max: number): Int32Array {
  if (n <= max) return Int32Array.from({ length: n }, (_, i) => i);
  return Int32Array.from({ length: max }, (_, k) => Math.floor((k * n) / max));
}
