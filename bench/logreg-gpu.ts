// Logistic regression's gradient: the CPU pool (float64; 1 and 2 threads by default) against tfjs
// on WebGPU (float32), on synthetic cells x 2,000 genes x 10 labels (bench/synthetic-cells.ts):
// one full gradient evaluation (the L-BFGS unit of work; the GPU's copy of the reference timed
// apart) with the GPU's relative error against the float64 gradient, then whole L-BFGS fits
// (iterations, objective, and how many held-out cells the GPU-trained model labels as the CPU one).
// The GPU is whatever adapter Dawn finds: on a GPU server the system's Vulkan driver, elsewhere
// SwiftShader (set LD_LIBRARY_PATH=/usr/lib/chromium VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json),
// which emulates the GPU on the CPU: its times are labelled and say nothing about GPUs.
// Run: node --import tsx bench/logreg-gpu.ts [--sizes 20000,100000] [--genes 2000] [--classes 10]
//   [--multi-class multinomial|ovr] [--threads 1,2] [--evals 3] [--fit true] [--max-iter 1000]
//   [--gpu-sizes N,...] (default: --sizes; SwiftShader: pass small ones)
// On a machine without node_modules (the lent GPU machines): `make bench-logreg-gpu-bundle` here,
// then there `node bench/out/logreg-gpu/bench.mjs --threads 1` (the bundle carries Dawn; the pool's
// workers load .ts sources, so one thread).
import { decisionFunction } from '../src/analysis/linear-predict.ts';
import { fitLogisticRegression, selectColumns, standardScaler, type LogRegParams } from '../src/analysis/logistic-regression.ts';
import { GPU_MIN_WORK, logRegGpu, type LogRegGpu } from '../src/analysis/logreg-engine.ts';
import { GradientJob, type GradientEngine, type ScaledRows } from '../src/analysis/logreg-gradient.ts';
import { WebGpuGradient } from '../src/analysis/logreg-webgpu.ts';
import { nodePool } from '../src/analysis/pool-node.ts';
import { installNodeWebGPU } from '../src/model/node-gpu.ts';
import { syntheticCells } from './synthetic-cells.ts';

const arg = (name: string, d: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : d;
};
const list = (s: string) => s.split(',').filter(Boolean).map(Number);
const sizes = list(arg('sizes', '20000,100000'));
const gpuSizes = new Set(list(arg('gpu-sizes', sizes.join(','))));
const p = Number(arg('genes', '2000'));
const K = Number(arg('classes', '10'));
const multiClass = arg('multi-class', 'multinomial') as LogRegParams['multiClass'];
const threadCounts = list(arg('threads', '1,2'));
const evals = Number(arg('evals', '3'));
const fit = arg('fit', 'true') === 'true';
const maxIter = Number(arg('max-iter', '1000'));

const installed = await installNodeWebGPU();
const found = installed.ok ? await logRegGpu('webgpu') : { gpu: null, detail: installed.reason };
const gpu: LogRegGpu | null = found.gpu;
const software = /software renderer/.test(found.detail);
const gpuLabel = gpu ? (software ? `SwiftShader (CPU emulation, ${found.detail})` : found.detail) : null;
console.log(`GPU: ${gpuLabel ?? `none (${found.detail})`}; ${multiClass}, ${p} genes, ${K} labels; auto's threshold ${GPU_MIN_WORK.toExponential(0)} cells x genes x labels`);

const seconds = (ms: number) => (ms >= 10_000 ? (ms / 1000).toFixed(1) : (ms / 1000).toPrecision(3));
const stat = (a: number[]) => {
  const s = [...a].sort((x, y) => x - y);
  return `${seconds(s[0])} / ${seconds(s[s.length >> 1])}`;
};

/** Times of `evals` full evaluations after a warm-up (the JIT, the workers' copy, the GPU's pipelines). */
async function timeEvals(engine: GradientEngine, theta: Float64Array, grad: Float64Array): Promise<{ ms: number[]; f: number }> {
  let f = await engine.evaluate(theta, grad, null);
  const ms: number[] = [];
  for (let r = 0; r < evals; r++) {
    const t = performance.now();
    f = await engine.evaluate(theta, grad, null);
    ms.push(performance.now() - t);
  }
  return { ms, f };
}

function relError(a: Float64Array, b: Float64Array): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return Math.sqrt(num / den);
}

