// scanpy's highly_variable_genes(batch_key=...) from per-batch gene moments, following
// scanpy/preprocessing/_highly_variable_genes.py:
// - seurat (_highly_variable_genes_batched): each batch alone, on the genes expressed in that batch
//   (filter_genes(min_cells=1) inside the batch: the bins and the n_top_genes cut-off see only
//   those); a gene not expressed in a batch gets 0 for means, dispersions and dispersions_norm there.
//   The batches' rows are then averaged per gene (pandas' mean: NaN skipped, the zeros counted),
//   highly_variable_nbatches counts the batches that chose the gene, and the genes are ranked by
//   nbatches, then by the mean dispersions_norm (descending, NaN last; ties in gene-name order, the
//   order groupby leaves them in); the first n_top_genes are highly variable.
// - seurat_v3 (_highly_variable_genes_seurat_v3 with a batch_key): the standardised variance per
//   batch (its own loess fit and clip), a rank per batch (0 = most variable), ranks at or past
//   n_top_genes masked; highly_variable_rank is the median of the ranks left, nbatches how many
//   batches ranked the gene within n_top_genes; genes sorted by rank (ascending, NaN last), then
//   nbatches (descending), ties in var order; variances_norm is the batches' mean.
// Genes outside `keepGenes` (filter_genes(min_cells) before HVG in scanpy) take part in nothing.
import type { GeneMoments } from './expression.ts';
import { hvgSeurat, hvgSeuratV3, type HvgResult } from './hvg.ts';

export interface HvgBatchInfo {
  /** The obs column the batches come from (scanpy's batch_key). */
  key: string;
  /** Batches with cells, in category order. */
  batches: string[];
  /** highly_variable_nbatches per gene. */
  nbatches: Int32Array;
  /** highly_variable_intersection per gene (seurat only; scanpy writes it for that flavour). */
  intersection: Uint8Array | null;
  /** highly_variable_rank per gene (seurat_v3 only; NaN past n_top_genes in every batch). */
  rank: Float64Array | null;
}

export type BatchedHvgResult = HvgResult & { batch: HvgBatchInfo };

function pick(m: GeneMoments, genes: number[]): GeneMoments {
  return { n: m.n, mean: Float64Array.from(genes, (g) => m.mean[g]), variance: Float64Array.from(genes, (g) => m.variance[g]) };
}

/** Code-point order, as numpy and pandas sort strings. */
function byName(names: string[]): (a: number, b: number) => number {
  return (a, b) => (names[a] < names[b] ? -1 : names[a] > names[b] ? 1 : 0);
}

function selected(hv: Uint8Array): Int32Array {
  const out: number[] = [];
  hv.forEach((v, g) => v && out.push(g));
  return Int32Array.from(out);
}

/**
 * flavor 'seurat' with a batch_key. `batches[b]`: moments of normalised counts (expm1 of the log
 * data) over batch b's cells, every gene of the matrix; `geneNames` breaks exact ties as scanpy's
 * groupby-then-sort does.
 */
