// Wilcoxon markers per bulk_labels group on raw/X against scanpy's formula
// (../shared/fixtures/scanpy-reference/pbmc68k_reduced/wilcoxon_bulk_labels_raw.json).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { benjaminiHochberg, erfc, finalizeMarkers, finalizeMarkersAsync, markerStats, scoreOrder, tTestMarkers, wilcoxonMarkers } from '../src/analysis/markers.ts';
import { datasetMarkers } from '../src/analysis/markers-stream.ts';
import { nodePool } from '../src/analysis/pool-node.ts';
import { CancelledError } from '../src/io/errors.ts';
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

  it('orders and adjusts (radix sorts of the bits) exactly as comparison sorts of indices do', () => {
    // Ties, -0 beside 0, infinities, subnormals, negatives, repeated values; then a NaN (the comparison sort's own path).
    const special = [0, -0, 1, -1, Infinity, -Infinity, 5e-324, -5e-324, 1e308, 0.5, 0.5, 2, -2, 1e-300];
    let seed = 11;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    const cases = [Float64Array.from({ length: 3000 }, () => (rnd() < 0.4 ? special[Math.floor(rnd() * special.length)] : Math.round((rnd() - 0.5) * 2000) / 100))];
    cases.push(Float64Array.from(cases[0], (v, i) => (i === 17 ? NaN : v)), new Float64Array(0), Float64Array.of(3));
    for (const v of cases) {
      const byIndex = Int32Array.from({ length: v.length }, (_, i) => i).sort((a, b) => v[b] - v[a] || a - b);
      expect(Buffer.from(scoreOrder(v).buffer).equals(Buffer.from(byIndex.buffer))).toBe(true);
      const p = v.map((x) => (Number.isNaN(x) ? x : Math.min(1, Math.abs(x) / 10)));
      const order = Array.from({ length: p.length }, (_, i) => i).sort((a, b) => p[a] - p[b]);
      const want = new Float64Array(p.length);
      let running = 1;
      for (let r = p.length - 1; r >= 0; r--) {
        running = Math.min(running, (p[order[r]] * p.length) / (r + 1));
        want[order[r]] = running;
      }
      expect(Buffer.from(benjaminiHochberg(p).buffer).equals(Buffer.from(want.buffer))).toBe(true);
    }
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

describe('wilcoxon on signed values', () => {
  it('ranks zeros among negative and positive values like a full average-rank sort', () => {
    // 6 cells x 2 genes; gene 0 has negatives, ties and implicit zeros.
    const dense = [
      [-1, 2],
      [0, 2],
      [3, 0],
      [-1, 5],
      [0, 1],
      [2, 0],
    ];
    const codes = Int32Array.from([0, 0, 1, 1, 1, 0]);
    const indptr = new Float64Array(7);
    const indices: number[] = [];
    const data: number[] = [];
    dense.forEach((row, i) => {
      row.forEach((v, j) => {
        if (v !== 0) {
          indices.push(j);
          data.push(v);
        }
      });
      indptr[i + 1] = indices.length;
    });
    const res = wilcoxonMarkers({ nRows: 6, nCols: 2, indptr, indices: Uint32Array.from(indices), data: Float32Array.from(data) }, codes, ['a', 'b']);
    for (let gene = 0; gene < 2; gene++) {
      const col = dense.map((r) => r[gene]);
      const sorted = [...col].sort((x, y) => x - y);
      const rankOf = (v: number) => {
        const first = sorted.indexOf(v);
        const last = sorted.lastIndexOf(v);
        return (first + 1 + last + 1) / 2;
      };
      const r1 = col.reduce((s, v, i) => s + (codes[i] === 0 ? rankOf(v) : 0), 0);
      const z = (r1 - (3 * 7) / 2) / Math.sqrt((3 * 3 * 7) / 12);
      expect(res[0].scores[gene]).toBeCloseTo(z, 12);
      expect(res[1].scores[gene]).toBeCloseTo(-z, 12);
    }
  });
});

describe('t-test rank_genes_groups', () => {
  it('matches scipy\'s Welch t-test on pbmc68k raw/X by bulk_labels: top-20 genes, scores and p', async () => {
    const ref = JSON.parse(readFileSync(new URL('./reference/pbmc68k_ttest.json', import.meta.url), 'utf8')) as Record<string, { top20: number[]; scores: number[]; pvals: number[] }>;
    const ds = await openPaths([shared('data/pbmc68k_reduced.h5ad')]);
    const chunk = ds.readRows('raw/X', 0, ds.nObs);
    const labels = ds.obs.columns.find((c) => c.name === 'bulk_labels') as CategoricalColumn;
    const result = tTestMarkers({ nRows: ds.nObs, nCols: chunk.nCols, indptr: chunk.indptr, indices: chunk.indices, data: chunk.data }, labels.codes, labels.categories);
    ds.close();
    for (const r of result) {
      const want = ref[r.group];
      expect(Array.from(r.order.slice(0, 20)), r.group).toEqual(want.top20);
      want.top20.forEach((gene, i) => {
        expect(r.scores[gene]).toBeCloseTo(want.scores[i], 6);
        expect(Math.abs(r.pvals[gene] - want.pvals[i])).toBeLessThanOrEqual(1e-9 + 1e-6 * want.pvals[i]);
      });
    }
  });
});

describe('fraction of cells expressing (pts)', () => {
  it('matches a direct count, and agrees between the Wilcoxon and t-test paths', async () => {
    const ds = await openPaths([shared('data/pbmc68k_reduced.h5ad')]);
    const chunk = ds.readRows('raw/X', 0, ds.nObs);
    const labels = ds.obs.columns.find((c) => c.name === 'bulk_labels') as CategoricalColumn;
    const m = { nRows: ds.nObs, nCols: chunk.nCols, indptr: chunk.indptr, indices: chunk.indices, data: chunk.data };
    const w = wilcoxonMarkers(m, labels.codes, labels.categories);
    const t = tTestMarkers(m, labels.codes, labels.categories);
    ds.close();
    for (let g = 0; g < labels.categories.length; g++) {
      const gene = w[g].order[0];
      let inN = 0, inNz = 0, outN = 0, outNz = 0;
      for (let r = 0; r < 700; r++) {
        let v = 0;
        for (let k = chunk.indptr[r]; k < chunk.indptr[r + 1]; k++) if (chunk.indices[k] === gene) v = chunk.data[k];
        if (labels.codes[r] === g) {
          inN++;
          if (v !== 0) inNz++;
        } else if (labels.codes[r] >= 0) {
          outN++;
          if (v !== 0) outNz++;
        }
      }
      expect(w[g].pctIn[gene]).toBeCloseTo(inNz / inN, 12);
      expect(w[g].pctOut[gene]).toBeCloseTo(outNz / outN, 12);
      expect(t[g].pctIn[gene]).toBeCloseTo(inNz / inN, 12);
      expect(t[g].pctOut[gene]).toBeCloseTo(outNz / outN, 12);
    }
  });
});

describe('markers over a dataset (datasetMarkers)', () => {
  it('gives the in-memory statistics bit for bit, also with its matrix built in a pool\'s shared memory and ranked on the pool', async () => {
    const ds = await openPaths([shared('data/pbmc68k_reduced.h5ad')]);
    const chunk = ds.readRows('raw/X', 0, ds.nObs);
    const labels = ds.obs.columns.find((c) => c.name === 'bulk_labels') as CategoricalColumn;
    const want = wilcoxonMarkers({ nRows: ds.nObs, nCols: chunk.nCols, indptr: chunk.indptr, indices: chunk.indices, data: chunk.data }, labels.codes, labels.categories);
    const inp = { ds, countsKey: 'raw/X', keep: null, totals: new Float64Array(ds.nObs), codes: labels.codes, groups: labels.categories, method: 'wilcoxon' as const, normalize: false };
    const pool = nodePool(2)!;
    const copying = nodePool(2, false)!;
    try {
      // A pool minimum of 0 values: the shared matrix goes through the pool's transpose and gene blocks.
      // Small chunks: the pool's workers build the shared matrix from their chunks (lognorm-assemble).
      // A small block budget: the genes in many blocks, one pass over the file each.
      for (const got of [await datasetMarkers(inp), await datasetMarkers(inp, { pool, poolMinValues: 0 }), await datasetMarkers(inp, { pool, poolMinValues: 0, valuesPerChunk: 5000 }), await datasetMarkers(inp, { pool: copying, poolMinValues: 0, valuesPerChunk: 5000 }), await datasetMarkers({ ...inp, valuesPerBlock: 20000 }, { pool, poolMinValues: 0 })]) {
        got.forEach((r, g) => {
          for (const key of ['order', 'scores', 'pvals', 'pvalsAdj', 'logFoldChanges', 'pctIn', 'pctOut'] as const) expect(Buffer.from(r[key].buffer).equals(Buffer.from(want[g][key].buffer)), `${r.group} ${key}`).toBe(true);
        });
      }
    } finally {
      pool.terminate();
      copying.terminate();
      ds.close();
    }
  });
});

describe('ordering and BH adjustment on the pool (finalizeMarkersAsync)', () => {
  it('gives finalizeMarkers\'s bits inline, on 2 workers sharing memory and on 2 copying, for both methods', async () => {
    const ds = await openPaths([shared('data/pbmc68k_reduced.h5ad')]);
    const chunk = ds.readRows('raw/X', 0, ds.nObs);
    const labels = ds.obs.columns.find((c) => c.name === 'bulk_labels') as CategoricalColumn;
    ds.close();
    const m = { nRows: chunk.end - chunk.start, nCols: chunk.nCols, indptr: chunk.indptr, indices: chunk.indices, data: chunk.data };
    const pools = [nodePool(2)!, nodePool(2, false)!];
    try {
      for (const method of ['wilcoxon', 't-test'] as const) {
        const st = markerStats(method, m, labels.codes, labels.categories.length);
        const want = finalizeMarkers(labels.categories, st);
        for (const pool of [null, ...pools]) {
          let blocks = 0;
          const got = await finalizeMarkersAsync(labels.categories, st, { pool, poolMin: 0, onBlock: () => blocks++ });
          expect(blocks, 'a block per group').toBe(labels.categories.length);
          got.forEach((r, g) => {
            for (const key of ['order', 'scores', 'pvals', 'pvalsAdj', 'logFoldChanges', 'pctIn', 'pctOut'] as const) expect(Buffer.from(r[key].buffer).equals(Buffer.from(want[g][key].buffer)), `${method} ${r.group} ${key}, pool ${pool?.shared}`).toBe(true);
            expect(r.nCells).toBe(want[g].nCells);
          });
        }
      }
      // Cancelled after its first group, inline and on the pool: the CancelledError, no result.
      const st = markerStats('wilcoxon', m, labels.codes, labels.categories.length);
      for (const pool of [null, pools[0]]) {
        const ac = new AbortController();
        await expect(finalizeMarkersAsync(labels.categories, st, { pool, poolMin: 0, signal: ac.signal, onBlock: () => ac.abort() })).rejects.toBeInstanceOf(CancelledError);
      }
    } finally {
      pools.forEach((p) => p.terminate());
    }
  });
});
