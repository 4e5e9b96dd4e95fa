// tfjs's WebGPU backend on a device of our asking. tfjs 4.22 requests its device itself with
// timestamp-query and bgra8unorm-storage only, so kernels could not use `subgroups` or
// `shader-f16` even where the adapter has them. Registering the backend here (before
// initTfjsWebGPU selects it) asks for the same limits as tfjs plus those two features.
//
// WGSL wants `enable subgroups;` before every declaration, and tfjs assembles each module with its
// own declarations first, so a kernel cannot write the directive itself: it writes
// SUBGROUPS_MARKER in its code and this device's createShaderModule puts the directive on top.
import * as tf from '@tensorflow/tfjs-core';

export const SUBGROUPS_MARKER = '// scweb: enable subgroups';

interface DeviceFeatures {
  /** The adapter's one subgroup size (its min and max agree), or null: no subgroups, or a size that varies. */
  subgroupSize: number | null;
  shaderF16: boolean;
}

const ours = new WeakMap<GPUDevice, DeviceFeatures>();
let registered = false;
let subgroupsWanted = true;

/** Makes tfjs's 'webgpu' backend use a device requested here; a no-op once that backend has started. */
export async function registerTfjsWebGPU(): Promise<void> {
  const { WebGPUBackend } = await import('@tensorflow/tfjs-backend-webgpu');
  // Started already (tf.findBackend would start it: it is not a lookup for a backend not yet made).
  const started = 'webgpu' in (tf.engine() as unknown as { registry: Record<string, unknown> }).registry;
  if (registered || started || typeof navigator === 'undefined' || !navigator.gpu) return;
  registered = true;
  tf.removeBackend('webgpu');
  tf.registerBackend(
    'webgpu',
    async () => {
      const adapter = await navigator.gpu.requestAdapter({ powerPreference: tf.env().get('WEBGPU_USE_LOW_POWER_GPU') ? 'low-power' : 'high-performance' });
      if (!adapter) throw new Error('no WebGPU adapter');
      const wanted = ['timestamp-query', 'bgra8unorm-storage', 'subgroups', 'shader-f16'] as GPUFeatureName[];
      const requiredFeatures = wanted.filter((f) => adapter.features.has(f));
      const l = adapter.limits;
      const device = await adapter.requestDevice({
        requiredFeatures,
        requiredLimits: {
          maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
          maxComputeWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension,
          maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
          maxBufferSize: l.maxBufferSize,
          maxComputeWorkgroupSizeX: l.maxComputeWorkgroupSizeX,
          maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
        },
      });
      const info = adapter.info as GPUAdapterInfo & { subgroupMinSize?: number; subgroupMaxSize?: number };
      const fixed = info.subgroupMinSize !== undefined && info.subgroupMinSize === info.subgroupMaxSize ? info.subgroupMinSize : null;
      ours.set(device, { subgroupSize: device.features.has('subgroups') ? fixed : null, shaderF16: device.features.has('shader-f16') });
      const create = device.createShaderModule.bind(device);
      device.createShaderModule = (d: GPUShaderModuleDescriptor) => (d.code.includes(SUBGROUPS_MARKER) ? create({ ...d, code: `enable subgroups;\n${d.code}` }) : create(d));
      return new WebGPUBackend(device, info);
    },
    3,
  );
}

function activeDevice(): GPUDevice | null {
  if (tf.getBackend() !== 'webgpu') return null;
  return (tf.backend() as unknown as { device?: GPUDevice }).device ?? null;
}

/**
 * The subgroup size kernels may build on: the active tfjs WebGPU device is ours, has `subgroups`,
 * the adapter's subgroup size is fixed, and subgroup kernels are not switched off; else null.
 */
export function kernelSubgroupSize(): number | null {
  const device = activeDevice();
  if (!subgroupsWanted || !device) return null;
  return ours.get(device)?.subgroupSize ?? null;
}

/** Whether the active tfjs WebGPU device has `shader-f16` enabled (requested here). */
export function deviceHasShaderF16(): boolean {
  const device = activeDevice();
  return !!device && !!ours.get(device)?.shaderF16;
}

/** false: kernels use their workgroup-memory reductions even where subgroups exist (tests, benches). */
export function setSubgroupKernels(on: boolean): void {
  subgroupsWanted = on;
}

/** The adapter's description with the kernel variant in use, for logs and the encoder's name. */
export function describeKernels(adapter: string): string {
  const S = kernelSubgroupSize();
  return S ? `${adapter}; subgroups of ${S}` : adapter;
}
