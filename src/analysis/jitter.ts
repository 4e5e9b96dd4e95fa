// sc.pl.violin's stripplot: every cell as a point over its violin, spread sideways by a random
// jitter. The jitter here is deterministic (a seeded mulberry32 stream), so a plot, its screenshot
// and its export look the same each time they are drawn.
import { mulberry32 } from '../model/random.ts';

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
