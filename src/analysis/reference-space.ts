// One PCA space for a reference and a query (never two separate PCAs): the reference's HVGs
// (flavor seurat), log-normalised and scaled with the reference's means and deviations, its PCA,
// and the query projected onto those axes. Genes are matched by symbol; the overlap is reported,
// and refused when too small for a meaningful projection.
import { totalCountsPerCell } from '../io/iterate.ts';
import type { Dataset } from '../io/types.ts';
import { geneMoments, logNormMatrix } from './expression.ts';
import { hvgSeurat } from './hvg.ts';
import { pcaCsr, projectCsr } from './pca.ts';
import { applyScale, scaleCsrInPlace } from './scale.ts';

export interface Side {
  ds: Dataset;
  countsKey: string;
  /** Cells taking part (1), or null for all. */
  keep: Uint8Array | null;
  /** Gene symbols of the counts matrix's var. */
  genes: string[];
}

export interface SharedSpace {
  dim: number;
  ref: Float32Array;
  query: Float32Array;
  nHvg: number;
  nShared: number;
}

export const MIN_SHARED_GENES = 100;
export const MIN_SHARED_FRACTION = 0.3;

export async function referencePcaSpace(ref: Side, query: Side, nComps = 50, nTopGenes = 2000, opts: { signal?: AbortSignal; onProgress?: (f: number, m: string) => void } = {}): Promise<SharedSpace> {
  const step = (a: number, b: number) => ({ signal: opts.signal, onProgress: (f: number, m: string) => opts.onProgress?.(a + (b - a) * f, m) });
  const refTotals = await totalCountsPerCell(ref.ds, ref.countsKey, step(0, 0.15));
  const hvg = hvgSeurat(await geneMoments(ref.ds, ref.countsKey, ref.keep, refTotals, step(0.15, 0.3)), nTopGenes);
  const queryIndex = new Map<string, number>();
  query.genes.forEach((g, i) => queryIndex.has(g) || queryIndex.set(g, i));
  const refCols: number[] = [];
  const queryCols: number[] = [];
  for (const g of hvg.genes) {
    const q = queryIndex.get(ref.genes[g]);
    if (q === undefined) continue;
    refCols.push(g);
    queryCols.push(q);
  }
  const nHvg = hvg.genes.length;
  if (refCols.length < MIN_SHARED_GENES || refCols.length < MIN_SHARED_FRACTION * nHvg) {
    throw new Error(
      `only ${refCols.length} of the reference's ${nHvg} highly variable genes are in the query (matched by symbol); ` +
        `at least ${MIN_SHARED_GENES} and ${Math.round(MIN_SHARED_FRACTION * 100)}% are needed. Check that both use gene symbols (or both Ensembl ids) of the same species.`,
    );
  }
  const R = await logNormMatrix(ref.ds, ref.countsKey, ref.keep, refTotals, Int32Array.from(refCols), step(0.3, 0.45));
  const scaling = scaleCsrInPlace(R, 10);
  const fit = await pcaCsr(R, nComps, step(0.45, 0.75));
  const qTotals = query.ds === ref.ds && query.countsKey === ref.countsKey ? refTotals : await totalCountsPerCell(query.ds, query.countsKey, step(0.75, 0.85));
  const Q = await logNormMatrix(query.ds, query.countsKey, query.keep, qTotals, Int32Array.from(queryCols), step(0.85, 0.95));
  applyScale(Q, scaling, 10);
  return { dim: fit.nComps, ref: fit.scores, query: projectCsr(Q, fit), nHvg, nShared: refCols.length };
}
