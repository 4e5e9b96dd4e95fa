// UMAP's counter-based random numbers (negative samples, the starts' noise), one module so that
// umap.ts and umap-spectral.ts share them without importing each other.

/** Counter-based hash -> uniform in [0, 1); the WGSL kernel has the same function. */
export function hashUniform(seed: number, epoch: number, edge: number, sample: number): number {
  return hashU32(seed, epoch, edge, sample) / 4294967296;
}

export function hashU32(seed: number, epoch: number, edge: number, sample: number): number {
  let h = (seed ^ Math.imul(epoch + 1, 0x9e3779b1)) >>> 0;
  h = Math.imul(h ^ (edge >>> 0), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13) ^ Math.imul(sample + 1, 0xc2b2ae35), 0x27d4eb2f) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x165667b1) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}