const evalRows = ['| cells | engine | copy to GPU s | one evaluation s (min / median) | gradient rel. error vs float64 |', '|---:|---|---:|---:|---:|'];
const fitRows = ['| cells | engine | s | iterations (GPU + CPU finish) | converged | objective | held-out labels as the 1-thread CPU fit |', '|---:|---|---:|---|---|---:|---:|'];
const classes = Array.from({ length: K }, (_, c) => `type${c}`);
const genes = Array.from({ length: p }, (_, j) => `gene${j}`);
const held = syntheticCells(5000, p, K, 2);

for (const n of sizes) {
  const { x, y } = syntheticCells(n, p, K, 1);
  console.log(`\n${n.toLocaleString('en-US')} cells x ${p} genes, ${(x.indices.length / n).toFixed(0)} stored per cell`);
  const { mean, scale } = standardScaler(x);
  const rows: ScaledRows = { x, y, nClasses: K, mean, scale, clip: 10 };
  const theta = Float64Array.from({ length: p * K + K }, (_, i) => (((i * 7919) % 101) - 50) / 1e4);
  const ref = new Float64Array(theta.length);
  const fmt = (v: number) => v.toLocaleString('en-US');
  for (const threads of threadCounts) {
    const pool = nodePool(threads);
    const job = new GradientJob(rows, multiClass === 'multinomial', pool);
    const { ms } = await timeEvals(job, theta, ref);
    job.close();
    pool?.terminate();
    evalRows.push(`| ${fmt(n)} | CPU, ${threads} thread${threads > 1 ? 's' : ''} (float64) | | ${stat(ms)} | 0 |`);
    console.log(evalRows.at(-1));
  }
  if (gpu && gpuSizes.has(n)) {
    const t = performance.now();
    const engine = await WebGpuGradient.create(rows, multiClass === 'multinomial', { resident: true });
    const copy = performance.now() - t;
    const g = new Float64Array(theta.length);
    const { ms } = await timeEvals(engine, theta, g);
    engine.close();
    evalRows.push(`| ${fmt(n)} | ${software ? 'SwiftShader' : 'WebGPU'} (float32, ${engine.rowsPerBlock} rows per block) | ${seconds(copy)} | ${stat(ms)} | ${relError(g, ref).toExponential(1)} |`);
    console.log(evalRows.at(-1));
  }
  if (!fit) continue;
  const params: LogRegParams = { multiClass, C: 1, solver: 'lbfgs', featureSelection: false, topGenes: 300, seed: 0, maxIter };
  let base: Int32Array | null = null;
  const runs: { name: string; threads: number; gpu: LogRegGpu | null }[] = threadCounts.map((threads) => ({ name: `CPU, ${threads} thread${threads > 1 ? 's' : ''}`, threads, gpu: null }));
  const finish = threadCounts.at(-1)!;
  if (gpu && gpuSizes.has(n)) runs.push({ name: `${software ? 'SwiftShader' : 'WebGPU'} + CPU finish (${finish} thread${finish > 1 ? 's' : ''})`, threads: finish, gpu });
  for (const r of runs) {
    const pool = nodePool(r.threads);
    const t = performance.now();
    const { model, report } = await fitLogisticRegression(x, y, classes, genes, params, { pool, gpu: r.gpu });
    const s = performance.now() - t;
    pool?.terminate();
    const keep = new Int32Array(p).fill(-1);
    model.features.forEach((g, i) => (keep[Number(g.slice(4))] = i));
    const d = await decisionFunction(model, selectColumns(held.x, keep, model.features.length));
    const best = new Int32Array(held.x.nRows);
    for (let i = 0; i < best.length; i++) for (let c = 1; c < K; c++) if (d[i * K + c] > d[i * K + best[i]]) best[i] = c;
    base ??= best;
    const same = best.filter((b, i) => b === base![i]).length / best.length;
    const split = report.message.match(/(\d+) iterations in float32 on the GPU .*, (\d+) in float64 on the CPU/);
    fitRows.push(`| ${fmt(n)} | ${r.name} | ${seconds(s)} | ${split ? `${report.iterations} (${split[1]} + ${split[2]})` : report.iterations} | ${report.converged ? 'yes' : 'no'} | ${report.objective.toPrecision(9)} | ${(same * 100).toFixed(2)}% |`);
    console.log(fitRows.at(-1));
  }
}
console.log(['', `GPU: ${gpuLabel ?? 'none'}`, '', ...evalRows, '', ...fitRows].join('\n'));
// Dawn's device (and the pool's workers) keep the event loop alive after the last result: end here.
process.exit(0);
