// The softmax's exp (Harmony's soft assignment) against Math.exp: within 2 ulp over the whole
// non-positive range (mostly the same bits), exact at 0, 0 past the underflow, NaN kept.
import { describe, expect, it } from 'vitest';
import { expNonPositive } from '../src/analysis/exp-nonpositive.ts';
import { mulberry32 } from '../src/model/random.ts';

const ulps = (a: number, b: number) => {
  const i = new BigInt64Array(new Float64Array([a, b]).buffer);
  return Number(i[0] > i[1] ? i[0] - i[1] : i[1] - i[0]);
};

describe('expNonPositive', () => {
  it('is within 2 ulp of Math.exp from -745 to 0 (Math.exp is not correctly rounded either)', () => {
    const rng = mulberry32(3);
    let worst = 0;
    let same = 0;
    for (let t = 0; t < 200_000; t++) {
      // The whole range, and where Harmony uses it (distances 0..4 over sigma 0.1).
      const x = t % 2 ? -rng() * 745 : -rng() * 40;
      const u = ulps(expNonPositive(x), Math.exp(x));
      worst = Math.max(worst, u);
      if (u === 0) same++;
    }
    expect(worst).toBeLessThanOrEqual(2);
    expect(same / 200_000).toBeGreaterThan(0.5);
  });

  it('edges: 0, tiny arguments, underflow, NaN, positive input', () => {
    expect(expNonPositive(0)).toBe(1);
    expect(expNonPositive(-0)).toBe(1);
    expect(expNonPositive(-1e-300)).toBe(1);
    expect(expNonPositive(-746)).toBe(0);
    expect(expNonPositive(-Infinity)).toBe(0);
    expect(expNonPositive(NaN)).toBeNaN();
    expect(expNonPositive(0.5)).toBe(Math.exp(0.5));
    expect(ulps(expNonPositive(-745), Math.exp(-745))).toBeLessThanOrEqual(1);
  });
});
