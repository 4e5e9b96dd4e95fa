// The pipeline's highly-variable-genes step over a dataset: streamed moments of the kept cells,
// genes outside `keepGenes` excluded (their moments zeroed, so they are never chosen), then
// scanpy's seurat or seurat_v3 flavour; with a batch, per batch and merged as scanpy's batch_key
// (hvg-batch.ts), the moments of every batch from one pass. Shared by the cell pipeline and the
// gene programs.
import type { Dataset } from '../io/types.ts';
import type { CellPassOptions } from './cell-pass.ts';
import { geneMoments, geneSums, groupMomentsAt, groupSums } from './expression.ts';
import { hvgSeurat, hvgSeuratV3, seuratV3Clip, seuratV3RegStd, type HvgFlavor, type HvgResult } from './hvg.ts';
import { hvgSeuratBatched, hvgSeuratV3Batched, type V3Batch } from './hvg-batch.ts';

/** A batch per cell: category codes (-1: none) of an obs column, as scanpy's batch_key. */
export interface HvgBatch {
  key: string;
  codes: ArrayLike<number>;
  categories: string[];
}

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
  /** HVGs per batch, merged as scanpy's highly_variable_genes(batch_key=...). */
  batch?: HvgBatch | null;
}

export async function datasetHvg(x: DatasetHvgInput, h: { flavor: HvgFlavor; nTopGenes: number }, pass: CellPassOptions = {}): Promise<HvgResult> {
  const { ds, key, keep, keepGenes, totals, fromLog } = x;
  let res: HvgResult;
  if (x.batch) {
    res = await batchedHvg(x, x.batch, h, pass);
  } else if (h.flavor === 'seurat') {
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

/** The batches with kept cells, in category order, and each kept cell's batch among them. */
function batchGroups(b: HvgBatch, keep: Uint8Array | null, n: number): { groups: Int32Array; names: string[] } {
  const count = new Float64Array(b.categories.length);
  for (let i = 0; i < n; i++) if ((!keep || keep[i]) && b.codes[i] >= 0) count[b.codes[i]]++;
  const remap = new Int32Array(b.categories.length).fill(-1);
  const names: string[] = [];
  count.forEach((c, k) => {
    if (c > 0) {
      remap[k] = names.length;
      names.push(b.categories[k]);
    }
  });
  const groups = Int32Array.from({ length: n }, (_, i) => ((!keep || keep[i]) && b.codes[i] >= 0 ? remap[b.codes[i]] : -1));
  return { groups, names };
}

async function batchedHvg(x: DatasetHvgInput, b: HvgBatch, h: { flavor: HvgFlavor; nTopGenes: number }, pass: CellPassOptions): Promise<HvgResult> {
  const { ds, key, keep, keepGenes, totals, fromLog } = x;
  const { groups, names } = batchGroups(b, keep, ds.nObs);
  const nGroups = names.length;
  const geneNames = ds.varNamesOf(key);
  if (h.flavor === 'seurat') {
    const s = await groupSums(ds, key, { kind: 'group-moments', keep, groups, nGroups, normalizedBy: fromLog ? null : totals, fromLog, clip: null }, pass);
    return hvgSeuratBatched(names.map((_, g) => groupMomentsAt(s, g)), keepGenes, h.nTopGenes, geneNames, b.key, names);
  }
  const all = await geneMoments(ds, key, keep, null, pass);
  zeroExcluded(all, keepGenes);
  const s = await groupSums(ds, key, { kind: 'group-moments', keep, groups, nGroups, normalizedBy: null, fromLog: false, clip: null }, pass);
  const p = keepGenes.length;
  const batches = names.map((_, g) => {
    const moments = groupMomentsAt(s, g);
    zeroExcluded(moments, keepGenes);
    const regStd = seuratV3RegStd(moments);
    return { moments, regStd, clip: seuratV3Clip(moments, regStd) };
  });
  const clip = new Float64Array(nGroups * p);
  batches.forEach((t, g) => clip.set(t.clip, g * p));
  const c = await groupSums(ds, key, { kind: 'group-moments', keep, groups, nGroups, normalizedBy: null, fromLog: false, clip }, pass);
  const v3: V3Batch[] = batches.map((t, g) => {
    const clippedSum = c.sum.slice(g * p, (g + 1) * p);
    const clippedSumSq = c.sumSq.slice(g * p, (g + 1) * p);
    zeroExcluded({ mean: clippedSum, variance: clippedSumSq }, keepGenes);
    return { moments: t.moments, regStd: t.regStd, clippedSum, clippedSumSq };
  });
  return hvgSeuratV3Batched(all, v3, keepGenes, h.nTopGenes, b.key, names);
}

function zeroExcluded(m: { mean: Float64Array; variance: Float64Array }, keepGenes: Uint8Array): void {
  for (let g = 0; g < keepGenes.length; g++) {
    if (!keepGenes[g]) {
      m.mean[g] = 0;
      m.variance[g] = 0;
    }
  }
}
