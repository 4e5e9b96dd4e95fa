// Neighbour search time vs n: exact brute force on the CPU, NN-descent on the CPU (with its recall
// against the exact result), and the exact WebGPU kernel with --gpu. 50-dimensional Gaussian
// mixture, k 15. Run: node --import tsx bench/neighbors.ts [--sizes 2000,5000,10000,20000] [--gpu]
import { analysisDevice } from '../src/analysis/gpu-device.ts';
import { exactKnn } from '../src/analysis/knn.ts';
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
console.log('| n | exact CPU | NN-descent CPU (recall) | exact WebGPU | exact CPU / NN-descent |');
console.log('|---:|---:|---:|---:|---:|');
for (const n of sizes) {
  const x = gaussianMixture(n, D, n);
  let t = performance.now();
  const approx = await nnDescent(x, n, D, K, { seed: 0 });
  const nnMs = performance.now() - t;
  let exactMs = NaN;
  let recall = NaN;
  if (n <= exactUpTo) {
    t = performance.now();
    const exact = exactKnn(x, n, D, K);
    exactMs = performance.now() - t;
    let hit = 0;
    for (let i = 0; i < n; i++) {
      const s = new Set(exact.indices.subarray(i * K, (i + 1) * K));
      for (let j = 0; j < K; j++) if (s.has(approx.indices[i * K + j])) hit++;
    }
    recall = hit / (n * K);
  }
  let gpuMs = NaN;
  if (device) {
    t = performance.now();
    await exactKnnWebGPU(device, x, n, D, K);
    gpuMs = performance.now() - t;
  }
  const s = (ms: number) => (Number.isFinite(ms) ? `${(ms / 1000).toFixed(2)} s` : 'not run');
  console.log(`| ${n.toLocaleString('en-US')} | ${s(exactMs)} | ${s(nnMs)} (${Number.isFinite(recall) ? recall.toFixed(4) : '-'}) | ${s(gpuMs)} | ${Number.isFinite(exactMs) ? (exactMs / nnMs).toFixed(1) + 'x' : '-'} |`);
}
