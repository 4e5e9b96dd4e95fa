// Encoder throughput (cells/s) for scGPT_human's shape (12 layers, d 512, 8 heads, d_hid 512,
// vocab 60697; seeded random weights of the real shapes) at several sequence lengths and batch
// sizes, for each backend present: our fused WGSL kernels vs the straightforward tfjs formulation
// (the ratio is printed), the float32 WASM encoder (tfjs-backend-wasm, --threads N; its ratio to the
// exact float64 CPU path run in the same process is printed), and the CPU path. Peak tensor memory
// comes from tf.profile.
//
//   node --import tsx bench/embed.ts [--layers 12] [--lengths 256,600,1200] [--batches 1,8,32]
//                                    [--backends fused,tfjs,wasm,cpu] [--threads 2] [--repeats 2]
// The wasm backend's thread count is fixed once started: one process per --threads value.
// WebGPU needs a Vulkan driver (see the Makefile's GPU_ENV for SwiftShader on a CPU-only machine).
import * as tf from '@tensorflow/tfjs-core';
import { nodePool } from '../src/analysis/pool-node.ts';
import { encodeBatchOnPool } from '../src/model/encoder-cpu-pool.ts';
import { detectBackend } from '../src/model/backend.ts';
import { forwardCell } from '../src/model/encoder-cpu.ts';
import type { TokenBatch } from '../src/model/encoder-tfjs.ts';
import { TfjsEncoder, initTfjsWebGPU } from '../src/model/encoder-tfjs.ts';
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
const backends = list('backends', 'fused,tfjs,cpu');
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
}

async function timeGpu(enc: TfjsEncoder | WasmEncoder, batch: TokenBatch): Promise<{ seconds: number; peakMB: number }> {
  await enc.encode(batch); // warm-up: pipeline compilation and buffer pool
  let best = Infinity;
  let peak = 0;
  // tf.profile's peak counts every live tensor; the weights are resident throughout, so subtract them.
  const resident = tf.memory().numBytes;
  for (let i = 0; i < repeats; i++) {
    const t = performance.now();
    const info = await tf.profile(async () => {
      await enc.encode(batch);
      return [] as tf.Tensor[];
    });
    best = Math.min(best, (performance.now() - t) / 1000);
    peak = Math.max(peak, info.peakBytes - resident);
  }
  return { seconds: best, peakMB: peak / 1e6 };
}

async function main() {
  const weights = randomWeights(1, nLayers);
  const rows: Row[] = [];
  const gpuWanted = backends.some((b) => b === 'fused' || b === 'tfjs');
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
  for (const kernels of ['fused', 'tfjs'] as const) {
    if (!backends.includes(kernels)) continue;
    const enc = new TfjsEncoder(weights, kernels);
    for (const L of lengths) {
      for (const B of batches) {
        try {
          const { seconds, peakMB } = await timeGpu(enc, randomBatch(B, L, L * 1000 + B));
          rows.push({ backend: `webgpu-${kernels}`, L, B, cellsPerSecond: B / seconds, peakMB });
        } catch (err) {
          console.error(`webgpu-${kernels} L ${L} B ${B}: ${(err as Error).message.split('\n')[0]}`);
        }
        console.error(JSON.stringify(rows[rows.length - 1]));
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
  console.log(`\nscGPT_human shape (${nLayers} layers, d 512, 8 heads); adapter: ${adapter}\n`);
  console.log('| backend | L | batch | cells/s | peak activation MB (beyond weights) | fused / tfjs, wasm / cpu, cpu-Nt / cpu |');
  console.log('|---|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    const base = r.backend.startsWith('wasm') || r.backend.startsWith('cpu-') ? rows.find((x) => x.backend === 'cpu' && x.L === r.L) : rows.find((x) => x.backend === 'webgpu-tfjs' && x.L === r.L && x.B === r.B);
    const ratio = (r.backend === 'webgpu-fused' || r.backend.startsWith('wasm') || r.backend.startsWith('cpu-')) && base ? `${(r.cellsPerSecond / base.cellsPerSecond).toFixed(2)}x` : '';
    console.log(`| ${r.backend} | ${r.L} | ${r.B} | ${r.cellsPerSecond.toFixed(3)} | ${r.peakMB === null ? '' : r.peakMB.toFixed(0)} | ${ratio} |`);
  }
}

await main();
// Dawn keeps handles open after the device is released; the benchmark is done, so end the process.
process.exit(0);
