// Wilcoxon markers per bulk_labels group on raw/X against scanpy's formula
// (../shared/fixtures/scanpy-reference/pbmc68k_reduced/wilcoxon_bulk_labels_raw.json).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { benjaminiHochberg, erfc, wilcoxonMarkers } from '../src/analysis/markers.ts';
import { openPaths } from '../src/io/node.ts';
import type { CategoricalColumn } from '../src/io/types.ts';
import { shared } from './helpers.ts';

interface RefGroup {
  n_cells: number;
  top50_names: string[];
  top50_scores: number[];
  top50_pvals_adj: number[];
  top50_logfoldchanges: number[];
}

describe('wilcoxon rank_genes_groups', () => {
  it('erfc and Benjamini-Hochberg', () => {
    expect(erfc(0)).toBeCloseTo(1, 7);
    expect(erfc(1)).toBeCloseTo(0.157299207, 7);
    expect(erfc(-1)).toBeCloseTo(1.842700793, 7);
    // Sorted: 0.01*4/1 = 0.04, 0.03*4/2 = 0.06, 0.04*4/3 = 0.0533, 0.2*4/4 = 0.2; then running minima from the top.
    const adj = Array.from(benjaminiHochberg(Float64Array.from([0.01, 0.04, 0.03, 0.2])));
    [0.04, 0.16 / 3, 0.16 / 3, 0.2].forEach((v, i) => expect(adj[i]).toBeCloseTo(v, 12));
  });

  it('matches scanpy on pbmc68k raw/X by bulk_labels: top-50 z-scores within 1e-3 and the same top 10', async () => {
    const ref = JSON.parse(readFileSync(shared('fixtures/scanpy-reference/pbmc68k_reduced/wilcoxon_bulk_labels_raw.json'), 'utf8')) as Record<string, RefGroup>;
    const ds = await openPaths([shared('data/pbmc68k_reduced.h5ad')]);
    const chunk = ds.readRows('raw/X', 0, ds.nObs);
    const genes = ds.varNamesOf('raw/X');
    const labels = ds.obs.columns.find((c) => c.name === 'bulk_labels') as CategoricalColumn;
    const result = wilcoxonMarkers({ nRows: ds.nObs, nCols: chunk.nCols, indptr: chunk.indptr, indices: chunk.indices, data: chunk.data }, labels.codes, labels.categories);
    ds.close();
    for (const r of result) {
      const want = ref[r.group];
      expect(r.nCells).toBe(want.n_cells);
      const top10 = Array.from(r.order.slice(0, 10), (i) => genes[i]);
      expect(top10, r.group).toEqual(want.top50_names.slice(0, 10));
      want.top50_names.forEach((name, t) => {
        const gi = genes.indexOf(name);
        expect(Math.abs(r.scores[gi] - want.top50_scores[t]), `${r.group} ${name}`).toBeLessThan(1e-3);
        expect(Math.abs(r.logFoldChanges[gi] - want.top50_logfoldchanges[t]), `${r.group} ${name} lfc`).toBeLessThan(1e-3);
        const rel = Math.abs(r.pvalsAdj[gi] - want.top50_pvals_adj[t]) / Math.max(want.top50_pvals_adj[t], 1e-300);
        expect(rel, `${r.group} ${name} padj`).toBeLessThan(1e-3);
      });
    }
  });
});
