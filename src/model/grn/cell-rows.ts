// The expression rows the attention GRN reads: the chosen cells of one matrix, log-normalised as
// scGPT's tutorial does (normalize_total to 1e4 over all genes, then log1p) when the matrix holds
// counts, as stored when it already holds log-normalised values. Rows are read a window at a time
// (constant memory), in dataset order.
import { CancelledError, DatasetError } from '../../io/errors.ts';
import type { Dataset } from '../../io/types.ts';
import { DEFAULT_TARGET_SUM } from '../../io/expression-input.ts';
import { computedFloat32 } from '../../io/matrix-values.ts';

export interface GrnInput {
  key: string;
  /** normalize_total + log1p is applied (counts); false: the values are log-normalised already. */
  normalise: boolean;
  note: string;
}

/**
 * `countsKey` (a matrix the user names) is taken as counts and normalised whatever its values
 * (jittered or scaled-down counts are not integers); by default the file's counts matrix, else
 * a non-negative matrix taken as log-normalised values.
 */
export function grnInput(ds: Pick<Dataset, 'fileName' | 'countsKey' | 'countsReason' | 'matrices'>, countsKey?: string): GrnInput {
  const byKey = (k: string) => ds.matrices.find((m) => m.key === k);
  if (countsKey) {
    const m = byKey(countsKey);
    if (!m) throw new DatasetError('unknown-key', ds.fileName, `no matrix "${countsKey}" (have: ${ds.matrices.map((x) => x.key).join(', ')})`);
    if (m.content === 'signed') throw new DatasetError('bad-counts', ds.fileName, `${countsKey} holds negative values (scaled data?); the attention GRN needs counts: name layers/counts, raw/X or X if one holds them`);
    return { key: countsKey, normalise: true, note: `${countsKey} taken as counts: normalize_total 1e4 + log1p` };
  }
  if (ds.countsKey) return { key: ds.countsKey, normalise: true, note: `${ds.countsKey} (counts): normalize_total 1e4 + log1p` };
  for (const key of ['raw/X', 'X']) {
    if (byKey(key)?.content === 'non-negative') return { key, normalise: false, note: `${key} taken as log-normalised values (the file has no integer counts; name the counts matrix if it holds them)` };
  }
  throw new DatasetError('missing-matrix', ds.fileName, `the attention GRN needs counts or log-normalised expression, and none was found (${ds.countsReason})`);
}

/** Sorted, distinct, in-range cell indices; names the offending value otherwise. */
export function checkCells(ds: Pick<Dataset, 'fileName' | 'nObs'>, cells: Int32Array, what: string): void {
  for (let i = 0; i < cells.length; i++) {
    const c = cells[i];
    if (!Number.isInteger(c) || c < 0 || c >= ds.nObs) throw new DatasetError('shape-mismatch', ds.fileName, `${what}: cell ${c} is outside the file's ${ds.nObs} cells`);
  }
}

const WINDOW = 1024;

/**
 * Calls `fn` for each cell of `cells` (ascending, distinct) with its log-normalised row; `data`
 * is a fresh copy the callee may keep. Yields to the event loop between windows.
 */
export async function forEachCellRow(
  ds: Dataset,
  input: GrnInput,
  cells: Int32Array,
  fn: (cell: number, indices: Uint32Array, data: Float32Array) => void | Promise<void>,
  signal?: AbortSignal,
): Promise<void> {
  let i = 0;
  while (i < cells.length) {
    if (signal?.aborted) throw new CancelledError(ds.fileName);
    const start = cells[i];
    let j = i + 1;
    while (j < cells.length && cells[j] < start + WINDOW) j++;
    const chunk = ds.readRows(input.key, start, cells[j - 1] + 1);
    for (; i < j; i++) {
      const r = cells[i] - start;
      const [lo, hi] = [chunk.indptr[r], chunk.indptr[r + 1]];
      // Normalised from the stored values (float64 where float32 would change them), then float32.
      const data = chunk.data.slice(lo, hi);
      if (input.normalise) logNormaliseRow(data);
      await fn(cells[i], chunk.indices.subarray(lo, hi), computedFloat32(data));
    }
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
}

/** normalize_total(target 1e4) then log1p of one cell's stored values, in place. */
export function logNormaliseRow(data: Float32Array | Float64Array): void {
  let total = 0;
  for (const v of data) total += v;
  // scanpy leaves a cell with no counts as it is (it divides by 1).
  const f = total > 0 ? DEFAULT_TARGET_SUM / total : 1;
  for (let k = 0; k < data.length; k++) data[k] = Math.log1p(data[k] * f);
}

/** Ascending distinct union of the two groups' cells. */
export function unionCells(a: Int32Array, b: Int32Array): Int32Array {
  return Int32Array.from(new Set([...a, ...b])).sort();
}
