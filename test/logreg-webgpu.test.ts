// Logistic regression's gradient on tfjs's WebGPU backend (Dawn in Node; SwiftShader in CI, see
// the Makefile's GPU_ENV) against the float64 CPU gradient: relative error on synthetic cells and
// on pbmc68k, the same bits twice, an L-BFGS fit that predicts as the CPU fit does, SGD, cancel,
// no tensors left behind, `scweb annotate --backend`; and where the engine is chosen (no GPU needed). Small shapes: SwiftShader
// runs on the CPU.
import * as tf from '@tensorflow/tfjs-core';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stratifiedHalf } from '../src/analysis/annotate.ts';
import { logNormMatrix } from '../src/analysis/expression.ts';
import { bestOf, decisionFunction, probabilities } from '../src/analysis/linear-predict.ts';
import { fitLogisticRegression, selectColumns, standardScaler, type LogRegParams } from '../src/analysis/logistic-regression.ts';
import { blockRows, residentBytes } from '../src/analysis/logreg-blocks.ts';
import { GPU_MEMORY_BUDGET, GPU_MIN_WORK, chooseEngine } from '../src/analysis/logreg-engine.ts';
import { GradientJob, type ScaledRows } from '../src/analysis/logreg-gradient.ts';
import { CHUNK_ROWS, WebGpuGradient, loadTfjsWebGPU } from '../src/analysis/logreg-webgpu.ts';
import { labelColumn } from '../src/analysis/mapping.ts';
import { main } from '../src/cli/main.ts';
import type { CsrArrays } from '../src/io/csr.ts';
import { CancelledError } from '../src/io/errors.ts';
import { totalCountsPerCell } from '../src/io/iterate.ts';
import { openPaths } from '../src/io/node.ts';
import { installNodeWebGPU } from '../src/model/node-gpu.ts';
import { shared } from './helpers.ts';
import { synthetic } from './logreg-fixture.ts';

const ready = (await installNodeWebGPU()).ok && (await loadTfjsWebGPU());
if (!ready && process.env.CI) throw new Error('no WebGPU adapter in Node: run with LD_LIBRARY_PATH=/usr/lib/chromium VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json (make unit does)');
const GPU = { adapter: 'test adapter', force: true };
const skipped = ready ? '' : ' (skipped: no WebGPU adapter; set the SwiftShader environment of `make unit`)';

function relError(a: Float64Array, b: Float64Array): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return Math.sqrt(num / den);
}

const bytes = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

function rowsOf(x: CsrArrays, y: Int32Array, K: number): ScaledRows {
  const { mean, scale } = standardScaler(x);
  return { x, y, nClasses: K, mean, scale, clip: 10 };
}

/** GPU and CPU loss and gradient at theta (all rows or listed ones). */
async function both(rows: ScaledRows, multinomial: boolean, theta: Float64Array, listed: Int32Array | null, rowsPerBlock?: number) {
  const cpu = new GradientJob(rows, multinomial, null);
  const gpu = await WebGpuGradient.create(rows, multinomial, { resident: true, rowsPerBlock });
  try {
    const gc = new Float64Array(theta.length);
    const gg = new Float64Array(theta.length);
    const fc = await cpu.evaluate(theta, gc, listed);
    const fg = await gpu.evaluate(theta, gg, listed);
    const again = new Float64Array(theta.length);
    const fg2 = await gpu.evaluate(theta, again, listed);
    return { fc, fg, gc, gg, same: fg2 === fg && bytes(again).equals(bytes(gg)) };
  } finally {
    cpu.close();
    gpu.close();
  }
}

/** Test cells' best labels under a model (columns as trained). */
async function predict(model: Awaited<ReturnType<typeof fitLogisticRegression>>['model'], x: CsrArrays, genes: string[]): Promise<Int32Array> {
  const pos = new Map(genes.map((g, j) => [g, j]));
  const keep = new Int32Array(genes.length).fill(-1);
  model.features.forEach((g, i) => (keep[pos.get(g)!] = i));
  const d = await decisionFunction(model, selectColumns(x, keep, model.features.length));
  return bestOf(probabilities(d, model.classes.length, model.multiClass, 1), model.classes.length).best;
}

