// Attention-GRN throughput (cells/s) at M tokens (default 1201: a 1200-gene panel and <cls>) for
// scGPT_human's shape (12 layers, d 512, 8 heads; seeded random weights): the whole per-cell path
// (layers before the last, raw q k^T, row then column ranks, head sum, group sums) on WebGPU (our
// WGSL kernels after the tfjs encoder) and on WASM (float32 on tfjs-backend-wasm, --threads) against
// the float64 CPU reference in the same process (the ratio is printed), with memory: peak GPU
// tensor bytes beyond the weights (tf.profile) and the CPU's RSS.
//
//   node --import tsx bench/grn-attention.ts [--layers 12] [--m 1201] [--gpu-cells 4] [--cpu-cells 1]
//                                            [--wasm-cells 2] [--threads 1] [--backends webgpu,wasm,cpu]
// WebGPU needs a Vulkan driver (see the Makefile's GPU_ENV for SwiftShader on a CPU-only machine).
import * as tf from '@tensorflow/tfjs-core';
import { detectBackend } from '../src/model/backend.ts';
import { TfjsEncoder, initTfjsWebGPU } from '../src/model/encoder-tfjs.ts';
import type { GroupRanker } from '../src/model/grn/ranker.ts';
import { GROUP_A, GROUP_B, cpuRanker } from '../src/model/grn/ranker.ts';
import { webgpuRanker } from '../src/model/grn/ranker-webgpu.ts';
import { wasmRanker } from '../src/model/grn/ranker-wasm.ts';
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
const nLayers = Number(opt('layers', '12'));
const M = Number(opt('m', '1201'));
const gpuCells = Number(opt('gpu-cells', '4'));
const cpuCells = Number(opt('cpu-cells', '1'));
const wasmCells = Number(opt('wasm-cells', '2'));
const threads = Number(opt('threads', '1'));
const backends = opt('backends', 'webgpu,wasm,cpu').split(',');

/** Tokens of `n` cells: <cls> (value 0), then M - 1 distinct genes, about 70% of them zero (bin 0). */
function randomCells(n: number, seed: number): { ids: Int32Array; values: Float32Array } {
  const r = rng(seed);
  const ids = new Int32Array(n * M);
  const values = new Float32Array(n * M);
  for (let c = 0; c < n; c++) {
    ids[c * M] = 60695;
    for (let i = 1; i < M; i++) {
      ids[c * M + i] = i * 37; // distinct gene ids, the same panel in every cell
      values[c * M + i] = r() < 0.7 ? 0 : 1 + Math.floor(r() * 50);
    }
  }
  return { ids, values };
}

interface Row {
  backend: string;
  cells: number;
  batch: number;
  seconds: number;
  cellsPerSecond: number;
  memory: string;
  /** Longest wait between progress points (batch ends and the ranker's steps within a batch). */
  maxGap: number;
}

async function run(ranker: GroupRanker, n: number, seed: number): Promise<{ seconds: number; batch: number; maxGap: number }> {
  const B = ranker.batchSize(M);
  const { ids, values } = randomCells(n, seed);
  const t = performance.now();
  let last = t;
  let maxGap = 0;
  const point = async () => {
    const now = performance.now();
    maxGap = Math.max(maxGap, now - last);
    last = now;
  };
  for (let c = 0; c < n; c += B) {
    const k = Math.min(B, n - c);
    const groups = Uint8Array.from({ length: k }, (_, i) => ((c + i) % 2 === 0 ? GROUP_A : GROUP_B));
    await ranker.add(ids.subarray(c * M, (c + k) * M), values.subarray(c * M, (c + k) * M), groups, k, M, point);
    await point();
  }
  await ranker.sums();
  return { seconds: (performance.now() - t) / 1000, batch: B, maxGap: maxGap / 1000 };
}

