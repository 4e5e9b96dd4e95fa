// Harmony against a harmonypy run on the 700-cell fixture (../shared/fixtures/harmony, README there):
// with its initial centroids and update orders injected we follow it step for step; without them
// (our own k-means++ and shuffles) we compare by quality: batches mix, cell types stay apart.
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runHarmony, type HarmonyResult } from '../src/analysis/harmony.ts';
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
  let res: HarmonyResult;
  const get = () => {
    if (res) return res;
    const { pcs, N, d, batch } = fixture();
    const perms = npy('perms.npy');
    const y = npy('y_init.npy');
    res = runHarmony(pcs, N, d, [batch], {
      initCentroids: y.data as Float32Array,
      permutation: (call) => (perms.data as Int32Array).subarray(call * N, (call + 1) * N),
    });
    return res;
  };

  it('initial R matches r_init.npy', () => {
    const r = get();
    expect(r.K).toBe(23);
    const d = maxAbsDiff(r.rInit, npy('r_init.npy').data);
    console.log(`harmony: R init max abs diff ${d.toExponential(2)}`);
    expect(d).toBeLessThan(1e-5);
  });

  it('objectives and k-means rounds match objective.json', () => {
    const r = get();
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

  it('Z_corr matches z_corr.npy and R matches r.npy', () => {
    const r = get();
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
  it('mixes the batches and keeps the cell types apart; same seed, same bits; progress per iteration', () => {
    const { pcs, N, d, batch, labels } = fixture();
    const progress: number[] = [];
    const t0 = performance.now();
    const a = runHarmony(pcs, N, d, [batch], { seed: 0, onProgress: (p) => progress.push(p.objective) });
    console.log(`harmony: 700 cells x 50 PCs, ${a.iterations} iterations in ${(performance.now() - t0).toFixed(0)} ms`);
    expect(progress).toEqual(a.objectiveHarmony.slice(1));
    const b = runHarmony(pcs, N, d, [batch], { seed: 0 });
    expect(Buffer.from(b.zCorr.buffer).equals(Buffer.from(a.zCorr.buffer))).toBe(true);
    const c = runHarmony(pcs, N, d, [batch], { seed: 1 });
    expect(Buffer.from(c.zCorr.buffer).equals(Buffer.from(a.zCorr.buffer))).toBe(false);

    // harmonypy's compute_lisi (checked against its own values in integration-metrics.test.ts).
    const [before, labBefore] = computeLisi(pcs, N, d, [batch, labels]);
    const [after, labAfter] = computeLisi(a.zCorr, N, d, [batch, labels]);
    console.log(`harmony: median batch LISI ${median(before).toFixed(3)} -> ${median(after).toFixed(3)}; label LISI ${median(labBefore).toFixed(3)} -> ${median(labAfter).toFixed(3)}`);
    expect(median(before)).toBeLessThan(1.1);
    expect(median(after)).toBeGreaterThan(1.7);
    expect(median(labAfter)).toBeLessThan(median(labBefore) + 0.3);
  });

  it('several batch keys at once, theta per key', () => {
    const { pcs, N, d, batch } = fixture();
    const second = categorical('lane', Array.from({ length: N }, (_, i) => `l${i % 2}`));
    const r = runHarmony(pcs, N, d, [batch, second], { theta: [2, 1], seed: 1, maxIterHarmony: 3 });
    expect(r.zCorr.every(Number.isFinite)).toBe(true);
    expect(r.iterations).toBeGreaterThan(0);
  });

  it('cancels through the AbortSignal', () => {
    const { pcs, N, d, batch } = fixture();
    const ac = new AbortController();
    expect(() =>
      runHarmony(pcs, N, d, [batch], {
        signal: ac.signal,
        onProgress: () => ac.abort(new Error('stop')),
      }),
    ).toThrow('stop');
  });
});

describe('Harmony refuses bad input with a message naming it', () => {
  const N = 60;
  const d = 4;
  const X = Float64Array.from({ length: N * d }, (_, i) => Math.sin(i * 1.7) + 0.1 * (i % 7));
  const col = (name: string, f: (i: number) => string) => categorical(name, Array.from({ length: N }, (_, i) => f(i)));
  it('a batch key with one value', () => {
    expect(() => runHarmony(X, N, d, [col('sample', () => 's1')])).toThrow('batch key "sample" has only one value ("s1")');
  });
  it('a category of fewer than 3 cells', () => {
    expect(() => runHarmony(X, N, d, [col('sample', (i) => (i < 2 ? 'tiny' : 'big'))])).toThrow('batch key "sample": category "tiny" has 2 cells');
  });
  it('NaN in the embedding', () => {
    const Y = X.slice();
    Y[13] = NaN;
    expect(() => runHarmony(Y, N, d, [col('sample', (i) => `s${i % 2}`)], { embeddingName: 'obsm/X_pca' })).toThrow('obsm/X_pca has a non-finite value (NaN) at cell 3, column 1');
  });
  it('a numeric batch column', () => {
    const numeric: Column = { kind: 'numeric', name: 'n_genes', values: new Float64Array(N), dtype: 'int64' };
    expect(() => runHarmony(X, N, d, [numeric])).toThrow('batch key "n_genes" is numeric (int64)');
  });
  it('a missing batch value', () => {
    const c = col('sample', (i) => `s${i % 2}`);
    c.codes[5] = -1;
    expect(() => runHarmony(X, N, d, [c])).toThrow('batch key "sample" has a missing value (cell 5)');
  });
});