describe.skipIf(!ready)(`logistic-regression gradient on WebGPU${skipped}`, () => {
  const K = 4;
  const p = 40;
  const { x, y, xTest, yTest } = synthetic(700, p, K);
  const rows = rowsOf(x, y, K);
  const P = p * K + K;
  const theta = Float64Array.from({ length: P }, (_, i) => (((i * 7919) % 101) - 50) / 400);

  it.each([
    ['multinomial', true],
    ['one-vs-rest', false],
  ] as const)('%s: float32 within 1e-5 of the float64 gradient, over 3 blocks (the last padded) and over listed rows in 2 chunks; the same bits twice', async (_, multinomial) => {
    for (const t of [new Float64Array(P), theta]) {
      const all = await both(rows, multinomial, t, null, 256);
      expect(relError(all.gg, all.gc)).toBeLessThan(1e-5);
      expect(Math.abs(all.fg - all.fc) / all.fc).toBeLessThan(1e-6);
      expect(all.same).toBe(true);
      // A mini-batch's rows, more than a chunk: repeated and out of order as SGD's shuffles give them.
      const listed = Int32Array.from({ length: CHUNK_ROWS + 100 }, (_, i) => (i * 389) % x.nRows);
      const sub = await both(rows, multinomial, t, listed);
      expect(relError(sub.gg, sub.gc)).toBeLessThan(1e-5);
      expect(Math.abs(sub.fg - sub.fc) / sub.fc).toBeLessThan(1e-6);
      expect(sub.same).toBe(true);
    }
  }, 120_000);

  it('pbmc68k (bulk_labels, every gene): float32 within 1e-4 of the float64 gradient at zero and along a fit', async () => {
    const ds = await openPaths([shared('data/pbmc68k_reduced_with_counts.h5ad')]);
    const lab = labelColumn(ds, 'bulk_labels');
    const key = ds.countsKey!;
    const train = stratifiedHalf(lab.codes, 0);
    const genes = ds.varNamesOf(key);
    const xp = await logNormMatrix(ds, key, train, await totalCountsPerCell(ds, key), Int32Array.from(genes, (_, i) => i));
    const yp = Int32Array.from(lab.codes.filter((_, i) => train[i]));
    ds.close();
    const Kp = lab.categories.length;
    const real = rowsOf(xp, yp, Kp);
    const Pp = xp.nCols * Kp + Kp;
    // A point along the way: a few CPU iterations (the scaler's zero-variance genes give scale 1).
    const short = await fitLogisticRegression(xp, yp, lab.categories, genes, { multiClass: 'multinomial', C: 1, solver: 'lbfgs', featureSelection: false, topGenes: 300, seed: 0, maxIter: 15 });
    const w = new Float64Array(Pp);
    const col = new Map(short.model.features.map((g, i) => [g, i]));
    genes.forEach((g, j) => {
      const i = col.get(g);
      if (i !== undefined) for (let c = 0; c < Kp; c++) w[j * Kp + c] = short.model.coef[c * short.model.features.length + i];
    });
    w.set(short.model.intercept, xp.nCols * Kp);
    for (const multinomial of [true, false]) {
      for (const [where, t] of [['zero', new Float64Array(Pp)], ['15 iterations in', w]] as const) {
        const r = await both(real, multinomial, t, null);
        const e = relError(r.gg, r.gc);
        console.log(`pbmc68k ${multinomial ? 'multinomial' : 'one-vs-rest'} at ${where}: gradient relative error ${e.toExponential(2)}, loss ${(Math.abs(r.fg - r.fc) / r.fc).toExponential(2)}`);
        // Float32 sums over 765 genes and ~350 cells; the gradient shrinks along the fit while its terms do not.
        expect(e).toBeLessThan(1e-4);
        expect(Math.abs(r.fg - r.fc) / r.fc).toBeLessThan(1e-5);
        expect(r.same).toBe(true);
      }
    }
  }, 180_000);

  const genes = Array.from({ length: p }, (_, j) => `g${j}`);
  const classes = ['a', 'b', 'c', 'd'];
  const base: LogRegParams = { multiClass: 'multinomial', C: 1, solver: 'lbfgs', featureSelection: false, topGenes: 300, seed: 0 };

  it.each(['multinomial', 'ovr'] as const)('L-BFGS %s with the WebGPU gradient predicts as the CPU fit on held-out cells, coefficients close, nothing left on the GPU', async (multiClass) => {
    const params = { ...base, multiClass };
    const cpu = await fitLogisticRegression(x, y, classes, genes, params);
    const tensors = tf.memory().numTensors;
    const gpu = await fitLogisticRegression(x, y, classes, genes, params, { gpu: GPU });
    expect(tf.memory().numTensors).toBe(tensors);
    expect(gpu.report.device).toBe('webgpu');
    expect(gpu.report.engine).toMatch(/^WebGPU \(test adapter; tfjs, float32\), finished on the CPU \(1 thread, float64\): WebGPU chosen$/);
    expect(cpu.report.engine).toBe('CPU (1 thread, float64): no GPU chosen');
    expect(gpu.report.converged).toBe(true);
    // The GPU did the descent; the float64 finish is short.
    const [, onGpu, onCpu] = gpu.report.message.match(/(\d+) iterations in float32 on the GPU .*, (\d+) in float64 on the CPU/)!.map(Number);
    expect(onGpu).toBeGreaterThan(5);
    expect(onCpu).toBeLessThan(onGpu);
    expect(Math.abs(gpu.report.objective - cpu.report.objective) / cpu.report.objective).toBeLessThan(1e-6);
    let big = 0;
    let diff = 0;
    for (let i = 0; i < cpu.model.coef.length; i++) {
      big = Math.max(big, Math.abs(cpu.model.coef[i]));
      diff = Math.max(diff, Math.abs(cpu.model.coef[i] - gpu.model.coef[i]));
    }
    expect(diff).toBeLessThan(1e-3 * big);
    const a = await predict(cpu.model, xTest, genes);
    const b = await predict(gpu.model, xTest, genes);
    let same = 0;
    for (let i = 0; i < a.length; i++) if (a[i] === b[i]) same++;
    expect(same / a.length).toBeGreaterThanOrEqual(0.99);
    // Both are good models, not only alike.
    expect(a.filter((c, i) => c === yTest[i]).length / a.length).toBeGreaterThan(0.8);
  }, 180_000);

  it('mini-batch SGD on the WebGPU gradient follows the CPU run (step size and objective in float64 on the CPU)', async () => {
    const params: LogRegParams = { ...base, solver: 'sgd', batchSize: 256, maxIter: 3 };
    const cpu = await fitLogisticRegression(x, y, classes, genes, params);
    const gpu = await fitLogisticRegression(x, y, classes, genes, params, { gpu: GPU });
    expect(gpu.report.device).toBe('webgpu');
    expect(gpu.report.engine).toMatch(/objective on the CPU/);
    expect(gpu.report.iterations).toBe(cpu.report.iterations);
    console.log(`SGD, 3 epochs: objective ${gpu.report.objective} (GPU) vs ${cpu.report.objective} (CPU)`);
    expect(Math.abs(gpu.report.objective - cpu.report.objective) / cpu.report.objective).toBeLessThan(1e-4);
    const a = await predict(cpu.model, xTest, genes);
    const b = await predict(gpu.model, xTest, genes);
    expect(a.filter((c, i) => c === b[i]).length / a.length).toBeGreaterThanOrEqual(0.99);
  }, 180_000);

  it('cancel stops a GPU fit and frees its blocks; progress names the GPU', async () => {
    const tensors = tf.memory().numTensors;
    const ctl = new AbortController();
    const messages: string[] = [];
    const run = fitLogisticRegression(x, y, classes, genes, base, {
      gpu: GPU,
      signal: ctl.signal,
      onProgress: (_, m) => {
        messages.push(m);
        if (/iteration 2\b/.test(m)) ctl.abort();
      },
    });
    await expect(run).rejects.toBeInstanceOf(CancelledError);
    expect(messages.some((m) => /L-BFGS on the GPU/.test(m))).toBe(true);
    expect(tf.memory().numTensors).toBe(tensors);
  }, 120_000);
});