async function main() {
  const weights = randomWeights(1, nLayers);
  const rows: Row[] = [];
  let adapter = 'none';
  if (backends.includes('webgpu')) {
    await installNodeWebGPU();
    const info = await detectBackend(undefined, 'webgpu');
    adapter = info.detail;
    if (info.kind === 'webgpu' && (await initTfjsWebGPU())) {
      const enc = new TfjsEncoder(weights, 'fused');
      const warm = webgpuRanker(enc, adapter, -1);
      const w = await run(warm, 1, 7); // pipeline compilation and the buffer pool
      warm.dispose();
      console.error(`webgpu warm-up (1 cell, compiles the kernels): ${w.seconds.toFixed(1)} s`);
      const ranker = webgpuRanker(enc, adapter, -1);
      const resident = tf.memory().numBytes;
      let result = { seconds: 0, batch: 0, maxGap: 0 };
      const info2 = await tf.profile(async () => {
        result = await run(ranker, gpuCells, 1);
        return [] as tf.Tensor[];
      });
      ranker.dispose();
      enc.dispose();
      rows.push({ backend: 'webgpu', cells: gpuCells, batch: result.batch, seconds: result.seconds, cellsPerSecond: gpuCells / result.seconds, memory: `${((info2.peakBytes - resident) / 1e6).toFixed(0)} MB GPU tensors beyond the weights`, maxGap: result.maxGap });
      console.error(JSON.stringify(rows[rows.length - 1]));
    } else console.error(`no WebGPU: ${info.detail}`);
  }
  if (backends.includes('wasm')) {
    await initNodeWasm(threads);
    const enc = new WasmEncoder(weights);
    const rss0 = process.memoryUsage().rss;
    let peak = rss0;
    const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 200);
    const r = await run(wasmRanker(enc, -1, threads), wasmCells, 1);
    clearInterval(timer);
    peak = Math.max(peak, process.memoryUsage().rss);
    enc.dispose();
    rows.push({ backend: `wasm (${threads} thread${threads === 1 ? '' : 's'})`, cells: wasmCells, batch: r.batch, seconds: r.seconds, cellsPerSecond: wasmCells / r.seconds, memory: `RSS +${((peak - rss0) / 1e6).toFixed(0)} MB`, maxGap: r.maxGap });
    console.error(JSON.stringify(rows[rows.length - 1]));
  }
  if (backends.includes('cpu')) {
    const rss0 = process.memoryUsage().rss;
    let peak = rss0;
    const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 200);
    const r = await run(cpuRanker(weights, -1), cpuCells, 1);
    clearInterval(timer);
    peak = Math.max(peak, process.memoryUsage().rss);
    rows.push({ backend: 'cpu', cells: cpuCells, batch: r.batch, seconds: r.seconds, cellsPerSecond: cpuCells / r.seconds, memory: `RSS +${((peak - rss0) / 1e6).toFixed(0)} MB`, maxGap: r.maxGap });
    console.error(JSON.stringify(rows[rows.length - 1]));
  }
  console.log(`\nattention GRN, M = ${M}, scGPT_human shape (${nLayers} layers, d 512, 8 heads); adapter: ${adapter}\n`);
  console.log('| backend | cells | batch | seconds | cells/s | memory | longest progress gap (s) | vs CPU |');
  console.log('|---|---:|---:|---:|---:|---|---:|---:|');
  const cpu = rows.find((r) => r.backend === 'cpu');
  for (const r of rows) {
    const ratio = cpu && r !== cpu ? `${(r.cellsPerSecond / cpu.cellsPerSecond).toFixed(2)}x` : '';
    console.log(`| ${r.backend} | ${r.cells} | ${r.batch} | ${r.seconds.toFixed(1)} | ${r.cellsPerSecond.toFixed(3)} | ${r.memory} | ${r.maxGap.toFixed(2)} | ${ratio} |`);
  }
}

await main();
// Dawn keeps handles open after the device is released; the benchmark is done, so end the process.
process.exit(0);
