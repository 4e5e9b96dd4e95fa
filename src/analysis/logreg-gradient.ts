// The logistic-regression loss and gradient over sparse log-expression rows, in row blocks on the
// worker pool. CellTypist scales each gene, z = min(clip, (x - mean) / scale); a zero becomes
// c = -mean / scale, so the scaled matrix is V + 1 c^T with V sparse (the stored entries, shifted
// by -c) and never made dense: x·w = V·w + c·w, and X^T r = V^T r + c (1^T r). Blocks have a
// fixed number of rows whatever the pool's size, their partial sums are added in block order on
// this thread, and a block's own loop runs in row order: the same bits for any number of threads.
import type { CsrArrays } from '../io/csr.ts';
import { openJob, ranges, type WorkerPool } from '../parallel/pool.ts';
import { definePoolTask } from '../parallel/tasks.ts';

/** Rows per pool block (independent of the thread count, so results are too). */
export const GRADIENT_BLOCK = 2048;

export interface GradientContext {
  indptr: Float64Array;
  indices: Uint32Array;
  data: Float32Array | Float64Array;
  /** Class code per row. */
  y: Int32Array;
  nClasses: number;
  nFeatures: number;
  /** 1 / scale per feature. */
  inv: Float64Array;
  /** Per feature, the largest shifted value: clip + mean / scale (a stored x gives min(x / scale, cap)). */
  cap: Float64Array;
  multinomial: boolean;
  /** Parameters (shared memory, updated before each run) when the pool shares memory; else sent with each block. */
  theta: Float64Array | null;
}

/** A block: rows [from, to) of the matrix, or the rows listed in `rows` (a mini-batch's share). */
export interface GradientBlock {
  from: number;
  to: number;
  rows?: Int32Array;
  /** b_c + c·w_c per class: each row's decision before its stored entries. */
  base: Float64Array;
  theta?: Float64Array;
}

/**
 * Parameters are feature-major: theta[j * K + c] is class c's weight on feature j, then K
 * intercepts. The block's result: sum over its rows of x_shifted r^T ([p * K], feature-major), then
 * sum of r per class [K], then the summed loss; r = p - y, the loss's derivative in the decision.
 */
export function gradientBlock(ctx: GradientContext, b: GradientBlock): Float64Array {
  const { indptr, indices, data, y, nClasses: K, nFeatures: p, inv, cap, multinomial } = ctx;
  const theta = b.theta ?? ctx.theta!;
  const out = new Float64Array(p * K + K + 1);
  const z = new Float64Array(K);
  const r = new Float64Array(K);
  let loss = 0;
  const n = b.rows ? b.rows.length : b.to - b.from;
  for (let t = 0; t < n; t++) {
    const i = b.rows ? b.rows[t] : b.from + t;
    const a0 = indptr[i] | 0;
    const a1 = indptr[i + 1] | 0;
    for (let c = 0; c < K; c++) z[c] = b.base[c];
    for (let a = a0; a < a1; a++) {
      const j = indices[a];
      let v = data[a] * inv[j];
      if (v > cap[j]) v = cap[j];
      const w = j * K;
      for (let c = 0; c < K; c++) z[c] += v * theta[w + c];
    }
    const yi = y[i];
    if (multinomial) {
      let max = -Infinity;
      for (let c = 0; c < K; c++) if (z[c] > max) max = z[c];
      let sum = 0;
      for (let c = 0; c < K; c++) sum += r[c] = Math.exp(z[c] - max);
      const lse = max + Math.log(sum);
      loss += lse - z[yi];
      for (let c = 0; c < K; c++) r[c] /= sum;
      r[yi] -= 1;
    } else {
      for (let c = 0; c < K; c++) {
        const zc = z[c];
        // log(1 + e^z) - [c = y] z, and its derivative sigmoid(z) - [c = y], without overflow.
        const e = Math.exp(-Math.abs(zc));
        loss += (zc > 0 ? zc : 0) + Math.log1p(e) - (c === yi ? zc : 0);
        r[c] = (zc >= 0 ? 1 / (1 + e) : e / (1 + e)) - (c === yi ? 1 : 0);
      }
    }
    for (let a = a0; a < a1; a++) {
      const j = indices[a];
      let v = data[a] * inv[j];
      if (v > cap[j]) v = cap[j];
      const w = j * K;
      for (let c = 0; c < K; c++) out[w + c] += v * r[c];
    }
    for (let c = 0; c < K; c++) out[p * K + c] += r[c];
  }
  out[p * K + K] = loss;
  return out;
}

definePoolTask('logreg-gradient', (ctx: GradientContext, b: GradientBlock) => {
  const result = gradientBlock(ctx, b);
  return { result, transfer: [result.buffer as ArrayBuffer] };
});

export interface ScaledRows {
  x: CsrArrays;
  y: Int32Array;
  nClasses: number;
  /** StandardScaler's mean_ and scale_, and CellTypist's clip (10). */
  mean: Float64Array;
  scale: Float64Array;
  clip: number;
}

