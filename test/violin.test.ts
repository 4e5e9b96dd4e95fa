// Violin summaries against scipy.stats.gaussian_kde (what seaborn's violinplot evaluates) and
// numpy.percentile, on skewed, discrete and zero-inflated samples like expression values.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { binnedKde, gaussianKde, percentileSorted, scottBandwidth, violinOf, violins } from '../src/analysis/violin.ts';

const SCIPY = `
import sys, json, numpy as np
from scipy.stats import gaussian_kde
out = []
for x in json.load(sys.stdin):
    x = np.array(x)
    k = gaussian_kde(x)
    grid = np.linspace(x.min(), x.max(), 100)
    out.append({"bw": float(np.sqrt(k.covariance[0, 0])), "density": k(grid).tolist(),
                "q": np.percentile(x, [25, 50, 75]).tolist()})
print(json.dumps(out))
`;

/** A small deterministic generator (mulberry32), so the samples are the same on every run. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function normal(r: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
}

const r = rng(7);
const samples = {
  // log-normalised expression: 60% zeros, the rest around 1.5
  zeroInflated: Array.from({ length: 300 }, () => (r() < 0.6 ? 0 : Math.max(0.05, 1.5 + 0.5 * normal(r)))),
  // total counts: log-normal, long right tail
  skewed: Array.from({ length: 500 }, () => Math.exp(7 + 0.6 * normal(r))),
  // n_genes_by_counts: integers
  discrete: Array.from({ length: 200 }, () => Math.round(400 + 80 * normal(r))),
  tiny: [1, 2, 4],
};

function hasPython(): boolean {
  return spawnSync('/usr/bin/python3', ['-c', 'import scipy'], { encoding: 'utf8' }).status === 0;
}

describe('violin summaries', () => {
  it.runIf(hasPython())('match scipy.stats.gaussian_kde and numpy.percentile', () => {
    const sets = Object.values(samples);
    const p = spawnSync('/usr/bin/python3', ['-c', SCIPY], { input: JSON.stringify(sets), encoding: 'utf8' });
    expect(p.status, p.stderr).toBe(0);
    const want = JSON.parse(p.stdout) as { bw: number; density: number[]; q: number[] }[];
    sets.forEach((x, s) => {
      const v = violinOf('g', x);
      expect(v.bandwidth).toBeCloseTo(want[s].bw, 10);
      expect(v.density.length).toBe(100);
      const peak = Math.max(...want[s].density);
      v.density.forEach((d, j) => expect(Math.abs(d - want[s].density[j])).toBeLessThan(1e-12 * peak + 1e-300));
      expect([v.q1, v.median, v.q3]).toEqual(want[s].q.map((q) => expect.closeTo(q, 9)));
      expect(Math.max(...v.width)).toBe(1);
    });
  });

  it('the exact KDE is the Gaussian kernel formula (hand-checked small case)', () => {
    const x = samples.tiny;
    // sd (ddof 1) of 1, 2, 4 = sqrt(7/3); Scott's factor 3^(-1/5)
    const h = Math.sqrt(7 / 3) * 3 ** -0.2;
    expect(scottBandwidth(x)).toBeCloseTo(h, 14);
    const at2 = x.reduce((s, xi) => s + Math.exp(-0.5 * ((2 - xi) / h) ** 2), 0) / (3 * h * Math.sqrt(2 * Math.PI));
    expect(gaussianKde(x, [2], h)[0]).toBeCloseTo(at2, 14);
    // Integrates to 1 over a wide range.
    const grid = Float64Array.from({ length: 4001 }, (_, j) => -20 + (45 * j) / 4000);
    const dens = gaussianKde(x, grid, h);
    expect(dens.reduce((s, d) => s + d, 0) * (45 / 4000)).toBeCloseTo(1, 6);
  });

  it('binning large groups stays within 0.1% of the exact KDE', () => {
    const big = Array.from({ length: 20000 }, () => (r() < 0.5 ? 0 : Math.exp(0.5 + 0.4 * normal(r))));
    const sorted = Float64Array.from(big).sort();
    const binned = violinOf('g', big, { exactLimit: 1000 });
    const exact = gaussianKde(sorted, binned.grid, binned.bandwidth);
    const peak = Math.max(...exact);
    for (let j = 0; j < exact.length; j++) expect(Math.abs(binned.density[j] - exact[j])).toBeLessThan(1e-3 * peak);
    const direct = binnedKde(sorted, sorted[0], sorted[sorted.length - 1], binned.grid, binned.bandwidth);
    expect(Array.from(direct)).toEqual(Array.from(binned.density));
  });

  it('constant, single, empty and NaN-holding groups', () => {
    const flat = violinOf('c', [2, 2, 2, 2]);
    expect(flat.bandwidth).toBe(0);
    expect(Array.from(flat.grid)).toEqual([2]);
    expect(Array.from(flat.width)).toEqual([1]);
    expect([flat.min, flat.q1, flat.median, flat.q3, flat.max]).toEqual([2, 2, 2, 2, 2]);
    expect(violinOf('one', [5]).grid.length).toBe(1);
    const empty = violinOf('e', []);
    expect(empty.n).toBe(0);
    expect(empty.grid.length).toBe(0);
    expect(Number.isNaN(empty.median)).toBe(true);
    const withNaN = violinOf('n', [NaN, 0, 1, 2, NaN, Infinity]);
    expect(withNaN.n).toBe(3);
    expect(withNaN.fractionZero).toBeCloseTo(1 / 3, 14);
    expect(Array.from(withNaN.density).every(Number.isFinite)).toBe(true);
    expect(Array.from(withNaN.density)).toEqual(Array.from(violinOf('m', [0, 1, 2]).density));
  });

  it('splits by group code, skips -1, and is deterministic', () => {
    const values = [0, 1, 2, 3, 10, 11, 12, 99];
    const codes = Int32Array.from([0, 0, 0, 0, 1, 1, 1, -1]);
    const v = violins(values, codes, ['a', 'b', 'empty']);
    expect(v.map((g) => [g.group, g.n])).toEqual([['a', 4], ['b', 3], ['empty', 0]]);
    expect(v[1].median).toBe(11);
    expect(v[0].fractionZero).toBe(0.25);
    expect(violins(values, codes, ['a', 'b', 'empty'])).toEqual(v);
    const all = violins(values, null, [], { allLabel: 'all' });
    expect(all[0].group).toBe('all');
    expect(all[0].n).toBe(8);
    expect(() => violins(values, codes.subarray(1), ['a'])).toThrow(/8 values but 7/);
  });

  it('percentiles interpolate as numpy', () => {
    expect(percentileSorted([1, 2, 3, 4], 25)).toBe(1.75);
    expect(percentileSorted([1, 2, 3, 4], 50)).toBe(2.5);
    expect(percentileSorted([7], 75)).toBe(7);
  });
});
