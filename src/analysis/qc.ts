// scanpy's calculate_qc_metrics per cell, streamed over the counts matrix: total_counts,
// n_genes_by_counts, their log1p, and pct_counts_mt for mitochondrial genes (MT- / mt- prefixes).
import type { Dataset } from '../io/types.ts';
import type { QcPartial } from './cell-chunks.ts';
import { addInto } from './cell-chunks.ts';
import { cellPass, type CellPassOptions } from './cell-pass.ts';

export interface QcMetrics {
  total_counts: Float64Array;
  n_genes_by_counts: Float64Array;
  log1p_total_counts: Float64Array;
  log1p_n_genes_by_counts: Float64Array;
  /** Percent of counts in mitochondrial genes; null when the dataset has none. */
  pct_counts_mt: Float64Array | null;
  nMitoGenes: number;
  /** Per gene: cells with a non-zero count (scanpy's n_cells_by_counts, for filter_genes). */
  n_cells_by_counts: Float64Array;
}

export function isMitochondrial(gene: string): boolean {
  return /^(MT|mt|Mt)-/.test(gene);
}

/**
 * `fromLog`: the matrix holds log1p(normalize_total(counts)); expm1 restores values proportional to
 * each cell's counts, so n_genes_by_counts and pct_counts_mt are exact and total_counts is the
 * normalisation target.
 */
export async function qcMetrics(ds: Dataset, matrixKey: string, geneNames: string[], opts: CellPassOptions & { fromLog?: boolean } = {}): Promise<QcMetrics> {
  const fromLog = opts.fromLog === true;
  const n = ds.nObs;
  const mito = new Uint8Array(geneNames.length);
  let nMito = 0;
  geneNames.forEach((g, i) => {
    if (isMitochondrial(g)) {
      mito[i] = 1;
      nMito++;
    }
  });
  const total = new Float64Array(n);
  const genes = new Float64Array(n);
  const mt = new Float64Array(n);
  const geneCells = new Float64Array(geneNames.length);
  let at = 0;
  await cellPass<QcPartial>(ds, matrixKey, { kind: 'qc', fromLog, mito }, (p) => {
    total.set(p.total, at);
    genes.set(p.genes, at);
    mt.set(p.mt, at);
    at += p.total.length;
    addInto(geneCells, p.geneCells);
  }, opts);
  return {
    total_counts: total,
    n_genes_by_counts: genes,
    log1p_total_counts: total.map(Math.log1p),
    log1p_n_genes_by_counts: genes.map(Math.log1p),
    pct_counts_mt: nMito > 0 ? mt.map((m, i) => (total[i] > 0 ? (100 * m) / total[i] : 0)) : null,
    nMitoGenes: nMito,
    n_cells_by_counts: geneCells,
  };
}
