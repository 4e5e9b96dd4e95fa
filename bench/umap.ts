// Our UMAP (CPU, and WebGPU with --gpu) against umap-js on the same kNN graph: a 20-cluster
// Gaussian mixture in 50 dimensions at 10k and 50k points (sizes overridable: --sizes 10000,50000).
// Prints time per layout, the ratio umap-js / ours, and trustworthiness (k 15, 1,000 sampled
// points, ranks over all points) of each. Run: node --import tsx bench/umap.ts
import { UMAP } from 'umap-js';
import { fuzzyConnectivities } from '../src/analysis/connectivities.ts';
import { analysisDevice } from '../src/analysis/gpu-device.ts';
import { trustworthinessSampled } from '../src/analysis/metrics.ts';
import { nnDescent } from '../src/analysis/nndescent.ts';
import { planUmap, umapCpu } from '../src/analysis/umap.ts';
import { umapWebGPU } from '../src/analysis/umap-webgpu.ts';
import { mulberry32 } from '../src/model/random.ts';
import { gaussianMixture } from './mixture.ts';
import { installNodeWebGPU } from '../src/model/node-gpu.ts';

const arg = (name: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const sizes = (arg('sizes') ?? '10000,50000').split(',').map(Number);
const useGpu = process.argv.includes('--gpu');
const D = 50;
const K = 15;


const rows: string[] = [];
for (const n of sizes) {
  const x = gaussianMixture(n, D, 7);
  let t = performance.now();
  const knn = await nnDescent(x, n, D, K, { seed: 1 });
  const knnMs = performance.now() - t;
  const graph = fuzzyConnectivities(knn, n);
  const plan = await planUmap(graph, x, D, { seed: 0 });
  t = performance.now();
  const ours = await umapCpu(plan);
  const oursMs = performance.now() - t;
  let gpuMs = NaN;
  let gpuTw = NaN;
  if (useGpu) {
    await installNodeWebGPU();
    const device = await analysisDevice({ allowSoftware: true });
    if (device) {
      t = performance.now();
      const g = await umapWebGPU(device, plan);
      gpuMs = performance.now() - t;
      gpuTw = trustworthinessSampled(x, D, g, 2, n, K);
    }
  }
  // umap-js on the same neighbours (its nearest-neighbour search skipped), same epochs.
  const indices = Array.from({ length: n }, (_, i) => Array.from(knn.indices.subarray(i * K, (i + 1) * K)));
  const distances = Array.from({ length: n }, (_, i) => Array.from(knn.distances.subarray(i * K, (i + 1) * K)));
  const data = Array.from({ length: n }, (_, i) => Array.from(x.subarray(i * D, (i + 1) * D)));
  const js = new UMAP({ nComponents: 2, nNeighbors: K, minDist: 0.5, spread: 1, nEpochs: plan.nEpochs, random: mulberry32(3) });
  js.setPrecomputedKNN(indices, distances);
  t = performance.now();
  const jsLayout = Float32Array.from(js.fit(data).flat());
  const jsMs = performance.now() - t;
  const twOurs = trustworthinessSampled(x, D, ours, 2, n, K);
  const twJs = trustworthinessSampled(x, D, jsLayout, 2, n, K);
  const line = `n ${n}: kNN (NN-descent) ${(knnMs / 1000).toFixed(1)} s | scWeb CPU ${(oursMs / 1000).toFixed(1)} s (T ${twOurs.toFixed(3)})${useGpu ? ` | scWeb WebGPU ${(gpuMs / 1000).toFixed(1)} s (T ${gpuTw.toFixed(3)})` : ''} | umap-js ${(jsMs / 1000).toFixed(1)} s (T ${twJs.toFixed(3)}) | umap-js / scWeb CPU = ${(jsMs / oursMs).toFixed(2)}x; ${plan.nEpochs} epochs`;
  console.log(line);
  rows.push(line);
}
