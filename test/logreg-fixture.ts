// Synthetic cells for the logistic-regression tests and the pool test.
import { mulberry32 } from '../src/model/random.ts';

/** Log-expression-like sparse cells of K classes, each with its own genes up; a training and a test draw. */
export function synthetic(n: number, p: number, K: number) {
  const prof = mulberry32(99);
  const rate = Float64Array.from({ length: K * p }, () => (prof() < 0.08 ? 0.6 + 0.6 * prof() : 0.3 * prof()));
  const draw = (m: number, seed: number) => {
    const rand = mulberry32(seed);
    const indptr = new Float64Array(m + 1);
    const idx: number[] = [];
    const val: number[] = [];
    const y = new Int32Array(m);
    for (let i = 0; i < m; i++) {
      y[i] = Math.floor(rand() * K);
      for (let j = 0; j < p; j++) {
        const lam = 0.1 + rate[y[i] * p + j];
        if (rand() < 1 - Math.exp(-lam)) {
          idx.push(j);
          val.push(Math.fround(Math.log1p(1 + Math.floor(rand() * 4 * lam))));
        }
      }
      indptr[i + 1] = idx.length;
    }
    return { x: { nRows: m, nCols: p, indptr, indices: Uint32Array.from(idx), data: Float32Array.from(val) }, y };
  };
  const a = draw(n, 1);
  const b = draw(Math.max(500, n >> 2), 2);
  return { x: a.x, y: a.y, xTest: b.x, yTest: b.y };
}
