// scGPT's value binning (scgpt.preprocess.binning and _digitize, v0.2.5), reproduced exactly:
// edges are numpy.quantile (method 'linear') of the cell's non-zero values at linspace(0, 1,
// n_bins - 1); each value gets a bin drawn uniformly between its left and right digitize results.
import type { Uniform } from './random.ts';

/** numpy.linspace(0, 1, n): i * (1 / (n - 1)), with the last point exactly 1. */
export function linspace01(n: number): Float64Array {
  const step = 1 / (n - 1);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = i * step;
  out[n - 1] = 1;
  return out;
}

/** numpy.quantile(values, qs) with the default 'linear' method, including numpy's _lerp. */
export function quantileLinear(sorted: Float32Array | Float64Array, qs: Float64Array): Float64Array {
  const n = sorted.length;
  const out = new Float64Array(qs.length);
  for (let j = 0; j < qs.length; j++) {
    const virtual = (n - 1) * qs[j];
    if (virtual >= n - 1) {
      out[j] = sorted[n - 1];
      continue;
    }
    const prev = Math.floor(virtual);
    const a = sorted[prev];
    const b = sorted[prev + 1];
    const t = virtual - prev;
    // numpy subtracts in the input dtype (float32 for scGPT's float tensors), then lerps in float64.
    const diff = sorted instanceof Float32Array ? Math.fround(b - a) : b - a;
    out[j] = t >= 0.5 ? b - diff * (1 - t) : a + diff * t;
  }
  return out;
}

/** numpy.digitize(x, bins, right): the number of edges <= x (right=false) or < x (right=true). */
export function digitize(x: number, edges: Float64Array, right: boolean): number {
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (right ? edges[mid] < x : edges[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Bins of the non-zero values of one cell (all values must be > 0), 1..nBins-1. Draws one
 * uniform per value, in order, as numpy.random.rand(len(x)) does.
 */
export function binValues(values: Float32Array, uniform: Uniform, nBins = 51): Float32Array {
  const out = new Float32Array(values.length);
  if (values.length === 0) return out;
  const sorted = Float32Array.from(values).sort();
  const edges = quantileLinear(sorted, linspace01(nBins - 1));
  for (let i = 0; i < values.length; i++) {
    const left = digitize(values[i], edges, false);
    const right = digitize(values[i], edges, true);
    const r = uniform();
    out[i] = Math.ceil(r * (right - left) + left);
  }
  return out;
}