export interface GradientRun {
  signal?: AbortSignal;
  /** Per finished block (progress inside one evaluation). */
  onBlock?: (done: number, total: number) => void;
}

/**
 * What the solvers need of a gradient: the summed loss over all rows (null) or listed rows, its
 * gradient written into `grad` (theta's layout). GradientJob (the CPU pool, float64) and
 * WebGpuGradient (tfjs on WebGPU, float32; logreg-webgpu.ts) are the two.
 */
export interface GradientEngine {
  readonly nParams: number;
  readonly precision: 'float64' | 'float32';
  evaluate(theta: Float64Array, grad: Float64Array, rows: Int32Array | null, run?: GradientRun): Promise<number>;
  close(): void;
}

/** Each class's decision before a row's stored entries: b_c + c·w_c (theta: [p x K] then K intercepts). Every gradient engine starts from it. */
export function decisionBase(theta: Float64Array, shift: Float64Array, p: number, K: number): Float64Array {
  const base = new Float64Array(K);
  for (let c = 0; c < K; c++) {
    let s = theta[p * K + c];
    for (let j = 0; j < p; j++) s += shift[j] * theta[j * K + c];
    base[c] = s;
  }
  return base;
}

/**
 * The gradient from summed block results (V^T r [p x K], then 1^T r [K]): X^T r = V^T r + c (1^T r),
 * and the intercepts' gradient is 1^T r. Written into `grad`.
 */
export function foldCentering(sums: Float64Array, shift: Float64Array, p: number, K: number, grad: Float64Array): void {
  for (let j = 0; j < p; j++) {
    const w = j * K;
    for (let c = 0; c < K; c++) grad[w + c] = sums[w + c] + shift[j] * sums[p * K + c];
  }
  for (let c = 0; c < K; c++) grad[p * K + c] = sums[p * K + c];
}

/**
 * Loss and gradient of the unpenalised log-loss summed over rows (or a subset), on one pool job
 * that lives as long as the fit: the matrix reaches each worker once.
 */
export class GradientJob implements GradientEngine {
  readonly nParams: number;
  readonly precision = 'float64' as const;
  private readonly job: ReturnType<typeof openJob>;
  private readonly shared: Float64Array | null;
  private readonly shift: Float64Array;
  private readonly K: number;
  private readonly p: number;

  constructor(
    readonly data: ScaledRows,
    multinomial: boolean,
    pool: WorkerPool | null | undefined,
  ) {
    const { x, nClasses: K, mean, scale, clip } = data;
    const p = x.nCols;
    this.K = K;
    this.p = p;
    this.nParams = p * K + K;
    const inv = scale.map((s) => 1 / s);
    // Shifted values: z - c = (x - mean) / scale + mean / scale, clipped where z > clip.
    const cap = mean.map((m, j) => clip + m * inv[j]);
    this.shift = mean.map((m, j) => -m * inv[j]);
    const usePool = !!pool && pool.size > 1;
    // Inline, ctx is this very object: updating theta in place reaches the task too.
    const inPlace = !usePool || pool.shared;
    this.shared = inPlace ? (usePool ? pool.alloc(Float64Array, this.nParams) : new Float64Array(this.nParams)) : null;
    const share = <T extends Float32Array | Float64Array | Int32Array | Uint32Array>(a: T): T => (usePool ? pool.share(a) : a);
    const ctx: GradientContext = {
      indptr: share(x.indptr),
      indices: share(x.indices),
      data: share(x.data as Float32Array | Float64Array),
      y: share(data.y),
      nClasses: K,
      nFeatures: p,
      inv,
      cap,
      multinomial,
      theta: this.shared,
    };
    this.job = openJob(pool, 'logreg-gradient', ctx as unknown as Record<string, unknown>);
  }

  /**
   * Writes into `grad` the gradient of sum-of-losses over `rows` (all rows when null) at `theta`,
   * and returns that sum. Blocks: GRADIENT_BLOCK rows, or `miniBlock` of a listed subset.
   */
  async evaluate(theta: Float64Array, grad: Float64Array, rows: Int32Array | null, run: GradientRun = {}, miniBlock = 256): Promise<number> {
    const { K, p } = this;
    const base = decisionBase(theta, this.shift, p, K);
    if (this.shared) this.shared.set(theta);
    const own = this.shared ? undefined : theta;
    const blocks: GradientBlock[] = rows
      ? ranges(rows.length, miniBlock).map((r) => ({ ...r, rows: rows.slice(r.from, r.to), base, theta: own }))
      : ranges(this.data.x.nRows, GRADIENT_BLOCK).map((r) => ({ ...r, base, theta: own }));
    const parts = await this.job.run<Float64Array>(blocks, { signal: run.signal, onBlock: run.onBlock });
    const total = new Float64Array(p * K + K + 1);
    for (const part of parts) for (let i = 0; i < total.length; i++) total[i] += part[i];
    foldCentering(total, this.shift, p, K, grad);
    return total[p * K + K];
  }

  close(): void {
    this.job.close();
  }
}
