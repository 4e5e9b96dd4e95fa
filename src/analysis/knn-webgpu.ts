// Exact k nearest neighbours on WebGPU: one invocation per query scans every point (tiles of
// points staged in workgroup memory) and keeps its k best in registers by insertion. O(n^2 d) like
// the CPU brute force, but thousands of queries at once; self first, as scanpy stores it.
import { CancelledError } from '../io/errors.ts';
import { computePipeline, readBuffer, storageBuffer } from './gpu-device.ts';
import type { KnnOptions, KnnResult } from './knn.ts';

export const MAX_GPU_K = 64;
const WG = 64;

function shader(d: number, k: number, tile: number): string {
  return /* wgsl */ `
struct Params { n: u32, start: u32, count: u32, pad: u32 };
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read_write> outIdx: array<i32>;
@group(0) @binding(3) var<storage, read_write> outDist: array<f32>;
const D = ${d}u;
const K = ${k}u;
const TILE = ${tile}u;
var<workgroup> tileX: array<f32, ${tile * d}>;

@compute @workgroup_size(${WG})
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let q = P.start + wid.x * ${WG}u + lid.x;
  let valid = q < P.start + P.count;
  var bestD: array<f32, K>;
  var bestI: array<i32, K>;
  for (var t = 0u; t < K; t = t + 1u) { bestD[t] = 3.0e38; bestI[t] = -1; }
  for (var base = 0u; base < P.n; base = base + TILE) {
    workgroupBarrier();
    for (var e = lid.x; e < TILE * D; e = e + ${WG}u) {
      let p = base + e / D;
      tileX[e] = select(0.0, X[min(p, P.n - 1u) * D + e % D], p < P.n);
    }
    workgroupBarrier();
    if (valid) {
      let m = min(TILE, P.n - base);
      for (var j = 0u; j < m; j = j + 1u) {
        var s = 0.0;
        for (var c = 0u; c < D; c = c + 1u) {
          let diff = X[q * D + c] - tileX[j * D + c];
          s = s + diff * diff;
        }
        let id = base + j;
        if (id == q) { s = -1.0; }
        if (s >= bestD[K - 1u]) { continue; }
        var p = K - 1u;
        while (p > 0u && bestD[p - 1u] > s) {
          bestD[p] = bestD[p - 1u];
          bestI[p] = bestI[p - 1u];
          p = p - 1u;
        }
        bestD[p] = s;
        bestI[p] = i32(id);
      }
    }
  }
  if (!valid) { return; }
  let row = (q - P.start) * K;
  for (var t = 0u; t < K; t = t + 1u) {
    outIdx[row + t] = bestI[t];
    outDist[row + t] = sqrt(max(bestD[t], 0.0));
  }
}`;
}

export async function exactKnnWebGPU(device: GPUDevice, data: Float32Array, n: number, d: number, k: number, opts: KnnOptions = {}): Promise<KnnResult> {
  if (k > MAX_GPU_K) throw new Error(`GPU neighbours support k <= ${MAX_GPU_K}`);
  const tile = Math.max(1, Math.min(64, Math.floor(4096 / d)));
  const pipeline = await computePipeline(device, shader(d, k, tile));
  const X = storageBuffer(device, data);
  // Queries go in slices so each submit stays short (no GPU watchdog resets on big n) and progress
  // is reported about every quarter second: the first slice is small, later ones are sized from
  // the measured time per query (a slow GPU once sat at "0 / 50,000" for minutes in one dispatch).
  const maxSlice = Math.max(WG, Math.min(n, Math.floor(2e9 / Math.max(1, n * d)) * WG));
  let slice = Math.max(WG, Math.min(maxSlice, Math.floor(5e7 / Math.max(1, n * d)) * WG));
  const outIdx = device.createBuffer({ size: maxSlice * k * 4, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
  const outDist = device.createBuffer({ size: maxSlice * k * 4, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
  const params = device.createBuffer({ size: 16, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
  const bind = device.createBindGroup({
    layout: pipeline.getBindGroupLayout(0),
    entries: [params, X, outIdx, outDist].map((buffer, binding) => ({ binding, resource: { buffer } })),
  });
  const indices = new Int32Array(n * k);
  const distances = new Float32Array(n * k);
  try {
    for (let start = 0, count = 0; start < n; start += count) {
      if (opts.signal?.aborted) throw new CancelledError('neighbors');
      const t0 = performance.now();
      opts.onProgress?.(start / n, `neighbors (WebGPU, exact): ${start.toLocaleString('en-US')} / ${n.toLocaleString('en-US')} cells`);
      count = Math.min(slice, n - start);
      device.queue.writeBuffer(params, 0, new Uint32Array([n, start, count, 0]));
      const enc = device.createCommandEncoder();
      const pass = enc.beginComputePass();
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, bind);
      pass.dispatchWorkgroups(Math.ceil(count / WG));
      pass.end();
      device.queue.submit([enc.finish()]);
      indices.set(new Int32Array(await readBuffer(device, outIdx, count * k * 4)), start * k);
      distances.set(new Float32Array(await readBuffer(device, outDist, count * k * 4)), start * k);
      const perQuery = (performance.now() - t0) / count;
      slice = Math.max(WG, Math.min(maxSlice, Math.floor(250 / Math.max(perQuery, 1e-6) / WG) * WG));
    }
  } finally {
    X.destroy();
    outIdx.destroy();
    outDist.destroy();
    params.destroy();
  }
  return { k, indices, distances };
}
