// The one place that decides where heavy numeric work runs: a hardware WebGPU adapter when there is
// one, otherwise the CPU, and it says which and why. A software adapter (SwiftShader, llvmpipe,
// WARP: what browsers and Dawn offer on machines without a usable GPU) emulates the GPU on the CPU
// and is several times slower than our CPU paths (the demo embedding: 348 s there vs 40 s on the
// CPU), so it is used only when asked for by name. Works in a worker and in Node (with the `webgpu`
// package installed as navigator.gpu).
export interface BackendInfo {
  kind: 'webgpu' | 'cpu';
  /** Adapter description (vendor, architecture, device), or why the CPU is used. */
  detail: string;
  features: string[];
  /** The adapter is a software renderer (set whether or not it is used). */
  software?: boolean;
}

export interface AdapterInfoLike {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
  isFallbackAdapter?: boolean;
}

interface AdapterLike {
  features: Iterable<string>;
  info?: AdapterInfoLike;
  isFallbackAdapter?: boolean;
}

interface GpuLike {
  requestAdapter(opts?: { powerPreference?: string }): Promise<AdapterLike | null>;
}

/**
 * 'auto': hardware WebGPU, else the CPU (the fast float32 WASM encoder where it starts); 'webgpu':
 * any WebGPU adapter, software ones too; 'wasm': the float32 WASM encoder on the CPU; 'cpu': the
 * exact float64 reference encoder.
 */
export type DevicePreference = 'auto' | 'webgpu' | 'wasm' | 'cpu';

const SOFTWARE_RENDERERS = /swiftshader|llvmpipe|lavapipe|softpipe|microsoft basic render|\bwarp\b/i;

export function isSoftwareAdapter(adapter: { info?: AdapterInfoLike; isFallbackAdapter?: boolean }): boolean {
  const info = adapter.info ?? {};
  if (info.isFallbackAdapter === true || adapter.isFallbackAdapter === true) return true;
  return [info.vendor, info.architecture, info.device, info.description].some((s) => !!s && SOFTWARE_RENDERERS.test(s));
}

export function describeAdapter(info: AdapterInfoLike = {}): string {
  const parts = [info.description, info.vendor, info.architecture, info.device].filter((s): s is string => !!s && s.length > 0);
  return [...new Set(parts)].join(' / ') || 'unnamed adapter';
}

export async function detectBackend(
  gpu: GpuLike | undefined = (globalThis.navigator as { gpu?: GpuLike } | undefined)?.gpu,
  preference: DevicePreference = 'auto',
): Promise<BackendInfo> {
  if (preference === 'cpu' || preference === 'wasm') return { kind: 'cpu', detail: 'the CPU was chosen', features: [] };
  if (!gpu) return { kind: 'cpu', detail: 'WebGPU is not available here; using the CPU', features: [] };
  let adapter: AdapterLike | null;
  try {
    adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  } catch (err) {
    return { kind: 'cpu', detail: `WebGPU adapter request failed (${String(err)}); using the CPU`, features: [] };
  }
  if (!adapter) return { kind: 'cpu', detail: 'no WebGPU adapter was found; using the CPU', features: [] };
  const name = describeAdapter(adapter.info);
  const features = [...adapter.features].sort();
  const software = isSoftwareAdapter(adapter);
  if (software && preference !== 'webgpu') {
    return { kind: 'cpu', detail: `the only WebGPU adapter is a software renderer (${name}), slower than the CPU; using the CPU (choose WebGPU to use it anyway)`, features, software };
  }
  return { kind: 'webgpu', detail: software ? `${name} (software renderer)` : name, features, software };
}
