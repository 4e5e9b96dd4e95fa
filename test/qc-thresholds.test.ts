// Suggested QC thresholds (3 MADs on log counts / log genes below, pct_mt above) against numpy's
// restatement of scater's isOutlier on the demo's own QC metrics; no bound where the MAD is 0.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { qcMetrics, type QcMetrics } from '../src/analysis/qc.ts';
import { mad, median, proposeQcThresholds } from '../src/analysis/qc-thresholds.ts';
import { openPaths } from '../src/io/node.ts';

const NUMPY = `
import sys, json, numpy as np
d = json.load(sys.stdin)
def mad(x):
    return 1.4826 * np.median(np.abs(x - np.median(x)))
def lower(x):
    l = np.log(np.array([v for v in x if v > 0]))
    return float(np.exp(np.median(l) - 3 * mad(l))) if mad(l) > 0 else None
mt = np.array(d["mt"])
print(json.dumps({"counts": lower(d["counts"]), "genes": lower(d["genes"]), "mt": float(np.median(mt) + 3 * mad(mt)) if mad(mt) > 0 else None, "madMt": float(mad(mt))}))
`;

describe('QC threshold suggestions', () => {
  it("median and R's mad()", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    expect(mad([1, 2, 3, 4, 100])).toBeCloseTo(1.4826, 10);
  });

  it('match numpy on the demo (700 PBMCs) and count the cells they remove', async () => {
    const ds = await openPaths([new URL('../public/demo/pbmc68k_reduced_with_counts.h5ad', import.meta.url).pathname]);
    const genes = ds.varNamesOf(ds.countsKey!);
    // The demo has no MT- genes among its 765; mark 40 genes as mitochondrial to exercise the bound
    // (with two, most cells have none and the MAD is 0).
    const qc = await qcMetrics(ds, ds.countsKey!, genes.map((g, i) => (i < 40 ? `MT-${g}` : g)));
    const p = proposeQcThresholds(qc);
    const r = spawnSync('/usr/bin/python3', ['-c', NUMPY], { input: JSON.stringify({ counts: Array.from(qc.total_counts), genes: Array.from(qc.n_genes_by_counts), mt: Array.from(qc.pct_counts_mt!) }), encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const want = JSON.parse(r.stdout);
    expect(p.minCounts).toBeCloseTo(want.counts, 6);
    expect(p.minGenes).toBeCloseTo(want.genes, 6);
    expect(want.madMt).toBeGreaterThan(0);
    expect(p.maxPctMt!).toBeCloseTo(want.mt, 6);
    const below = Array.from(qc.total_counts).filter((v) => v < p.minCounts!).length;
    expect(p.removed.counts).toBe(below);
    expect(p.removed.any).toBeGreaterThanOrEqual(Math.max(p.removed.counts, p.removed.genes, p.removed.mt));
    expect(p.notes).toEqual([]);
    ds.close();
  });

  it('propose no bound where the MAD is 0 (most cells share one value), and say why', () => {
    const n = 100;
    // 70 cells without mitochondrial counts: median and MAD of pct_counts_mt are 0, and a bound
    // of 0 would remove the 30 cells that have any.
    const pct = Float64Array.from({ length: n }, (_, i) => (i < 70 ? 0 : 1 + (i % 5)));
    const counts = Float64Array.from({ length: n }, (_, i) => 1000 + 10 * i);
    const genes = Float64Array.from({ length: n }, () => 500);
    const qc = { total_counts: counts, n_genes_by_counts: genes, pct_counts_mt: pct } as unknown as QcMetrics;
    const p = proposeQcThresholds(qc);
    expect(p.maxPctMt).toBeNull();
    expect(p.minGenes).toBeNull();
    expect(p.minCounts).not.toBeNull();
    expect(p.notes).toEqual(['no n_genes_by_counts bound: MAD is 0', 'no pct_counts_mt bound: MAD is 0']);
    expect(p.removed.mt).toBe(0);
    expect(p.removed.genes).toBe(0);
    expect(p.removed.any).toBe(p.removed.counts);

    const flat = proposeQcThresholds({ ...qc, total_counts: new Float64Array(n).fill(800), pct_counts_mt: null });
    expect([flat.minCounts, flat.minGenes, flat.maxPctMt]).toEqual([null, null, null]);
    expect(flat.notes).toEqual(['no total_counts bound: MAD is 0', 'no n_genes_by_counts bound: MAD is 0', 'no pct_counts_mt bound: no mitochondrial genes (MT- or mt-) in var_names']);
    expect(flat.removed.any).toBe(0);
  });

  it('on the demo as the pipeline sees it, every proposed bound removes what it says', async () => {
    const ds = await openPaths([new URL('../public/demo/pbmc68k_reduced_with_counts.h5ad', import.meta.url).pathname]);
    const qc = await qcMetrics(ds, ds.countsKey!, ds.varNamesOf(ds.countsKey!));
    const p = proposeQcThresholds(qc);
    for (const [bound, values, removed, below] of [
      [p.minCounts, qc.total_counts, p.removed.counts, true],
      [p.minGenes, qc.n_genes_by_counts, p.removed.genes, true],
      [p.maxPctMt, qc.pct_counts_mt, p.removed.mt, false],
    ] as const) {
      if (bound === null) expect(removed).toBe(0);
      else expect(removed).toBe(Array.from(values!).filter((v) => (below ? v < bound : v > bound)).length);
    }
    // A null bound is explained, never silently missing.
    expect(p.notes.length).toBe([p.minCounts, p.minGenes, p.maxPctMt].filter((b) => b === null).length);
    ds.close();
  });
});