export function hvgSeuratBatched(batches: GeneMoments[], keepGenes: Uint8Array, nTopGenes: number, geneNames: string[], key: string, batchNames: string[]): BatchedHvgResult {
  const p = keepGenes.length;
  const B = batches.length;
  const sumMeans = new Float64Array(p);
  const sumDisp = new Float64Array(p);
  const nDisp = new Float64Array(p);
  const sumNorm = new Float64Array(p);
  const nNorm = new Float64Array(p);
  const nbatches = new Int32Array(p);
  for (const m of batches) {
    // Expressed in this batch: a cell with a value above 0 (the values are non-negative).
    const genes: number[] = [];
    for (let g = 0; g < p; g++) if (keepGenes[g] && m.mean[g] > 0) genes.push(g);
    const r = hvgSeurat(pick(m, genes), nTopGenes);
    genes.forEach((g, j) => {
      sumMeans[g] += r.means[j];
      if (!Number.isNaN(r.dispersions[j])) {
        sumDisp[g] += r.dispersions[j];
        nDisp[g]++;
      }
      if (!Number.isNaN(r.dispersionsNorm[j])) {
        sumNorm[g] += r.dispersionsNorm[j];
        nNorm[g]++;
      }
      nbatches[g] += r.highlyVariable[j];
    });
    // Not expressed here: scanpy's zero row, which counts in the means.
    for (let g = 0; g < p; g++) {
      if (keepGenes[g] && !(m.mean[g] > 0)) {
        nDisp[g]++;
        nNorm[g]++;
      }
    }
  }
  const means = new Float64Array(p);
  const dispersions = new Float64Array(p).fill(NaN);
  const dispersionsNorm = new Float64Array(p).fill(NaN);
  const kept: number[] = [];
  for (let g = 0; g < p; g++) {
    if (!keepGenes[g]) continue;
    kept.push(g);
    means[g] = sumMeans[g] / B;
    if (nDisp[g] > 0) dispersions[g] = sumDisp[g] / nDisp[g];
    if (nNorm[g] > 0) dispersionsNorm[g] = sumNorm[g] / nNorm[g];
  }
  const names = byName(geneNames);
  kept.sort((a, b) => {
    if (nbatches[a] !== nbatches[b]) return nbatches[b] - nbatches[a];
    const da = dispersionsNorm[a];
    const db = dispersionsNorm[b];
    const na = Number.isNaN(da);
    const nb = Number.isNaN(db);
    if (na !== nb) return na ? 1 : -1;
    if (!na && da !== db) return db - da;
    return names(a, b);
  });
  const highlyVariable = new Uint8Array(p);
  for (let i = 0; i < Math.min(nTopGenes, kept.length); i++) highlyVariable[kept[i]] = 1;
  const intersection = Uint8Array.from(nbatches, (n, g) => (keepGenes[g] && n === B ? 1 : 0));
  return {
    flavor: 'seurat',
    means,
    dispersions,
    dispersionsNorm,
    highlyVariable,
    genes: selected(highlyVariable),
    batch: { key, batches: batchNames, nbatches, intersection, rank: null },
  };
}

export interface V3Batch {
  /** Count moments over the batch's cells (excluded genes zeroed). */
  moments: GeneMoments;
  regStd: Float64Array;
  clippedSum: Float64Array;
  clippedSumSq: Float64Array;
}

/** flavor 'seurat_v3' with a batch_key; `all`: the count moments over every kept cell (scanpy's means and variances). */
export function hvgSeuratV3Batched(all: GeneMoments, batches: V3Batch[], keepGenes: Uint8Array, nTopGenes: number, key: string, batchNames: string[]): BatchedHvgResult {
  const p = keepGenes.length;
  const kept: number[] = [];
  for (let g = 0; g < p; g++) if (keepGenes[g]) kept.push(g);
  const sumNormVar = new Float64Array(p);
  const nbatches = new Int32Array(p);
  const perGene: number[][] = kept.map(() => []);
  for (const b of batches) {
    const normVar = hvgSeuratV3(b.moments, b.regStd, b.clippedSum, b.clippedSumSq, nTopGenes).dispersionsNorm;
    // argsort(argsort(-v)): rank 0 is the most variable gene of this batch (ties in var order).
    const order = kept.map((_, i) => i).sort((i, j) => normVar[kept[j]] - normVar[kept[i]] || i - j);
    order.forEach((i, rank) => {
      const g = kept[i];
      sumNormVar[g] += normVar[g];
      if (rank < nTopGenes) {
        nbatches[g]++;
        perGene[i].push(rank);
      }
    });
  }
  const rank = new Float64Array(p).fill(NaN);
  const dispersionsNorm = new Float64Array(p);
  kept.forEach((g, i) => {
    dispersionsNorm[g] = sumNormVar[g] / batches.length;
    const r = perGene[i].sort((a, b) => a - b);
    if (r.length === 0) return;
    const h = r.length >> 1;
    rank[g] = r.length % 2 ? r[h] : (r[h - 1] + r[h]) / 2;
  });
  const order = kept.slice().sort((a, b) => {
    const na = Number.isNaN(rank[a]);
    const nb = Number.isNaN(rank[b]);
    if (na !== nb) return na ? 1 : -1;
    if (!na && rank[a] !== rank[b]) return rank[a] - rank[b];
    if (nbatches[a] !== nbatches[b]) return nbatches[b] - nbatches[a];
    return a - b;
  });
  const highlyVariable = new Uint8Array(p);
  for (let i = 0; i < Math.min(nTopGenes, order.length); i++) highlyVariable[order[i]] = 1;
  return {
    flavor: 'seurat_v3',
    means: all.mean,
    dispersions: all.variance,
    dispersionsNorm,
    highlyVariable,
    genes: selected(highlyVariable),
    batch: { key, batches: batchNames, nbatches, intersection: null, rank },
  };
}
