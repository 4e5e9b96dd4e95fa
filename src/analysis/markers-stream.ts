// rank_genes_groups over every gene of a dataset without holding its whole log-normalised matrix:
// genes are taken in blocks sized to a memory budget, each block one streamed pass over the
// counts. One block (one pass) for typical files; very large ones trade passes for memory.
import type { PassOptions } from '../io/iterate.ts';
import type { Dataset } from '../io/types.ts';
import { logNormMatrix } from './expression.ts';
import type { WorkerPool } from '../parallel/pool.ts';
import { finalizeMarkersAsync, markerStatsAsync, type GroupMarkers, type MarkerMethod, type MarkerStats } from './markers.ts';

export interface DatasetMarkersInput {
  ds: Dataset;
  countsKey: string;
  keep: Uint8Array | null;
  totals: Float64Array;
  /** Group per kept cell (in dataset order), -1 for cells left out of the comparison. */
  codes: Int32Array;
  groups: string[];
  method: MarkerMethod;
  /** false: the matrix already holds log expression (no counts in the file); use it as stored. */
  normalize?: boolean;
  /**
   * Stored values per block, a target: default 30M (about 240 MB of CSR). A block may hold up to a
   * quarter more, so that a file just over a multiple of it is not read once more for a sliver.
   */
  valuesPerBlock?: number;
}

export async function datasetMarkers(inp: DatasetMarkersInput, opts: PassOptions & { pool?: WorkerPool | null; poolMinValues?: number } = {}): Promise<GroupMarkers[]> {
  const { ds, countsKey } = inp;
  const p = ds.varNamesOf(countsKey).length;
  const info = ds.matrices.find((m) => m.key === countsKey);
  const nnz = info?.nnz ?? ds.nObs * p;
  // Each block is one pass over the file: 30.06M values at 30k cells were two passes with a plain 30M cap.
  const blocks = Math.max(1, Math.ceil(nnz / (1.25 * (inp.valuesPerBlock ?? 30e6))));
  const per = Math.ceil(p / blocks);
  const G = inp.groups.length;
  // One block (the usual case): its statistics are the whole, not copied into these.
  const mk = () => Array.from({ length: blocks > 1 ? G : 0 }, () => new Float64Array(p));
  const all: MarkerStats = { nPer: new Float64Array(G), scores: mk(), pvals: mk(), logFoldChanges: mk(), pctIn: mk(), pctOut: mk() };
  for (let b = 0; b < blocks; b++) {
    const g0 = b * per;
    const genes = Int32Array.from({ length: Math.min(p, g0 + per) - g0 }, (_, i) => g0 + i);
    const m = await logNormMatrix(ds, countsKey, inp.keep, inp.normalize === false ? null : inp.totals, genes, {
      signal: opts.signal,
      pool: opts.pool,
      valuesPerChunk: opts.valuesPerChunk,
      shared: true,
      onProgress: (f, msg) => opts.onProgress?.((b + f * 0.8) / blocks, `markers: genes ${g0 + 1}-${g0 + genes.length}, ${msg}`),
    });
    const st = await markerStatsAsync(inp.method, m, inp.codes, G, {
      pool: opts.pool,
      poolMinValues: opts.poolMinValues,
      signal: opts.signal,
      onBlock: (done, total) => opts.onProgress?.((b + 0.8 + (0.2 * done) / total) / blocks, `markers: ranking genes ${g0 + 1}-${g0 + genes.length}`),
    });
    all.nPer = st.nPer;
    if (blocks === 1) Object.assign(all, st);
    else for (let g = 0; g < G; g++) {
      all.scores[g].set(st.scores[g], g0);
      all.pvals[g].set(st.pvals[g], g0);
      all.logFoldChanges[g].set(st.logFoldChanges[g], g0);
      all.pctIn[g].set(st.pctIn[g], g0);
      all.pctOut[g].set(st.pctOut[g], g0);
    }
  }
  return finalizeMarkersAsync(inp.groups, all, { pool: opts.pool, signal: opts.signal, onBlock: () => opts.onProgress?.(1, 'markers: ordering genes') });
}
