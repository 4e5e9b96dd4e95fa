// Encoder throughput (cells/s) for scGPT_human's shape (12 layers, d 512, 8 heads, d_hid 512,
// vocab 60697; seeded random weights of the real shapes) at several sequence lengths and batch
// sizes, for each backend present: our fused WGSL kernels, the same with our tiled GEMMs for the
// linear layers ('gemm': float32 weights; 'gemm-f16w': packed float16 weights, f32 arithmetic;
// 'gemm-f16': f16 arithmetic, where the adapter has shader-f16) vs the straightforward tfjs
// formulation (ratios to it and to 'fused' are printed, with each variant's distance from the tfjs
// path's embeddings: max |diff| of the L2-normalised <cls> and the least cosine over the batch),
// the float32 WASM encoder (tfjs-backend-wasm, --threads N; its ratio to the
// exact float64 CPU path run in the same process is printed), and the CPU path. Peak tensor memory
// comes from tf.profile.
//
//   node --import tsx bench/embed.ts [--layers 12] [--lengths 256,600,1200] [--batches 1,8,32]
//                                    [--backends tfjs,fused,gemm,gemm-f16w,gemm-f16,wasm,cpu]
//                                    [--threads 2] [--repeats 2] [--tiles 64x64x16/4x4]
// --tiles fixes the GEMM tile configuration (default: the per-adapter trial's choice).
// The wasm backend's thread count is fixed once started: one process per --threads value.
// WebGPU needs a Vulkan driver (see the Makefile's GPU_ENV for SwiftShader on a CPU-only machine).
import * as tf from '@tensorflow/tfjs-core';
import { nodePool } from '../src/analysis/pool-node.ts';
import { encodeBatchOnPool } from '../src/model/encoder-cpu-pool.ts';
import { detectBackend } from '../src/model/backend.ts';
import { forwardCell } from '../src/model/encoder-cpu.ts';
import type { GemmChoice, KernelChoice, TokenBatch } from '../src/model/encoder-tfjs.ts';
import { TfjsEncoder, initTfjsWebGPU } from '../src/model/encoder-tfjs.ts';
import { hasShaderF16 } from '../src/model/kernels/gemm.ts';
import { WasmEncoder } from '../src/model/encoder-wasm.ts';
import { initNodeWasm } from '../src/model/node-wasm.ts';
import { installNodeWebGPU } from '../src/model/node-gpu.ts';
import { randomWeights } from './random-model.ts';
import { rng } from './synthetic.ts';

