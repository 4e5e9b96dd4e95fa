// scGPT's input for one cell, as embed_data builds it: the expressed in-vocab genes in var order,
// binned over all of them, `<cls>` first with value pad_value; more than max_length - 1 genes are
// cut to a seeded random subset (scGPT draws it with randperm; attention has no positions, so the
// subset is kept in var order here). Bins are drawn before the subset, as in scGPT's collator.
import { binValues } from './binning.ts';
import type { Uniform } from './random.ts';

export interface TokenizeOptions {
  maxLength: number;
  clsId: number;
  padValue: number;
  nBins?: number;
}

export interface CellTokens {
  ids: Int32Array;
  values: Float32Array;
  /** Expressed in-vocab genes before any subset. */
  nExpressed: number;
}

/** One cell's CSR row (`indices`, `data` for that row only). Returns null when nothing is expressed. */
export function tokenizeCell(indices: Uint32Array, data: ArrayLike<number>, geneIds: Int32Array, uniform: Uniform, opts: TokenizeOptions): CellTokens | null {
  const cols: number[] = [];
  for (let k = 0; k < indices.length; k++) if (data[k] !== 0 && geneIds[indices[k]] >= 0) cols.push(k);
  if (cols.length === 0) return null;
  cols.sort((a, b) => indices[a] - indices[b]); // var order, whatever the file's index order
  const raw = Float32Array.from(cols, (k) => data[k]);
  const bins = binValues(raw, uniform, opts.nBins ?? 51);
  let keep = cols.map((_, i) => i);
  if (cols.length > opts.maxLength - 1) keep = sampleSorted(cols.length, opts.maxLength - 1, uniform);
  const ids = new Int32Array(keep.length + 1);
  const values = new Float32Array(keep.length + 1);
  ids[0] = opts.clsId;
  values[0] = opts.padValue;
  keep.forEach((i, j) => {
    ids[j + 1] = geneIds[indices[cols[i]]];
    values[j + 1] = bins[i];
  });
  return { ids, values, nExpressed: cols.length };
}

/** k distinct indices of 0..n-1, uniformly (partial Fisher-Yates), returned sorted. */
export function sampleSorted(n: number, k: number, uniform: Uniform): number[] {
  const pool = Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < k; i++) {
    const j = i + Math.floor(uniform() * (n - i));
    [pool[i], pool[j]] = [pool[j], pool[i]];
  }
  return pool.slice(0, k).sort((a, b) => a - b);
}
