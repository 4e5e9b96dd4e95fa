// lanczosEigen's steps: whole steps per dispatch on the pool, the workers meeting at a barrier.
import { afterAll, describe, expect, it } from 'vitest';
import { lanczosEigen } from '../src/analysis/pca.ts';
import { nodePool } from '../src/analysis/pool-node.ts';
import { CancelledError } from '../src/io/errors.ts';
import { mulberry32 } from '../src/model/random.ts';

const pools = [null, nodePool(2), nodePool(3)];
afterAll(() => pools.forEach((p) => p?.terminate()));
const bytes = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

/** C = H2 H1 diag(lambda) H1 H2 (H: Householder reflections of random vectors): known eigenvalues. */
function known(lambda: number[], p: number, seed: number): Float64Array {
  const rng = mulberry32(seed);
  const C = new Float64Array(p * p);
  for (let i = 0; i < p; i++) C[i * p + i] = lambda[i] ?? 0;
  for (let h = 0; h < 2; h++) {
    const u = Float64Array.from({ length: p }, () => rng() - 0.5);
    let n = 0;
    for (const x of u) n += x * x;
    for (let i = 0; i < p; i++) u[i] /= Math.sqrt(n);
    // C <- H C H, H = I - 2 u u^T.
    const Cu = new Float64Array(p);
    for (let i = 0; i < p; i++) for (let j = 0; j < p; j++) Cu[i] += C[i * p + j] * u[j];
    let uCu = 0;
    for (let i = 0; i < p; i++) uCu += u[i] * Cu[i];
    for (let i = 0; i < p; i++) for (let j = 0; j < p; j++) C[i * p + j] += -2 * u[i] * Cu[j] - 2 * Cu[i] * u[j] + 4 * uCu * u[i] * u[j];
  }
  // Exactly symmetric, as the covariances are.
  for (let i = 0; i < p; i++) for (let j = i + 1; j < p; j++) C[j * p + i] = C[i * p + j];
  return C;
}

function residual(C: Float64Array, p: number, value: number, v: Float64Array): number {
  let r = 0;
  for (let i = 0; i < p; i++) {
    let s = 0;
    for (let j = 0; j < p; j++) s += C[i * p + j] * v[j];
    r += (s - value * v[i]) ** 2;
  }
  return Math.sqrt(r);
}

describe('lanczosEigen', () => {
  // 700: three blocks (one per worker on 3, split 1 + 2 on 2); 517: a last block of 5 rows (rows
  // left over from the mat-vec's quads) and an odd length everywhere.
  it.each([700, 517])('a dense matrix of known spectrum (p %i): eigenvalues to 1e-12, the same bits on 1, 2 and 3 threads', async (p) => {
    const lambda = Array.from({ length: p }, (_, i) => 10 / (1 + i) + (i % 7) * 1e-3);
    const C = known(lambda, p, 5);
    const want = [...lambda].sort((a, b) => b - a);
    const runs = [];
    for (const pool of pools) runs.push(await lanczosEigen({ C, p }, 12, { pool, poolMinDims: 0 }));
    for (let c = 0; c < 12; c++) {
      expect(Math.abs(runs[0].values[c] - want[c]) / want[0], `eigenvalue ${c}`).toBeLessThan(1e-12);
      expect(residual(C, p, runs[0].values[c], runs[0].vectors.subarray(c * p, (c + 1) * p)) / want[0], `residual ${c}`).toBeLessThan(1e-6);
    }
    for (const r of runs.slice(1)) {
      expect(bytes(r.values).equals(bytes(runs[0].values))).toBe(true);
      expect(bytes(r.vectors).equals(bytes(runs[0].vectors))).toBe(true);
    }
  });

  it('rank 5 of 600 (the Krylov space ends, |w - Q d2| summed rather than by Pythagoras): the 5 pairs, the same bits on 1, 2 and 3 threads', async () => {
    const p = 600;
    const C = known([5, 4, 3, 2, 1], p, 9);
    const runs = [];
    for (const pool of pools) runs.push(await lanczosEigen({ C, p }, 8, { pool, poolMinDims: 0 }));
    const { values, vectors } = runs[0];
    expect(values.length).toBeGreaterThanOrEqual(5);
    for (let c = 0; c < 5; c++) {
      expect(Math.abs(values[c] - (5 - c)), `eigenvalue ${c}`).toBeLessThan(1e-12);
      expect(residual(C, p, values[c], vectors.subarray(c * p, (c + 1) * p)), `residual ${c}`).toBeLessThan(1e-9);
    }
    for (const r of runs.slice(1)) {
      expect(bytes(r.values).equals(bytes(values))).toBe(true);
      expect(bytes(r.vectors).equals(bytes(vectors))).toBe(true);
    }
  });

  it('cancel during the steps stops the workers (no one left at the barrier) and the pool works again', async () => {
    const p = 700;
    const C = known(Array.from({ length: p }, (_, i) => 1 / (1 + i) ** 0.3), p, 3);
    const pool = pools[2]!;
    const ctl = new AbortController();
    let messages = 0;
    const run = lanczosEigen({ C, p }, 20, { pool, poolMinDims: 0, signal: ctl.signal, onProgress: () => ++messages === 3 && ctl.abort() });
    await expect(run).rejects.toBeInstanceOf(CancelledError);
    const again = await lanczosEigen({ C, p }, 5, { pool, poolMinDims: 0 });
    const inline = await lanczosEigen({ C, p }, 5);
    expect(bytes(again.vectors).equals(bytes(inline.vectors))).toBe(true);
  });
});
