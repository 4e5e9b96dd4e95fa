// Suggested QC thresholds (3 MADs on log counts / log genes below, pct_mt above) against numpy's
// restatement of scater's isOutlier on the demo's own QC metrics.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { qcMetrics } from '../src/analysis/qc.ts';
import { mad, median, proposeQcThresholds } from '../src/analysis/qc-thresholds.ts';
import { openPaths } from '../src/io/node.ts';

const NUMPY = `
import sys, json, numpy as np
d = json.load(sys.stdin)
def lower(x):
    l = np.log(np.array([v for v in x if v > 0]))
    m = np.median(l); return float(np.exp(m - 3 * 1.4826 * np.median(np.abs(l - m))))
mt = np.array(d["mt"]); m = np.median(mt)
print(json.dumps({"counts": lower(d["counts"]), "genes": lower(d["genes"]), "mt": float(m + 3 * 1.4826 * np.median(np.abs(mt - m)))}))
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
    // The demo has no MT- genes among its 765; mark two genes as mitochondrial to exercise the bound.
    const qc = await qcMetrics(ds, ds.countsKey!, genes.map((g, i) => (i < 2 ? `MT-${g}` : g)));
    const p = proposeQcThresholds(qc);
    const r = spawnSync('/usr/bin/python3', ['-c', NUMPY], { input: JSON.stringify({ counts: Array.from(qc.total_counts), genes: Array.from(qc.n_genes_by_counts), mt: Array.from(qc.pct_counts_mt!) }), encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const want = JSON.parse(r.stdout);
    expect(p.minCounts).toBeCloseTo(want.counts, 6);
    expect(p.minGenes).toBeCloseTo(want.genes, 6);
    expect(p.maxPctMt!).toBeCloseTo(want.mt, 6);
    const below = Array.from(qc.total_counts).filter((v) => v < p.minCounts).length;
    expect(p.removed.counts).toBe(below);
    expect(p.removed.any).toBeGreaterThanOrEqual(Math.max(p.removed.counts, p.removed.genes, p.removed.mt));
    ds.close();
  });
});
