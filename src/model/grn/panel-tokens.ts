// One cell's tokens for the attention GRN, as scGPT's tokenize_batch(include_zero_gene=True,
// append_cls=True) makes them after the Preprocessor's binning: `<cls>` first with value 0, then
// every panel gene in panel order, zeros included (bin 0). No padding: every cell has M = panel + 1.
import { binValues } from '../binning.ts';
import type { Uniform } from '../random.ts';
import type { PanelGenes } from './panel.ts';

/** var column -> panel position (-1 when the gene is not in the panel). */
export function panelPositions(panel: PanelGenes, nVars: number): Int32Array {
  const pos = new Int32Array(nVars).fill(-1);
  panel.columns.forEach((c, i) => (pos[c] = i));
  return pos;
}

/**
 * Writes the cell's ids and values (length M) into `ids` / `values` at `at`. Non-zero panel
 * values are binned in panel order, one uniform draw each (scGPT's binning), 51 bins.
 */
export function panelTokens(indices: Uint32Array, data: Float32Array, panel: PanelGenes, positions: Int32Array, clsId: number, uniform: Uniform, ids: Int32Array, values: Float32Array, at = 0): void {
  const m = panel.tokenIds.length + 1;
  const row = new Float32Array(m - 1);
  for (let k = 0; k < indices.length; k++) {
    const p = positions[indices[k]];
    if (p >= 0) row[p] = data[k];
  }
  const nonzero: number[] = [];
  row.forEach((v, p) => {
    if (v !== 0) nonzero.push(p);
  });
  const bins = binValues(Float32Array.from(nonzero, (p) => row[p]), uniform);
  ids[at] = clsId;
  values[at] = 0;
  ids.set(panel.tokenIds, at + 1);
  values.fill(0, at + 1, at + m);
  nonzero.forEach((p, i) => (values[at + 1 + p] = bins[i]));
}