const args = process.argv.slice(2);
const opt = (name: string, dflt: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const list = (name: string, dflt: string) => opt(name, dflt).split(',').map((s) => s.trim());

const nLayers = Number(opt('layers', '12'));
const lengths = list('lengths', '256,600,1200').map(Number);
const batches = list('batches', '1,8,32').map(Number);
const backends = list('backends', 'tfjs,fused,gemm,gemm-f16w,gemm-f16,cpu');
const tilesOpt = opt('tiles', '');
const repeats = Number(opt('repeats', '2'));
const threads = Number(opt('threads', '1'));
const d = 512;
const vocabSize = 60697;

function randomBatch(B: number, L: number, seed: number): TokenBatch {
  const r = rng(seed);
  const ids = new Int32Array(B * L);
  const values = new Float32Array(B * L);
  for (let c = 0; c < B; c++) {
    ids[c * L] = 60695;
    values[c * L] = -2;
    for (let i = 1; i < L; i++) {
      ids[c * L + i] = Math.floor(r() * 60000);
      values[c * L + i] = 1 + Math.floor(r() * 50);
    }
  }
  return { ids, values, lengths: new Int32Array(B).fill(L), batch: B, seqLen: L };
}

interface Row {
  backend: string;
  L: number;
  B: number;
  cellsPerSecond: number;
  peakMB: number | null;
  /** The <cls> outputs [B, d] of the last run (GPU rows), for the parity columns. */
  cls?: Float32Array;
}

async function timeGpu(enc: TfjsEncoder | WasmEncoder, batch: TokenBatch): Promise<{ seconds: number; peakMB: number; cls: Float32Array }> {
  let cls = (await enc.encode(batch)).cls; // warm-up: pipeline compilation (and the GEMM tile trial) and buffer pool
  let best = Infinity;
  let peak = 0;
  // tf.profile's peak counts every live tensor; the weights are resident throughout, so subtract them.
  const resident = tf.memory().numBytes;
  for (let i = 0; i < repeats; i++) {
    const t = performance.now();
    const info = await tf.profile(async () => {
      cls = (await enc.encode(batch)).cls;
      return [] as tf.Tensor[];
    });
    best = Math.min(best, (performance.now() - t) / 1000);
    peak = Math.max(peak, info.peakBytes - resident);
  }
  return { seconds: best, peakMB: peak / 1e6, cls };
}

/** Max |diff| of the L2-normalised rows and the least cosine over rows of two [B, d] outputs. */
function parity(a: Float32Array, b: Float32Array): { maxAbs: number; minCos: number } {
  let maxAbs = 0;
  let minCos = 1;
  for (let r = 0; r < a.length / d; r++) {
    const x = a.subarray(r * d, (r + 1) * d);
    const y = b.subarray(r * d, (r + 1) * d);
    let xy = 0;
    let xx = 0;
    let yy = 0;
    for (let i = 0; i < d; i++) {
      xy += x[i] * y[i];
      xx += x[i] * x[i];
      yy += y[i] * y[i];
    }
    const nx = Math.sqrt(xx);
    const ny = Math.sqrt(yy);
    for (let i = 0; i < d; i++) maxAbs = Math.max(maxAbs, Math.abs(x[i] / nx - y[i] / ny));
    minCos = Math.min(minCos, xy / (nx * ny));
  }
  return { maxAbs, minCos };
}

const GPU_VARIANTS: { name: string; kernels: KernelChoice; gemm?: GemmChoice }[] = [
  { name: 'tfjs', kernels: 'tfjs' },
  { name: 'fused', kernels: 'fused' },
  { name: 'gemm', kernels: 'gemm', gemm: { weights: 'f32', arithmetic: 'f32' } },
  { name: 'gemm-f16w', kernels: 'gemm', gemm: { weights: 'f16', arithmetic: 'f32' } },
  { name: 'gemm-f16', kernels: 'gemm', gemm: { weights: 'f16', arithmetic: 'f16' } },
];

async function main() {
  const weights = randomWeights(1, nLayers);
  const rows: Row[] = [];
  const gpuWanted = backends.some((b) => GPU_VARIANTS.some((v) => v.name === b));
  let adapter = 'none';
  if (gpuWanted) {
    await installNodeWebGPU();
    // Asked for by name: a benchmark measures whatever adapter is there (software ones are labelled).
    const info = await detectBackend(undefined, 'webgpu');
    adapter = info.detail;
    if (info.kind !== 'webgpu' || !(await initTfjsWebGPU())) {
      console.error(`no WebGPU: ${info.detail}; measuring the CPU only`);
      backends.splice(0, backends.length, ...backends.filter((b) => b === 'cpu'));
    }
  }
  console.error(`scGPT_human shape: ${nLayers} layers, d ${d}, 8 heads, vocab ${vocabSize}; adapter: ${adapter}`);
  const kernelNotes: string[] = [];
  for (const v of GPU_VARIANTS) {
    if (!backends.includes(v.name)) continue;
    if (v.gemm?.arithmetic === 'f16' && !hasShaderF16()) {
      console.error(`webgpu-${v.name}: skipped, the adapter has no shader-f16`);
      continue;
    }
    const enc = new TfjsEncoder(weights, v.kernels, { ...v.gemm, ...(tilesOpt ? { tiles: tilesOpt } : {}) });
    await enc.prepare();
    kernelNotes.push(`webgpu-${v.name}: ${enc.describeKernels()}`);
    console.error(kernelNotes[kernelNotes.length - 1]);
    for (const L of lengths) {
      for (const B of batches) {
        try {
          const { seconds, peakMB, cls } = await timeGpu(enc, randomBatch(B, L, L * 1000 + B));
          rows.push({ backend: `webgpu-${v.name}`, L, B, cellsPerSecond: B / seconds, peakMB, cls });
          console.error(JSON.stringify({ ...rows[rows.length - 1], cls: undefined }));
        } catch (err) {
          console.error(`webgpu-${v.name} L ${L} B ${B}: ${(err as Error).message.split('\n')[0]}`);
        }
      }
    }
    enc.dispose();
  }
  if (backends.includes('wasm')) {
    await initNodeWasm(threads);
    const enc = new WasmEncoder(weights);
    for (const L of lengths) {
      for (const B of batches) {
        const { seconds, peakMB } = await timeGpu(enc, randomBatch(B, L, L * 1000 + B));
        rows.push({ backend: `wasm-${threads}t`, L, B, cellsPerSecond: B / seconds, peakMB });
        console.error(JSON.stringify(rows[rows.length - 1]));
      }
    }
    enc.dispose();
  }
  if (backends.includes('cpu')) {
    for (const L of lengths) {
      const b = randomBatch(1, L, L);
      const t = performance.now();
      forwardCell(weights, b.ids, b.values, L);
      rows.push({ backend: 'cpu', L, B: 1, cellsPerSecond: 1 / ((performance.now() - t) / 1000), peakMB: null });
      console.error(JSON.stringify(rows[rows.length - 1]));
    }
  }
  if (backends.includes('cpu') && threads > 1) {
    // The same float64 encoder with its cells on a pool of worker_threads (shared weights).
    const pool = nodePool(threads)!;
    const encode = (b: TokenBatch) => encodeBatchOnPool(pool, weights, b);
    await encode(randomBatch(threads, 8, 1)); // warm-up: workers start and receive the weights
    for (const L of lengths) {
      const b = randomBatch(2 * threads, L, L);
      const t = performance.now();
      await encode(b);
      rows.push({ backend: `cpu-${threads}t`, L, B: b.batch, cellsPerSecond: b.batch / ((performance.now() - t) / 1000), peakMB: null });
      console.error(JSON.stringify(rows[rows.length - 1]));
    }
    pool.terminate();
  }
  console.log(`\nscGPT_human shape (${nLayers} layers, d 512, 8 heads); adapter: ${adapter}`);
  for (const n of kernelNotes) console.log(`- ${n}`);
  console.log('\n| backend | L | batch | cells/s | peak activation MB (beyond weights) | / webgpu-tfjs, wasm / cpu, cpu-Nt / cpu | / webgpu-fused | max abs diff vs tfjs (L2-normalised) | min cosine vs tfjs |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    const gpu = r.backend.startsWith('webgpu-');
    const base = r.backend.startsWith('wasm') || r.backend.startsWith('cpu-') ? rows.find((x) => x.backend === 'cpu' && x.L === r.L) : rows.find((x) => x.backend === 'webgpu-tfjs' && x.L === r.L && x.B === r.B);
    const ratio = r.backend !== 'webgpu-tfjs' && r.backend !== 'cpu' && base ? `${(r.cellsPerSecond / base.cellsPerSecond).toFixed(2)}x` : '';
    const fused = gpu && r.backend.startsWith('webgpu-gemm') ? rows.find((x) => x.backend === 'webgpu-fused' && x.L === r.L && x.B === r.B) : undefined;
    const vsFused = fused ? `${(r.cellsPerSecond / fused.cellsPerSecond).toFixed(2)}x` : '';
    const p = gpu && base?.cls && r.cls && r !== base ? parity(r.cls, base.cls) : null;
    console.log(`| ${r.backend} | ${r.L} | ${r.B} | ${r.cellsPerSecond.toFixed(3)} | ${r.peakMB === null ? '' : r.peakMB.toFixed(0)} | ${ratio} | ${vsFused} | ${p ? p.maxAbs.toExponential(1) : ''} | ${p ? p.minCos.toFixed(7) : ''} |`);
  }
}

await main();
// Dawn keeps handles open after the device is released; the benchmark is done, so end the process.
process.exit(0);
