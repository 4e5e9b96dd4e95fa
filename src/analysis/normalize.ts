// scanpy's normalize_total (each cell scaled to `targetSum` counts) followed by log1p, applied to
// one CSR block of rows in place. `totals` are the cells' counts over all genes (scanpy normalises
// before any gene subset), so a block restricted to some genes is still normalised correctly.
import { DEFAULT_TARGET_SUM } from '../io/expression-input.ts';

export { DEFAULT_TARGET_SUM };

export function normalizeLog1pRows(indptr: ArrayLike<number>, data: Float32Array | Float64Array, totals: ArrayLike<number>, rowOffset = 0, targetSum = DEFAULT_TARGET_SUM): void {
  const nRows = indptr.length - 1;
  for (let r = 0; r < nRows; r++) {
    const total = totals[rowOffset + r];
    // scanpy leaves cells with no counts untouched (it divides by 1); they stay all zero.
    const f = total > 0 ? targetSum / total : 1;
    for (let k = indptr[r]; k < indptr[r + 1]; k++) data[k] = Math.log1p(data[k] * f);
  }
}
