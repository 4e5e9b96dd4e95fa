import { describe, expect, it } from 'vitest';
import { covarianceRows, topComponents } from '../src/analysis/pca-small.ts';

describe('topComponents', () => {
  it('finds the axes of an anisotropic cloud, ignoring NaN rows', () => {
    // Points spread 10x along (1,1,0)/sqrt2 and 3x along z, tiny noise elsewhere.
    const n = 500;
    const d = 3;
    const data = new Float32Array(n * d);
    let seed = 1;
    const rand = () => ((seed = (seed * 16807) % 2147483647) / 2147483647) * 2 - 1;
    for (let i = 0; i < n; i++) {
      const a = rand() * 10;
      const b = rand() * 3;
      const e = rand() * 0.1;
      data.set([a / Math.SQRT2 + e, a / Math.SQRT2 - e, b], i * d);
    }
    data.fill(NaN, 0, 3);
    const { scores, variance } = topComponents(data, n, d, 2);
    expect(variance[0]).toBeGreaterThan(variance[1] * 5);
    expect(Number.isNaN(scores[0])).toBe(true);
    // PC1 score of a point equals its projection on (1,1,0)/sqrt2 up to the mean shift.
    let corr = 0;
    let s1 = 0;
    let s2 = 0;
    for (let i = 1; i < n; i++) {
      const proj = (data[i * d] + data[i * d + 1]) / Math.SQRT2;
      corr += proj * scores[i * 2];
      s1 += proj * proj;
      s2 += scores[i * 2] ** 2;
    }
    expect(Math.abs(corr / Math.sqrt(s1 * s2))).toBeGreaterThan(0.999);
  });

  it('the blocked covariance rows are the bits of one rank-1 update per cell, in cell order', () => {
    for (const [n, d] of [[150, 7], [70, 64], [3, 1]]) {
      let seed = n + d;
      const rand = () => (seed = (seed * 16807) % 2147483647) / 2147483647 - 0.5;
      const data = Float32Array.from({ length: n * d }, rand);
      for (let i = 0; i < n; i += 11) data[i * d] = NaN;
      const mean = Float64Array.from({ length: d }, rand);
      // The loop this replaced: x x^T added cell by cell.
      const want = new Float64Array(d * d);
      const x = new Float64Array(d);
      for (let i = 0; i < n; i++) {
        if (Number.isNaN(data[i * d])) continue;
        for (let j = 0; j < d; j++) x[j] = data[i * d + j] - mean[j];
        for (let a = 0; a < d; a++) for (let b = a; b < d; b++) want[a * d + b] += x[a] * x[b];
      }
      const from = Math.floor(d / 3);
      const got = covarianceRows({ data, n, d, mean }, { from, to: d });
      expect(Array.from(got)).toEqual(Array.from(want.subarray(from * d)));
    }
  });
});
