// highly_variable_genes with a batch_key (seurat and seurat_v3) against a line-by-line pandas
// restatement of scanpy's code (test/reference/hvg_batch.py) on pbmc68k's counts with 4 simulated
// batches, the smallest of 46 cells (many genes unexpressed there), and genes removed by min_cells.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { geneMoments, groupMomentsAt, groupSums } from '../src/analysis/expression.ts';
import { datasetHvg } from '../src/analysis/hvg-dataset.ts';
import type { BatchedHvgResult } from '../src/analysis/hvg-batch.ts';
import { nodePool } from '../src/analysis/pool-node.ts';
import { totalCountsPerCell } from '../src/io/iterate.ts';
import { openPaths } from '../src/io/node.ts';
import { shared } from './helpers.ts';

interface SeuratRef {
  means: (number | null)[];
  dispersions: (number | null)[];
  dispersions_norm: (number | null)[];
  highly_variable: number[];
  nbatches: number[];
  intersection: number[];
}
interface V3Ref {
  means: number[];
  variances: number[];
  variances_norm: number[];
  rank: (number | null)[];
  nbatches: number[];
  highly_variable: number[];
}
const ref = JSON.parse(readFileSync(new URL('./reference/hvg_batch.json', import.meta.url), 'utf8')) as {
  batch_codes: number[];
  batch_categories: string[];
  [k: `min_cells_${number}`]: { keep_genes: number[]; seurat: Record<string, SeuratRef>; seurat_v3: Record<string, V3Ref> };
};

/** Largest |a[kept[i]] - b[i]|; NaN where the reference has null. */
function maxDiff(a: ArrayLike<number>, kept: number[], b: (number | null)[]): number {
  let w = 0;
  kept.forEach((g, i) => {
    const want = b[i];
    if (want === null) expect(Number.isNaN(a[g]), `gene ${g} should be NaN`).toBe(true);
    else w = Math.max(w, Math.abs(a[g] - want) / Math.max(1, Math.abs(want)));
  });
  return w;
}

async function setup(minCells: number) {
  const ds = await openPaths([shared('data/pbmc68k_reduced_with_counts.h5ad')]);
  const totals = await totalCountsPerCell(ds, 'layers/counts');
  const r = ref[`min_cells_${minCells}`];
  const keepGenes = new Uint8Array(ds.nVars);
  for (const g of r.keep_genes) keepGenes[g] = 1;
  const batch = { key: 'batch', codes: Int32Array.from(ref.batch_codes), categories: ref.batch_categories };
  return { ds, totals, keepGenes, batch, r };
}

describe('highly_variable_genes(batch_key=...) as scanpy', () => {
  for (const minCells of [3, 40]) {
    it(`flavor seurat, n_top_genes 300 and 700, min_cells ${minCells}`, async () => {
      const { ds, totals, keepGenes, batch, r } = await setup(minCells);
      for (const nTop of [300, 700]) {
        const want = r.seurat[String(nTop)];
        const hvg = (await datasetHvg({ ds, key: 'layers/counts', keep: null, keepGenes, totals, fromLog: false, batch }, { flavor: 'seurat', nTopGenes: nTop })) as BatchedHvgResult;
        const kept = r.keep_genes;
        expect(maxDiff(hvg.means, kept, want.means)).toBeLessThan(1e-10);
        expect(maxDiff(hvg.dispersions, kept, want.dispersions)).toBeLessThan(1e-9);
        expect(maxDiff(hvg.dispersionsNorm, kept, want.dispersions_norm)).toBeLessThan(1e-8);
        expect(kept.map((g) => hvg.batch.nbatches[g])).toEqual(want.nbatches);
        expect(Array.from(hvg.genes)).toEqual(want.highly_variable.map((i) => kept[i]));
        expect(kept.flatMap((g, i) => (hvg.batch.intersection![g] ? [i] : []))).toEqual(want.intersection);
        expect(hvg.batch.batches).toEqual(['b0', 'b1', 'b2', 'b3']);
        // Genes filtered by min_cells take part in nothing.
        for (let g = 0; g < ds.nVars; g++) if (!keepGenes[g]) expect([hvg.highlyVariable[g], hvg.batch.nbatches[g], hvg.batch.intersection![g]]).toEqual([0, 0, 0]);
      }
      ds.close();
    }, 60_000);

    it(`flavor seurat_v3, n_top_genes 300, min_cells ${minCells}`, async () => {
      const { ds, keepGenes, batch, r } = await setup(minCells);
      const want = r.seurat_v3['300'];
      const kept = r.keep_genes;
      const hvg = (await datasetHvg({ ds, key: 'layers/counts', keep: null, keepGenes, totals: null, fromLog: false, batch }, { flavor: 'seurat_v3', nTopGenes: 300 })) as BatchedHvgResult;
      expect(maxDiff(hvg.means, kept, want.means)).toBeLessThan(1e-10);
      expect(maxDiff(hvg.dispersions, kept, want.variances)).toBeLessThan(1e-9);
      // The loess is restated in Python (least squares) from ours (normal equations): close, not equal bits.
      expect(maxDiff(hvg.dispersionsNorm, kept, want.variances_norm)).toBeLessThan(1e-6);
      expect(kept.map((g) => hvg.batch.nbatches[g])).toEqual(want.nbatches);
      expect(maxDiff(hvg.batch.rank!, kept, want.rank)).toBe(0);
      expect(Array.from(hvg.genes)).toEqual(want.highly_variable.map((i) => kept[i]));
      expect(hvg.batch.intersection).toBeNull();
      ds.close();
    }, 60_000);
  }

  it('per-batch moments from one pass equal each batch alone; a pool of 3 gives the same bits', async () => {
    const { ds, totals, keepGenes, batch } = await setup(3);
    const groups = Int32Array.from(batch.codes);
    const s = await groupSums(ds, 'layers/counts', { kind: 'group-moments', keep: null, groups, nGroups: 4, normalizedBy: totals, fromLog: false, clip: null });
    for (let b = 0; b < 4; b++) {
      const alone = await geneMoments(ds, 'layers/counts', Uint8Array.from(groups, (g) => (g === b ? 1 : 0)), totals);
      const m = groupMomentsAt(s, b);
      expect(m.n).toBe(alone.n);
      expect(Buffer.from(m.mean.buffer).equals(Buffer.from(alone.mean.buffer))).toBe(true);
      expect(Buffer.from(m.variance.buffer).equals(Buffer.from(alone.variance.buffer))).toBe(true);
    }
    const one = (await datasetHvg({ ds, key: 'layers/counts', keep: null, keepGenes, totals, fromLog: false, batch }, { flavor: 'seurat', nTopGenes: 300 })) as BatchedHvgResult;
    const pool = nodePool(3);
    try {
      const pooled = (await datasetHvg({ ds, key: 'layers/counts', keep: null, keepGenes, totals, fromLog: false, batch }, { flavor: 'seurat', nTopGenes: 300 }, { pool })) as BatchedHvgResult;
      expect(Buffer.from(pooled.dispersionsNorm.buffer).equals(Buffer.from(one.dispersionsNorm.buffer))).toBe(true);
      expect(Array.from(pooled.genes)).toEqual(Array.from(one.genes));
    } finally {
      pool?.terminate();
    }
    ds.close();
  }, 60_000);
});
