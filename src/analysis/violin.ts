// Per-group distributions as sc.pl.violin draws them: seaborn's violinplot with cut=0 and
// density_norm='width', i.e. a Gaussian KDE (scipy.stats.gaussian_kde, Scott's factor n^(-1/5)
// times the sample SD with ddof=1) evaluated on `gridSize` points between the group's min and max,
// each violin scaled to its own peak; plus the box statistics and the fraction of zeros that a
// scanpy user reads off the plot.

import { evenSample } from './jitter.ts';

export interface ViolinGroup {
  group: string;
  /** Finite values in the group (NaN skipped). */
  n: number;
  min: number;
  max: number;
  /** numpy.percentile's linear interpolation, as seaborn's inner='box'. */
  q1: number;
  median: number;
  q3: number;
  fractionZero: number;
  /** Kernel SD (scipy's factor x sample SD); 0 for constant groups and single values. */
  bandwidth: number;
  /** Evaluation points, min to max; one point for a constant group, none for an empty one. */
  grid: Float64Array;
  /** gaussian_kde's density at `grid`. */
  density: Float64Array;
  /** density / its maximum: the half-width of the violin at each point (density_norm='width'). */
  width: Float64Array;
  /** The values drawn as points (stripplot): all finite ones, or an even sample of a large group, in cell order. */
  points?: Float64Array;
}

export interface ViolinOptions {
  /** Points per violin (seaborn's gridsize). */
  gridSize?: number;
  /** Groups larger than this are binned before the KDE. */
  exactLimit?: number;
  /** Keep up to this many values per group as points (sc.pl.violin's stripplot); none when absent. */
  points?: number;
}

const SQRT_2PI = Math.sqrt(2 * Math.PI);

/** Linear-interpolated percentile of sorted values (numpy's default method). */
export function percentileSorted(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const x = (p / 100) * (n - 1);
  const i = Math.floor(x);
  const f = x - i;
  return i + 1 < n ? sorted[i] + (sorted[i + 1] - sorted[i]) * f : sorted[i];
}

/** scipy.stats.gaussian_kde's kernel SD with Scott's rule; 0 when the SD is 0 or undefined. */
export function scottBandwidth(values: ArrayLike<number>): number {
  const n = values.length;
  if (n < 2) return 0;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += values[i];
  mean /= n;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (values[i] - mean) ** 2;
  const sd = Math.sqrt(ss / (n - 1));
  return sd > 0 ? sd * n ** -0.2 : 0;
}

/** The KDE summed over every value: O(n x grid), exact. `weights` (default 1 each) count repeated points. */
export function gaussianKde(points: ArrayLike<number>, grid: ArrayLike<number>, bandwidth: number, weights?: ArrayLike<number>): Float64Array {
  let total = 0;
  for (let i = 0; i < points.length; i++) total += weights ? weights[i] : 1;
  const out = new Float64Array(grid.length);
  const norm = 1 / (total * bandwidth * SQRT_2PI);
  for (let j = 0; j < grid.length; j++) {
    let s = 0;
    for (let i = 0; i < points.length; i++) {
      const w = weights ? weights[i] : 1;
      if (w === 0) continue;
      const z = (grid[j] - points[i]) / bandwidth;
      s += w * Math.exp(-0.5 * z * z);
    }
    out[j] = s * norm;
  }
  return out;
}

/**
 * The same KDE with the values first spread linearly onto a fine grid between min and max (each
 * value's weight split between its two neighbouring bin centres). The bins are kept at most a
 * quarter bandwidth apart, which bounds the error well below what a plot shows; their count then
 * depends on the data, not on n, so a million cells cost what a thousand do.
 */
export function binnedKde(values: ArrayLike<number>, min: number, max: number, grid: ArrayLike<number>, bandwidth: number): Float64Array {
  const nBins = Math.min(16384, Math.max(512, Math.ceil((4 * (max - min)) / bandwidth) + 1));
  const step = (max - min) / (nBins - 1);
  const weights = new Float64Array(nBins);
  for (let i = 0; i < values.length; i++) {
    const x = (values[i] - min) / step;
    const k = Math.min(nBins - 2, Math.floor(x));
    const f = x - k;
    weights[k] += 1 - f;
    weights[k + 1] += f;
  }
  const centres = Float64Array.from({ length: nBins }, (_, k) => min + k * step);
  return gaussianKde(centres, grid, bandwidth, weights);
}

/** One group's violin from its values (NaN and infinities skipped). */
export function violinOf(group: string, values: ArrayLike<number>, opts: ViolinOptions = {}): ViolinGroup {
  const gridSize = opts.gridSize ?? 100;
  const exactLimit = opts.exactLimit ?? 4000;
  const finite: number[] = [];
  let zeros = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) continue;
    finite.push(v);
    if (v === 0) zeros++;
  }
  const points = opts.points !== undefined ? Float64Array.from(evenSample(finite.length, opts.points), (i) => finite[i]) : undefined;
  const sorted = Float64Array.from(finite).sort();
  const n = sorted.length;
  const base = { ...(points ? { points } : {}), group, n, min: n ? sorted[0] : NaN, max: n ? sorted[n - 1] : NaN, q1: percentileSorted(sorted, 25), median: percentileSorted(sorted, 50), q3: percentileSorted(sorted, 75), fractionZero: n ? zeros / n : NaN };
  const bandwidth = scottBandwidth(sorted);
  if (n === 0) return { ...base, bandwidth: 0, grid: new Float64Array(0), density: new Float64Array(0), width: new Float64Array(0) };
  // Seaborn draws a constant group as a single horizontal line at full width.
  if (bandwidth === 0) return { ...base, bandwidth: 0, grid: Float64Array.of(base.min), density: Float64Array.of(Infinity), width: Float64Array.of(1) };
  const grid = Float64Array.from({ length: gridSize }, (_, j) => base.min + ((base.max - base.min) * j) / (gridSize - 1));
  const density = n <= exactLimit ? gaussianKde(sorted, grid, bandwidth) : binnedKde(sorted, base.min, base.max, grid, bandwidth);
  let peak = 0;
  for (const d of density) peak = Math.max(peak, d);
  return { ...base, bandwidth, grid, density, width: density.map((d) => d / peak) };
}

/**
 * A violin per category of `codes` (-1: left out); `codes` null puts every cell in one group
 * named `allLabel`.
 */
export function violins(values: ArrayLike<number>, codes: Int32Array | null, groups: string[], opts: ViolinOptions & { allLabel?: string } = {}): ViolinGroup[] {
  if (!codes) return [violinOf(opts.allLabel ?? 'all cells', values, opts)];
  if (codes.length !== values.length) throw new Error(`${values.length} values but ${codes.length} group codes`);
  const counts = new Int32Array(groups.length);
  for (const c of codes) if (c >= 0 && c < groups.length) counts[c]++;
  const buffers = Array.from(counts, (c) => new Float64Array(c));
  const fill = new Int32Array(groups.length);
  for (let i = 0; i < codes.length; i++) {
    const c = codes[i];
    if (c >= 0 && c < groups.length) buffers[c][fill[c]++] = values[i];
  }
  return groups.map((g, k) => violinOf(g, buffers[k], opts));
}

/** What a violin plot shows: a gene's expression or a numeric obs column. */
export type ViolinSource = { kind: 'gene'; name: string } | { kind: 'column'; name: string };

export interface ViolinResult {
  groupBy: string | null;
  source: ViolinSource;
  /** The y axis: what the values are ("CD79A (log-normalised counts)", "total_counts"). */
  label: string;
  groups: ViolinGroup[];
}
