// Axis arithmetic of the plots: scales invert (threshold dragging relies on it) and ticks are round.
import { describe, expect, it } from 'vitest';
import { dashes, logTicks, niceTicks, scale, tickLabel } from '../src/ui/components/plot-scale.ts';

describe('plot scales and ticks', () => {
  it('linear and log scales map to pixels and back', () => {
    const y = scale([0, 10], [200, 0]);
    expect(y(0)).toBe(200);
    expect(y(5)).toBe(100);
    expect(y.invert(50)).toBeCloseTo(7.5, 12);
    const x = scale([10, 10000], [0, 300], true);
    expect(x(100)).toBeCloseTo(100, 12);
    expect(x.invert(200)).toBeCloseTo(1000, 9);
    // A zero-width domain does not divide by zero.
    expect(Number.isFinite(scale([3, 3], [0, 100])(3))).toBe(true);
  });

  it('ticks', () => {
    expect(niceTicks(0, 10, 5)).toEqual([0, 2, 4, 6, 8, 10]);
    expect(niceTicks(0.13, 0.91, 4)).toEqual([0.2, 0.4, 0.6, 0.8]);
    expect(niceTicks(-1, 1, 4)).toEqual([-1, -0.5, 0, 0.5, 1]);
    expect(niceTicks(2, 2)).toEqual([2]);
    expect(logTicks(300, 20000)).toEqual([1000, 10000]);
    expect(logTicks(120, 900)).toEqual([200, 500]);
    expect(tickLabel(12000)).toBe('12,000');
    expect(tickLabel(0.25)).toBe('0.25');
    expect(tickLabel(1e6)).toBe('1e6');
  });

  it('dashes cover the segment with gaps', () => {
    const d = dashes([0, 0], [0, 20], 5, 5);
    expect(d).toEqual([[[0, 0], [0, 5]], [[0, 10], [0, 15]]]);
  });
});
