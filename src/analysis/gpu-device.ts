// A WebGPU device for the analysis kernels (UMAP, kNN), requested once per worker or process.
// Returns null where WebGPU is missing, or where the adapter is a software renderer and software
// was not asked for (it is slower than the CPU paths), so callers fall back to the CPU and say so.
import { isSoftwareAdapter } from '../model/backend.ts';

let pending: Promise<GPUDevice | null> | null = null;
let pendingSoftware = false;

export function analysisDevice(opts: { allowSoftware?: boolean } = {}): Promise<GPUDevice | null> {
  const allowSoftware = opts.allowSoftware === true;
  if (pending && pendingSoftware !== allowSoftware) pending = null;
  pendingSoftware = allowSoftware;
  pending ??= (async () => {
    const gpu = (globalThis.navigator as { gpu?: GPU } | undefined)?.gpu;
    if (!gpu) return null;
    try {
      const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
      if (!adapter) return null;
      if (!allowSoftware && isSoftwareAdapter(adapter as unknown as Parameters<typeof isSoftwareAdapter>[0])) return null;
      const device = await adapter.requestDevice({
        requiredLimits: { maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize, maxBufferSize: adapter.limits.maxBufferSize },
      });
      device.lost.then(() => (pending = null));
      return device;
    } catch {
      return null;
    }
  })();
  return pending;
}

/** A storage buffer initialised from a typed array. */
export function storageBuffer(device: GPUDevice, data: ArrayBufferView, extraUsage = 0): GPUBuffer {
  const size = Math.max(16, Math.ceil(data.byteLength / 4) * 4);
  const buf = device.createBuffer({ size, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC | extraUsage, mappedAtCreation: true });
  new Uint8Array(buf.getMappedRange()).set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  buf.unmap();
  return buf;
}

/** Copies a buffer back to the CPU. */
export async function readBuffer(device: GPUDevice, src: GPUBuffer, byteLength: number): Promise<ArrayBuffer> {
  const staging = device.createBuffer({ size: Math.ceil(byteLength / 4) * 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const enc = device.createCommandEncoder();
  enc.copyBufferToBuffer(src, 0, staging, 0, staging.size);
  device.queue.submit([enc.finish()]);
  await staging.mapAsync(GPUMapMode.READ);
  const out = staging.getMappedRange().slice(0, byteLength);
  staging.unmap();
  staging.destroy();
  return out;
}

/** A compute pipeline for `code`'s `main`; a WGSL or validation error throws instead of running nothing. */
export async function computePipeline(device: GPUDevice, code: string): Promise<GPUComputePipeline> {
  device.pushErrorScope('validation');
  const module = device.createShaderModule({ code });
  const pipeline = device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' } });
  const err = await device.popErrorScope();
  if (err) throw new Error(`WebGPU kernel failed to compile: ${err.message}`);
  return pipeline;
}