describe.skipIf(!ready)(`scweb annotate --method logreg --backend${skipped}`, () => {
  it('webgpu trains on the GPU at any size and says so; cpu on the pool', async () => {
    const cxg = shared('data/format_variants/cellxgene_example_with_labels.h5ad');
    const dir = mkdtempSync(join(tmpdir(), 'scweb-logreg-gpu-'));
    const err: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((s: string) => (err.push(String(s)), true)) as typeof process.stderr.write;
    const run = (backend: string, out: string) => main(['annotate', cxg, '--reference', cxg, '--label-col', 'cell_type', '--out', join(dir, out), '--backend', backend, '--threads', '1']);
    try {
      expect(await run('webgpu', 'gpu.csv')).toBe(0);
      const gpuLog = err.splice(0).join('');
      expect(gpuLog).toMatch(/gradient on the WebGPU \(.*; tfjs, float32\), finished on the CPU \(1 thread, float64\): WebGPU chosen/);
      expect(gpuLog).toMatch(/iterations in float32 on the GPU/);
      expect(await run('cpu', 'cpu.csv')).toBe(0);
      expect(err.join('')).toMatch(/gradient on the CPU \(1 thread, float64\): --backend cpu/);
    } finally {
      process.stderr.write = write;
    }
    const labels = (f: string) => readFileSync(join(dir, f), 'utf8').trim().split('\n').slice(1).map((r) => r.split(',')[1]);
    const a = labels('gpu.csv');
    const b = labels('cpu.csv');
    expect(a.length).toBe(320);
    expect(a.filter((l, i) => l === b[i]).length / a.length).toBeGreaterThanOrEqual(0.99);
  }, 180_000);
});

