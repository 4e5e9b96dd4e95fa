// The pipeline's highly-variable-genes step over a dataset: streamed moments of the kept cells,
// genes outside `keepGenes` excluded (their moments zeroed, so they are never chosen), then
// scanpy's seurat or seurat_v3 flavour. Shared by the cell pipeline and the gene programs.
import type { Dataset } from '../io/types.ts';
import type { CellPassOptions } from './cell-pass.ts';
import { geneMoments, geneSums } from './expression.ts';
import { hvgSeurat, hvgSeuratV3, seuratV3Clip, seuratV3RegStd, type HvgFlavor, type HvgResult } from './hvg.ts';

export interface DatasetHvgInput {
  ds: Dataset;
  key: string;
  /** Cells to use; null for all. */
  keep: Uint8Array | null;
  /** Genes that may be chosen (1) or not (0), per var position of the matrix. */
  keepGenes: Uint8Array;
  /** Per-cell counts totals for normalize_total; ignored when `fromLog`. */
  totals: Float64Array | null;
  /** The matrix holds log-normalised values (seurat flavour only). */
  fromLog: boolean;
}

export async function datasetHvg(x: DatasetHvgInput, h: { flavor: HvgFlavor; nTopGenes: number }, pass: CellPassOptions = {}): Promise<HvgResult> {
  const { ds, key, keep, keepGenes, totals, fromLog } = x;
  let res: HvgResult;
  if (h.flavor === 'seurat') {
    const m = await geneMoments(ds, key, keep, fromLog ? null : totals, { ...pass, fromLog });
    zeroExcluded(m, keepGenes);
    res = hvgSeurat(m, h.nTopGenes);
  } else {
    const m = await geneMoments(ds, key, keep, null, pass);
    zeroExcluded(m, keepGenes);
    const reg = seuratV3RegStd(m);
    const clip = seuratV3Clip(m, reg);
    const { sum: s1, sumSq: s2 } = await geneSums(ds, key, { kind: 'clipped-moments', keep, clip }, pass);
    // Excluded genes get no variance at all, so they never take one of the nTopGenes places.
    zeroExcluded({ mean: s1, variance: s2 }, keepGenes);
    res = hvgSeuratV3(m, reg, s1, s2, h.nTopGenes);
  }
  // Genes filtered out never count as highly variable.
  res.highlyVariable = res.highlyVariable.map((v, g) => v & keepGenes[g]);
  res.genes = res.genes.filter((g) => keepGenes[g]);
  return res;
}

function zeroExcluded(m: { mean: Float64Array; variance: Float64Array }, keepGenes: Uint8Array): void {
  for (let g = 0; g < keepGenes.length; g++) {
    if (!keepGenes[g]) {
      m.mean[g] = 0;
      m.variance[g] = 0;
    }
  }
}
