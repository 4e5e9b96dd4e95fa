import { describe, expect, it } from 'vitest';
import { topComponents } from '../src/analysis/pca-small.ts';

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
});
