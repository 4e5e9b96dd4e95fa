// Harmony against a harmonypy run on the 700-cell fixture (../shared/fixtures/harmony, README there):
// with its initial centroids and update orders injected we follow it step for step; without them
// (our own k-means++ and shuffles) we compare by quality: batches mix, cell types stay apart.
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkBatchKeys, runHarmony, type HarmonyOptions, type HarmonyResult } from '../src/analysis/harmony.ts';
import { CancelledError } from '../src/io/errors.ts';
import { computeLisi } from '../src/analysis/integration-metrics.ts';
import { parseNpy } from '../src/io/npy.ts';
import type { CategoricalColumn, Column } from '../src/io/types.ts';
import { shared } from './helpers.ts';

const dir = (f: string) => shared('fixtures', 'harmony', f);
const have = existsSync(dir('pcs.npy'));
const npy = (f: string) => parseNpy(new Uint8Array(readFileSync(dir(f))));

function categorical(name: string, values: string[]): CategoricalColumn {
  const categories = [...new Set(values)].sort();
  const index = new Map(categories.map((c, i) => [c, i]));
  return { kind: 'categorical', name, codes: Int32Array.from(values, (v) => index.get(v)!), categories, ordered: false, dtype: 'category' };
}

function fixture() {
  const pcs = npy('pcs.npy');
  const [N, d] = pcs.shape;
  const rows = readFileSync(dir('meta.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
  return {
    pcs: pcs.data as Float32Array,
    N,
    d,
    batch: categorical('batch', rows.map((r) => r[1])),
    labels: categorical('bulk_labels', rows.map((r) => r[2])),
  };
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

const median = (a: Float64Array) => {
  const s = Float64Array.from(a).sort();
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

describe.runIf(have || process.env.CI)('Harmony follows harmonypy (y_init and perms injected)', () => {
  let res: Promise<HarmonyResult>;
  const get = () => {
    if (res) return res;
    const { pcs, N, d, batch } = fixture();
    const perms = npy('perms.npy');
    const y = npy('y_init.npy');
    res = runHarmony(pcs, N, d, [batch], {
      keepInitialR: true,
      initCentroids: y.data as Float32Array,
      permutation: (call) => (perms.data as Int32Array).subarray(call * N, (call + 1) * N),
    });
    return res;
  };

  it('initial R matches r_init.npy', async () => {
    const r = await get();
    expect(r.K).toBe(23);
    const d = maxAbsDiff(r.rInit!, npy('r_init.npy').data);
    console.log(`harmony: R init max abs diff ${d.toExponential(2)}`);
    expect(d).toBeLessThan(1e-5);
  });

  it('objectives and k-means rounds match objective.json', async () => {
    const r = await get();
    const ref = JSON.parse(readFileSync(dir('objective.json'), 'utf8')) as { objective_harmony: number[]; objective_kmeans: number[]; kmeans_rounds: number[] };
    expect(r.kmeansRounds).toEqual(ref.kmeans_rounds);
    expect(r.objectiveKmeans.length).toBe(ref.objective_kmeans.length);
    expect(r.objectiveHarmony.length).toBe(ref.objective_harmony.length);
    const rel = (a: number[], b: number[]) => Math.max(...a.map((x, i) => Math.abs(x - b[i]) / Math.abs(b[i])));
    const dk = rel(r.objectiveKmeans, ref.objective_kmeans);
    const dh = rel(r.objectiveHarmony, ref.objective_harmony);
    console.log(`harmony: objective max rel diff kmeans ${dk.toExponential(2)}, harmony ${dh.toExponential(2)}; abs ${maxAbsDiff(r.objectiveKmeans, ref.objective_kmeans).toExponential(2)}`);
    expect(dk).toBeLessThan(1e-5);
    expect(dh).toBeLessThan(1e-5);
    expect(r.iterations).toBe(8);
    expect(r.converged).toBe(true);
  });

  it('Z_corr matches z_corr.npy and R matches r.npy', async () => {
    const r = await get();
    const dz = maxAbsDiff(r.zCorr, npy('z_corr.npy').data);
    const dr = maxAbsDiff(r.R, npy('r.npy').data);
    console.log(`harmony: Z_corr max abs diff ${dz.toExponential(2)}, R ${dr.toExponential(2)}`);
    expect(dz).toBeLessThan(2e-4);
    // R is a softmax with sigma 0.1: float32 rounding in harmonypy shows up most there.
    expect(dr).toBeLessThan(1e-3);
  });
});

describe.runIf(have || process.env.CI)('Harmony on its own (k-means++ and shuffles seeded)', () => {
  // (Some seeds stop early, as harmonypy would: its convergence test also stops when the objective rises.)
  it('mixes the batches and keeps the cell types apart; same seed, same bits; progress per iteration', async () => {
    const { pcs, N, d, batch, labels } = fixture();
    const progress: number[] = [];
    const t0 = performance.now();
    const a = await runHarmony(pcs, N, d, [batch], { seed: 0, onProgress: (p) => p.kind === 'iteration' && progress.push(p.objective) });
    console.log(`harmony: 700 cells x 50 PCs, ${a.iterations} iterations in ${(performance.now() - t0).toFixed(0)} ms`);
    expect(progress).toEqual(a.objectiveHarmony.slice(1));
    const b = await runHarmony(pcs, N, d, [batch], { seed: 0 });
    expect(Buffer.from(b.zCorr.buffer).equals(Buffer.from(a.zCorr.buffer))).toBe(true);
    const c = await runHarmony(pcs, N, d, [batch], { seed: 1 });
    expect(Buffer.from(c.zCorr.buffer).equals(Buffer.from(a.zCorr.buffer))).toBe(false);

    // harmonypy's compute_lisi (checked against its own values in integration-metrics.test.ts).
    const [before, labBefore] = computeLisi(pcs, N, d, [batch, labels]);
    const [after, labAfter] = computeLisi(a.zCorr, N, d, [batch, labels]);
    console.log(`harmony: median batch LISI ${median(before).toFixed(3)} -> ${median(after).toFixed(3)}; label LISI ${median(labBefore).toFixed(3)} -> ${median(labAfter).toFixed(3)}`);
    expect(median(before)).toBeLessThan(1.1);
    expect(median(after)).toBeGreaterThan(1.7);
    expect(median(labAfter)).toBeLessThan(median(labBefore) + 0.3);
  });

  it('several batch keys at once, theta per key', async () => {
    const { pcs, N, d, batch } = fixture();
    const second = categorical('lane', Array.from({ length: N }, (_, i) => `l${i % 2}`));
    const r = await runHarmony(pcs, N, d, [batch, second], { theta: [2, 1], seed: 1, maxIterHarmony: 3 });
    expect(r.zCorr.every(Number.isFinite)).toBe(true);
    expect(r.iterations).toBeGreaterThan(0);
  });

  it('cancels through the AbortSignal', async () => {
    const { pcs, N, d, batch } = fixture();
    const ac = new AbortController();
    const kinds: string[] = [];
    await expect(
      runHarmony(pcs, N, d, [batch], {
        signal: ac.signal,
        onProgress: (p) => {
          kinds.push(p.kind);
          if (p.kind === 'iteration') ac.abort();
        },
      }),
    ).rejects.toBeInstanceOf(CancelledError);
    expect(kinds.filter((k) => k === 'iteration')).toEqual(['iteration']);
    // Already aborted: refused before any work.
    await expect(runHarmony(pcs, N, d, [batch], { signal: ac.signal })).rejects.toBeInstanceOf(CancelledError);
  });
});

describe('Harmony refuses bad input with a message naming it, before computing anything', () => {
  const N = 60;
  const d = 4;
  const X = Float64Array.from({ length: N * d }, (_, i) => Math.sin(i * 1.7) + 0.1 * (i % 7));
  const col = (name: string, f: (i: number) => string) => categorical(name, Array.from({ length: N }, (_, i) => f(i)));
  const refuses = (x: ArrayLike<number>, cols: Column[], message: string | RegExp, opts: HarmonyOptions = {}) => expect(runHarmony(x, N, d, cols, opts)).rejects.toThrow(message);
  it('a batch key with one value', async () => {
    await refuses(X, [col('sample', () => 's1')], 'batch key "sample" has only one value ("s1"): Harmony needs at least 2 batches');
  });
  it('a category of fewer than 3 cells', async () => {
    await refuses(X, [col('sample', (i) => (i < 2 ? 'tiny' : i < 3 ? 'one' : 'big'))], /batch key "sample": category "one" has 1 cell, category "tiny" has 2 cells; every batch needs at least 3: merge/);
  });
  it('NaN and infinities in the embedding, counted by cell', async () => {
    const Y = X.slice();
    Y[13] = NaN;
    Y[14] = Infinity;
    Y[41] = -Infinity;
    await refuses(Y, [col('sample', (i) => `s${i % 2}`)], 'obsm/X_pca has NaN or infinite values in 2 cells (first: cell 3, column 1: NaN); Harmony needs finite coordinates: recompute obsm/X_pca or drop those cells', { embeddingName: 'obsm/X_pca' });
    const Z = X.slice();
    Z.fill(0, 8, 12);
    await refuses(Z, [col('sample', (i) => `s${i % 2}`)], 'obsm/X_pca has 1 cell whose coordinates are all zero (first: cell 2)', { embeddingName: 'obsm/X_pca' });
  });
  it('a numeric batch column, with the reason and how to convert it', async () => {
    const numeric: Column = { kind: 'numeric', name: 'n_genes', values: new Float64Array(N), dtype: 'int64' };
    await refuses(X, [numeric], /^batch key "n_genes" is numeric \(int64\): Harmony needs batch labels.*convert the column to categories first/);
  });
  it('a missing batch value', async () => {
    const c = col('sample', (i) => `s${i % 2}`);
    c.codes[5] = -1;
    c.codes[9] = -1;
    await refuses(X, [c], 'batch key "sample" has no value for 2 of the 60 cells (the first is cell 5)');
  });
  it('checkBatchKeys reports every problem of every key at once, and encodes good keys', () => {
    const numeric: Column = { kind: 'numeric', name: 'n_genes', values: new Float64Array(N), dtype: 'float32' };
    let message = '';
    try {
      checkBatchKeys([col('sample', () => 's1'), numeric, col('lane', (i) => (i === 0 ? 'x' : 'y'))], N);
    } catch (e) {
      message = (e as Error).message;
    }
    const lines = message.split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^batch key "sample" has only one value/);
    expect(lines[1]).toMatch(/^batch key "n_genes" is numeric \(float32\)/);
    expect(lines[2]).toMatch(/^batch key "lane": category "x" has 1 cell;/);
    // Unused categories are dropped; text columns become categories in order of appearance.
    const cat: Column = { kind: 'categorical', name: 'b', codes: Int32Array.from({ length: N }, (_, i) => (i % 2) * 2), categories: ['p', 'unused', 'q'], ordered: false, dtype: 'category' };
    const text: Column = { kind: 'string', name: 't', values: Array.from({ length: N }, (_, i) => (i % 3 ? 'v' : 'u')), dtype: 'string' };
    const [a, b] = checkBatchKeys([cat, text], N);
    expect(a.categories).toEqual(['p', 'q']);
    expect(a.counts).toEqual([30, 30]);
    expect(Array.from(a.codes.subarray(0, 4))).toEqual([0, 1, 0, 1]);
    expect(b.categories).toEqual(['u', 'v']);
    expect(b.counts).toEqual([20, 40]);
  });
});
