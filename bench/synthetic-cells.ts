// Synthetic cells in memory for the benches: labelled sparse log-expression for the
// logistic-regression benches (annotate.ts, logreg-gpu.ts), K classes each with its own genes up;
// unlabelled sparse log-expression for the pool benches (pool-small.ts, pool-steps.ts). Seeded.
import type { CsrArrays } from '../src/io/csr.ts';
import { mulberry32 } from '../src/model/random.ts';

/** Sparse log-expression of n cells over p genes, K classes each with its own up genes; seeded. */
export function syntheticCells(n: number, p: number, K: number, seed: number): { x: CsrArrays; y: Int32Array } {
  const prof = mulberry32(99);
  const rate = Float64Array.from({ length: K * p }, () => (prof() < 0.05 ? 0.3 + 0.5 * prof() : 0.15 * prof()));
  const rand = mulberry32(seed);
  const indptr = new Float64Array(n + 1);
  let indices: Uint32Array = new Uint32Array(n * 64);
  let data: Float32Array = new Float32Array(n * 64);
  const y = new Int32Array(n);
  let at = 0;
  for (let i = 0; i < n; i++) {
    y[i] = Math.floor(rand() * K);
    for (let j = 0; j < p; j++) {
      const lam = 0.02 + rate[y[i] * p + j];
      if (rand() >= lam) continue;
      if (at === indices.length) {
        indices = growU32(indices);
        data = growF32(data);
      }
      indices[at] = j;
      data[at++] = Math.fround(Math.log1p(1 + Math.floor(rand() * 6 * lam)));
    }
    indptr[i + 1] = at;
  }
  return { x: { nRows: n, nCols: p, indptr, indices: indices.slice(0, at), data: data.slice(0, at) }, y };
}
function growU32(a: Uint32Array): Uint32Array {
  const b = new Uint32Array(a.length * 2);
  b.set(a);
  return b;
}
function growF32(a: Float32Array): Float32Array {
  const b = new Float32Array(a.length * 2);
  b.set(a);
  return b;
}

/** n x p sparse log-expression, each value present with `density` (4x for the first tenth of the genes), from `rng`. */
export function randomLogCsr(n: number, p: number, density: number, rng: () => number): CsrArrays {
  const indptr = new Float64Array(n + 1);
  const idx: number[] = [];
  const val: number[] = [];
  for (let r = 0; r < n; r++) {
    for (let j = 0; j < p; j++) {
      if (rng() >= density * (j < p / 10 ? 4 : 1)) continue;
      idx.push(j);
      val.push(Math.fround(Math.log1p(1 + 4 * rng())));
    }
    indptr[r + 1] = idx.length;
  }
  return { nRows: n, nCols: p, indptr, indices: Uint32Array.from(idx), data: Float32Array.from(val) };
}
