// Seeded uniform numbers for binning ties and gene subsets. Each cell gets its own stream derived
// from (seed, cell index), so results do not depend on batch size, order or chunking.

export type Uniform = () => number;

/** SplitMix32-style mixing of the seed and the cell index into a stream seed. */
function mix(seed: number, index: number): number {
  let z = (seed ^ Math.imul(index + 0x9e3779b9, 0x85ebca6b)) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x7feb352d) >>> 0;
  z = Math.imul(z ^ (z >>> 15), 0x846ca68b) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}

/** mulberry32: a small, fast, seeded generator of uniforms in [0, 1). */
export function mulberry32(seed: number): Uniform {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The uniform stream of one cell: mulberry32 over the mixed (seed, cell index). */
export function cellUniform(seed: number, cellIndex: number): Uniform {
  return mulberry32(mix(seed >>> 0, cellIndex));
}
