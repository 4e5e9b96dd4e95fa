// The UMAP epoch of umap.ts as a WGSL kernel: one invocation per point gathers attraction from its
// row of the graph and repulsion from hashed negative samples, reading the previous positions and
// writing new ones (ping-pong buffers), so epochs are deterministic and need no atomics.
import { CancelledError } from '../io/errors.ts';
import { computePipeline, readBuffer, storageBuffer } from './gpu-device.ts';
import type { UmapOptions, UmapPlan } from './umap.ts';

const WORKGROUP = 64;

const SHADER = /* wgsl */ `
struct Params { n: u32, epoch: u32, seed: u32, pad: u32, nEpochs: f32, a: f32, b: f32, rate: f32 };
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> indptr: array<i32>;
@group(0) @binding(2) var<storage, read> indices: array<i32>;
@group(0) @binding(3) var<storage, read> eps: array<f32>;
@group(0) @binding(4) var<storage, read> cur: array<vec2<f32>>;
@group(0) @binding(5) var<storage, read_write> nxt: array<vec2<f32>>;
@group(0) @binding(6) var<storage, read_write> nextSample: array<f32>;
@group(0) @binding(7) var<storage, read_write> nextNegative: array<f32>;

fn hashU32(seed: u32, epoch: u32, edge: u32, sample: u32) -> u32 {
  var h = seed ^ ((epoch + 1u) * 0x9e3779b1u);
  h = (h ^ edge) * 0x85ebca6bu;
  h = (h ^ (h >> 13u) ^ ((sample + 1u) * 0xc2b2ae35u)) * 0x27d4eb2fu;
  h = (h ^ (h >> 15u)) * 0x165667b1u;
  return h ^ (h >> 16u);
}

fn clip4(v: vec2<f32>) -> vec2<f32> { return clamp(v, vec2<f32>(-4.0), vec2<f32>(4.0)); }

@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  if (i >= P.n) { return; }
  let ep = f32(P.epoch);
  let alpha = 1.0 - ep / P.nEpochs;
  let p0 = cur[i];
  var p = p0;
  for (var e = indptr[i]; e < indptr[i + 1u]; e = e + 1) {
    if (nextSample[e] > ep) { continue; }
    let j = u32(indices[e]);
    var d = p0 - cur[j];
    var d2 = dot(d, d);
    if (d2 > 0.0) {
      let c = (-2.0 * P.a * P.b * pow(d2, P.b - 1.0)) / (P.a * pow(d2, P.b) + 1.0);
      p = p + 2.0 * clip4(c * d) * alpha;
    }
    nextSample[e] = nextSample[e] + eps[e];
    let eNeg = eps[e] / P.rate;
    let nNeg = u32(max(0.0, floor((ep - nextNegative[e]) / eNeg)));
    for (var s = 0u; s < nNeg; s = s + 1u) {
      let k = hashU32(P.seed, P.epoch, u32(e), s) % P.n;
      if (k == i) { continue; }
      d = p0 - cur[k];
      d2 = dot(d, d);
      if (d2 > 0.0) {
        let c = (2.0 * P.b) / ((0.001 + d2) * (P.a * pow(d2, P.b) + 1.0));
        p = p + clip4(c * d) * alpha;
      } else {
        p = p + vec2<f32>(4.0) * alpha;
      }
    }
    nextNegative[e] = nextNegative[e] + f32(nNeg) * eNeg;
  }
  nxt[i] = p;
}`;

export async function umapWebGPU(device: GPUDevice, plan: UmapPlan, opts: UmapOptions = {}): Promise<Float32Array> {
  const pipeline = await computePipeline(device, SHADER);
  const nEdges = plan.indices.length;
  const bufs = {
    indptr: storageBuffer(device, plan.indptr),
    indices: storageBuffer(device, nEdges ? plan.indices : new Int32Array(1)),
    eps: storageBuffer(device, nEdges ? plan.epochsPerSample : new Float32Array(1)),
    a: storageBuffer(device, plan.init),
    b: storageBuffer(device, plan.init),
    nextSample: storageBuffer(device, nEdges ? plan.epochsPerSample : new Float32Array(1)),
    nextNegative: storageBuffer(device, nEdges ? plan.epochsPerSample.map((v) => v / plan.negativeSampleRate) : new Float32Array(1)),
  };
  const params = device.createBuffer({ size: 32, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
  const paramData = new ArrayBuffer(32);
  const u32 = new Uint32Array(paramData);
  const f32 = new Float32Array(paramData);
  u32[0] = plan.n;
  u32[2] = plan.seed >>> 0;
  f32[4] = plan.nEpochs;
  f32[5] = plan.a;
  f32[6] = plan.b;
  f32[7] = plan.negativeSampleRate;
  const groups = [0, 1].map((flip) =>
    device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries: [params, bufs.indptr, bufs.indices, bufs.eps, flip ? bufs.b : bufs.a, flip ? bufs.a : bufs.b, bufs.nextSample, bufs.nextNegative].map((buffer, binding) => ({ binding, resource: { buffer } })),
    }),
  );
  try {
    for (let epoch = 0; epoch < plan.nEpochs; epoch++) {
      u32[1] = epoch;
      // writeBuffer is ordered before the next submit, so each epoch sees its own number.
      device.queue.writeBuffer(params, 0, paramData);
      const enc = device.createCommandEncoder();
      const pass = enc.beginComputePass();
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, groups[epoch % 2]);
      pass.dispatchWorkgroups(Math.ceil(plan.n / WORKGROUP));
      pass.end();
      device.queue.submit([enc.finish()]);
      if (epoch % 20 === 19) {
        await device.queue.onSubmittedWorkDone();
        if (opts.signal?.aborted) throw new CancelledError('umap');
        opts.onProgress?.(epoch / plan.nEpochs, `umap (WebGPU): epoch ${epoch + 1} / ${plan.nEpochs}`);
      }
    }
    const last = plan.nEpochs % 2 === 0 ? bufs.a : bufs.b;
    return new Float32Array(await readBuffer(device, last, plan.n * 8));
  } finally {
    for (const b of Object.values(bufs)) b.destroy();
    params.destroy();
  }
}
