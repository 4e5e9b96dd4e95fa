// Neighbour search time vs n, one thread: exact brute force and NN-descent on the CPU, each with
// its distance loops in JavaScript and in the WebAssembly SIMD kernels (identical results,
// checked here), NN-descent's recall against the exact result, and the exact WebGPU kernel with
// --gpu. 50-dimensional Gaussian mixture, k 15. Times: wall, and CPU in brackets (the machine
// may be shared). Run: node --import tsx bench/neighbors.ts [--sizes 2000,5000,10000,20000] [--gpu]
import { loadavg } from 'node:os';
import { analysisDevice } from '../src/analysis/gpu-device.ts';
import { exactKnnAsync, type KnnResult } from '../src/analysis/knn.ts';
import { exactKnnWebGPU } from '../src/analysis/knn-webgpu.ts';
import { nnDescent } from '../src/analysis/nndescent.ts';
import { gaussianMixture } from './mixture.ts';
import { installNodeWebGPU } from '../src/model/node-gpu.ts';

const arg = (name: string, d: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : d;
};
const sizes = arg('sizes', '2000,5000,10000,20000').split(',').map(Number);
const exactUpTo = Number(arg('exact-up-to', '20000'));
const D = 50;
const K = 15;
const device = process.argv.includes('--gpu') ? (await installNodeWebGPU(), await analysisDevice({ allowSoftware: true })) : null;

async function timed(f: () => Promise<KnnResult>): Promise<{ r: KnnResult; wall: number; cpu: number }> {
  const c = process.cpuUsage();
  const t = performance.now();
  const r = await f();
  const u = process.cpuUsage(c);
  return { r, wall: (performance.now() - t) / 1000, cpu: (u.user + u.system) / 1e6 };
}
const same = (a: KnnResult, b: KnnResult) => Buffer.from(a.indices.buffer).equals(Buffer.from(b.indices.buffer)) && Buffer.from(a.distances.buffer).equals(Buffer.from(b.distances.buffer));
const s = (x?: { wall: number; cpu: number }) => (x ? `${x.wall.toFixed(2)} s (${x.cpu.toFixed(2)})` : 'not run');

console.log(`load average ${loadavg()[0].toFixed(1)}`);
console.log('| n | exact JS | exact WASM SIMD | NN-descent JS | NN-descent WASM SIMD (recall) | exact WebGPU | JS / WASM CPU time: exact, NN-descent | identical |');
console.log('|---:|---:|---:|---:|---:|---:|---:|---|');
for (const n of sizes) {
  const x = gaussianMixture(n, D, n);
  const nnJs = await timed(() => nnDescent(x, n, D, K, { seed: 0, engine: 'js' }));
  const nnWasm = await timed(() => nnDescent(x, n, D, K, { seed: 0, engine: 'wasm' }));
  let exJs, exWasm;
  let recall = NaN;
  if (n <= exactUpTo) {
    exJs = await timed(() => exactKnnAsync(x, n, D, K, { engine: 'js' }));
    exWasm = await timed(() => exactKnnAsync(x, n, D, K, { engine: 'wasm' }));
    let hit = 0;
    for (let i = 0; i < n; i++) {
      const set = new Set(exWasm.r.indices.subarray(i * K, (i + 1) * K));
      for (let j = 0; j < K; j++) if (set.has(nnWasm.r.indices[i * K + j])) hit++;
    }
    recall = hit / (n * K);
  }
  let gpu;
  if (device) gpu = await timed(() => exactKnnWebGPU(device, x, n, D, K));
  const ratio = `${exJs && exWasm ? (exJs.cpu / exWasm.cpu).toFixed(1) + 'x' : '-'}, ${(nnJs.cpu / nnWasm.cpu).toFixed(1)}x`;
  const identical = same(nnJs.r, nnWasm.r) && (!exJs || !exWasm || same(exJs.r, exWasm.r));
  console.log(`| ${n.toLocaleString('en-US')} | ${s(exJs)} | ${s(exWasm)} | ${s(nnJs)} | ${s(nnWasm)} (${Number.isFinite(recall) ? recall.toFixed(4) : '-'}) | ${device ? s(gpu) : 'not run'} | ${ratio} | ${identical ? 'yes' : 'NO'} |`);
}
console.log(`load average at end ${loadavg()[0].toFixed(1)}`);
