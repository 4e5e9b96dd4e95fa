// Leading principal components of a small-dimensional embedding (d up to a few hundred): the
// d x d covariance, then power iteration with deflation. Used to show X_scGPT in 2-D before UMAP.
// Signs are fixed (largest-magnitude loading positive) so the picture is deterministic. The
// covariance (n d^2 / 2: ~4 G multiply-adds for 30k cells at d 512) is nearly all the time; its
// rows go to the worker pool in fixed blocks, each entry summing its cells in order whatever the
// thread count.
import { poolFor, ranges, runBlocks, type WorkerPool } from '../parallel/pool.ts';
import { definePoolTask } from '../parallel/tasks.ts';

export interface TopComponents {
  scores: Float32Array;
  variance: Float64Array;
}

export function topComponents(data: Float32Array, n: number, d: number, k: number, iterations = 300): TopComponents {
  const { mean, rows } = meanOf(data, n, d);
  return finish(data, n, d, k, iterations, mean, rows, covarianceRows({ data, n, d, mean }, { from: 0, to: d }));
}

/**
 * Fewest multiply-adds (n d^2 / 2) for which the covariance rows go to the pool: ~1 s on one
 * thread, about what a cold pool costs to start (the encoder on the CPU leaves it warm).
 */
export const COV_SMALL_POOL_MIN = 1_000_000_000;

/** Covariance rows per pool block. */
const ROW_BLOCK = 16;

/** As topComponents, with the covariance rows on `pool` (identical results). */
export async function topComponentsAsync(data: Float32Array, n: number, d: number, k: number, opts: { pool?: WorkerPool | null; signal?: AbortSignal; poolMinWork?: number } = {}): Promise<TopComponents> {
  const { mean, rows } = meanOf(data, n, d);
  const pool = poolFor(opts.pool, (n * d * d) / 2, opts.poolMinWork ?? COV_SMALL_POOL_MIN);
  const blocks = ranges(d, ROW_BLOCK);
  const parts = await runBlocks<Float64Array>(pool, 'cov-small', { data: pool ? pool.share(data) : data, n, d, mean }, blocks, { signal: opts.signal });
  const cov = new Float64Array(d * d);
  parts.forEach((part, b) => cov.set(part, blocks[b].from * d));
  return finish(data, n, d, k, 300, mean, rows, cov);
}

function meanOf(data: Float32Array, n: number, d: number): { mean: Float64Array; rows: number } {
  const mean = new Float64Array(d);
  let rows = 0;
  for (let i = 0; i < n; i++) {
    if (Number.isNaN(data[i * d])) continue; // cells without an embedding
    rows++;
    for (let j = 0; j < d; j++) mean[j] += data[i * d + j];
  }
  for (let j = 0; j < d; j++) mean[j] /= Math.max(rows, 1);
  return { mean, rows };
}

/** Power iteration with deflation on the covariance's upper triangle (sums of products, not yet divided). */
function finish(data: Float32Array, n: number, d: number, k: number, iterations: number, mean: Float64Array, rows: number, cov: Float64Array): TopComponents {
  for (let a = 0; a < d; a++) for (let b = a; b < d; b++) cov[b * d + a] = cov[a * d + b] /= Math.max(rows - 1, 1);
  const vectors: Float64Array[] = [];
  const variance = new Float64Array(k);
  for (let c = 0; c < k; c++) {
    let v = new Float64Array(d).map((_, j) => 1 / Math.sqrt(d) + j * 1e-3);
    let lambda = 0;
    for (let it = 0; it < iterations; it++) {
      const w = new Float64Array(d);
      for (let a = 0; a < d; a++) {
        let s = 0;
        for (let b = 0; b < d; b++) s += cov[a * d + b] * v[b];
        w[a] = s;
      }
      for (const u of vectors) {
        let dot = 0;
        for (let j = 0; j < d; j++) dot += w[j] * u[j];
        for (let j = 0; j < d; j++) w[j] -= dot * u[j];
      }
      const norm = Math.hypot(...w);
      if (norm === 0) break;
      lambda = norm;
      v = w.map((t) => t / norm);
    }
    let big = 0;
    for (let j = 0; j < d; j++) if (Math.abs(v[j]) > Math.abs(v[big])) big = j;
    if (v[big] < 0) v = v.map((t) => -t);
    vectors.push(v);
    variance[c] = lambda;
  }
  const scores = new Float32Array(n * k).fill(NaN);
  for (let i = 0; i < n; i++) {
    if (Number.isNaN(data[i * d])) continue;
    for (let c = 0; c < k; c++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += (data[i * d + j] - mean[j]) * vectors[c][j];
      scores[i * k + c] = s;
    }
  }
  return { scores, variance };
}

/** Cells per pass over the covariance rows: their centred values, transposed, stay in cache. */
const CELL_BLOCK = 64;

/**
 * Rows [from, to) of sum over cells of x x^T (entries b >= a; x = row - mean; rows starting with
 * NaN are cells without an embedding, left out), [to - from, d]. Cells are taken CELL_BLOCK at a
 * time, and each entry adds its cells' terms in cell order into one accumulator: the bits of one
 * rank-1 update per cell, without streaming the whole matrix through the cache once per cell.
 */
export function covarianceRows(ctx: { data: Float32Array; n: number; d: number; mean: Float64Array }, r: { from: number; to: number }): Float64Array {
  const { data, n, d, mean } = ctx;
  const { from, to } = r;
  const out = new Float64Array((to - from) * d);
  const xt = new Float64Array(d * CELL_BLOCK); // [gene][cell of the block]
  for (let i0 = 0; i0 < n; ) {
    let cb = 0;
    for (; i0 < n && cb < CELL_BLOCK; i0++) {
      if (Number.isNaN(data[i0 * d])) continue;
      for (let j = 0; j < d; j++) xt[j * CELL_BLOCK + cb] = data[i0 * d + j] - mean[j];
      cb++;
    }
    for (let a = from; a < to; a++) {
      const xa = a * CELL_BLOCK;
      const row = (a - from) * d;
      let b = a;
      // Two entries at a time share the loads of column a (each still sums its cells in order).
      for (; b + 1 < d; b += 2) {
        const xb = b * CELL_BLOCK;
        let s0 = out[row + b];
        let s1 = out[row + b + 1];
        for (let c = 0; c < cb; c++) {
          const v = xt[xa + c];
          s0 += v * xt[xb + c];
          s1 += v * xt[xb + CELL_BLOCK + c];
        }
        out[row + b] = s0;
        out[row + b + 1] = s1;
      }
      if (b < d) {
        const xb = b * CELL_BLOCK;
        let s = out[row + b];
        for (let c = 0; c < cb; c++) s += xt[xa + c] * xt[xb + c];
        out[row + b] = s;
      }
    }
  }
  return out;
}

definePoolTask('cov-small', (c: Parameters<typeof covarianceRows>[0], r: { from: number; to: number }) => {
  const result = covarianceRows(c, r);
  return { result, transfer: [result.buffer as ArrayBuffer] };
});