describe('the float32 engine on tfjs\'s CPU backend (its arithmetic, wherever WebGPU is missing)', () => {
  const K = 3;
  const p = 30;
  const { x, y } = synthetic(500, p, K);
  const rows = rowsOf(x, y, K);
  it.each([true, false])('multinomial %s: gradient within 1e-5 of float64 over 2 blocks; a fit ends at the CPU fit\'s objective', async (multinomial) => {
    const theta = Float64Array.from({ length: p * K + K }, (_, i) => (((i * 7919) % 101) - 50) / 400);
    const cpu = new GradientJob(rows, multinomial, null);
    const f32 = await WebGpuGradient.create(rows, multinomial, { resident: true, backend: 'cpu', rowsPerBlock: 256 });
    const gc = new Float64Array(theta.length);
    const gf = new Float64Array(theta.length);
    const fc = await cpu.evaluate(theta, gc, null);
    const ff = await f32.evaluate(theta, gf, null);
    cpu.close();
    f32.close();
    expect(relError(gf, gc)).toBeLessThan(1e-5);
    expect(Math.abs(ff - fc) / fc).toBeLessThan(1e-6);
    const params: LogRegParams = { multiClass: multinomial ? 'multinomial' : 'ovr', C: 1, solver: 'lbfgs', featureSelection: false, topGenes: 300, seed: 0 };
    const genes = Array.from({ length: p }, (_, j) => `g${j}`);
    const a = await fitLogisticRegression(x, y, ['a', 'b', 'c'], genes, params);
    const b = await fitLogisticRegression(x, y, ['a', 'b', 'c'], genes, params, { gpu: { adapter: 'tfjs cpu', force: true, backend: 'cpu' } });
    expect(b.report.engine).toMatch(/^tfjs's CPU backend \(float32\), finished on the CPU \(1 thread, float64\)/);
    expect(Math.abs(b.report.objective - a.report.objective) / a.report.objective).toBeLessThan(1e-6);
  });
});

describe('where the gradient runs', () => {
  const hw = { adapter: 'nvidia / hopper', force: false };
  it('auto: the CPU below the threshold, the GPU above it while the blocks fit the budget', () => {
    expect(chooseEngine(1000, 2000, 10, 'lbfgs', hw)).toMatchObject({ kind: 'cpu', reason: expect.stringMatching(/below the GPU threshold/) });
    expect(1000 * 2000 * 10).toBeLessThan(GPU_MIN_WORK);
    expect(chooseEngine(20_000, 2000, 10, 'lbfgs', hw)).toMatchObject({ kind: 'webgpu', reason: expect.stringMatching(/above the GPU threshold/) });
    // 100k cells x 20k genes: 8 GB of dense float32, over the budget; SGD keeps no rows there.
    expect(residentBytes(100_000, 20_000, 10)).toBeGreaterThan(GPU_MEMORY_BUDGET);
    expect(chooseEngine(100_000, 20_000, 10, 'lbfgs', hw)).toMatchObject({ kind: 'cpu', reason: expect.stringMatching(/exceeds the GPU memory budget/) });
    expect(chooseEngine(100_000, 20_000, 10, 'sgd', hw).kind).toBe('webgpu');
  });

  it('webgpu chosen by name: any size; none: the CPU, saying why', () => {
    expect(chooseEngine(100, 20, 3, 'lbfgs', { ...hw, force: true })).toEqual({ kind: 'webgpu', reason: 'WebGPU chosen' });
    expect(chooseEngine(20_000, 2000, 10, 'lbfgs', null, 'the CPU was chosen')).toEqual({ kind: 'cpu', reason: 'the CPU was chosen' });
  });

  it('blocks: fixed rows, a multiple of 64, at most 64 MiB of values', () => {
    expect(blockRows(700, 40)).toBe(704);
    expect(blockRows(100_000, 2000)).toBe(8192);
    expect(blockRows(100_000, 20_000)).toBe(832);
    for (const [n, p] of [[100_000, 2000], [100_000, 20_000], [50, 30_000]]) {
      const b = blockRows(n, p);
      expect(b % 64).toBe(0);
      expect(b * p).toBeLessThanOrEqual(Math.max(64 * p, 1 << 24));
    }
  });
});
