// The pipeline's markers in the shape scanpy's rank_genes_groups stores: the top genes of every
// group by score, with their statistics.
import type { RankGenesGroups } from '../io/h5ad/uns.ts';
import type { GroupMarkers } from './markers.ts';

/**
 * `matrix`: the expression matrix the markers were computed on (X, raw/X or layers/NAME): scanpy's
 * use_raw and layer say where its plots look the names up (raw/X's genes need not be X's).
 */
export function rankGenesGroups(markers: GroupMarkers[], geneNames: string[], groupby: string, method: string, matrix: string, nGenes = 100): RankGenesGroups {
  const n = Math.min(nGenes, ...markers.map((m) => m.order.length));
  return {
    groupby,
    method,
    reference: 'rest',
    useRaw: matrix === 'raw/X',
    layer: matrix.startsWith('layers/') ? matrix.slice('layers/'.length) : null,
    corrMethod: 'benjamini-hochberg',
    groups: markers.map((m) => {
      const top = Array.from(m.order.subarray(0, n));
      return {
        group: m.group,
        names: top.map((g) => geneNames[g]),
        scores: top.map((g) => m.scores[g]),
        logfoldchanges: top.map((g) => m.logFoldChanges[g]),
        pvals: top.map((g) => m.pvals[g]),
        pvalsAdj: top.map((g) => m.pvalsAdj[g]),
      };
    }),
  };
}
