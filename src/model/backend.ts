// The one place that decides where heavy numeric work runs: WebGPU when an adapter is there,
// otherwise the CPU, and it says which and why. Works in a worker and in Node (with the `webgpu`
// package installed as navigator.gpu).
export interface BackendInfo {
  kind: 'webgpu' | 'cpu';
  /** Adapter description (vendor, architecture, device), or why WebGPU is absent. */
  detail: string;
  features: string[];
}

interface GpuLike {
  requestAdapter(opts?: { powerPreference?: string }): Promise<AdapterLike | null>;
}

interface AdapterLike {
  features: Iterable<string>;
  info?: { vendor?: string; architecture?: string; device?: string; description?: string };
}

export async function detectBackend(gpu: GpuLike | undefined = (globalThis.navigator as { gpu?: GpuLike } | undefined)?.gpu): Promise<BackendInfo> {
  if (!gpu) return { kind: 'cpu', detail: 'WebGPU is not available in this browser; using the CPU', features: [] };
  let adapter: AdapterLike | null;
  try {
    adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  } catch (err) {
    return { kind: 'cpu', detail: `WebGPU adapter request failed (${String(err)}); using the CPU`, features: [] };
  }
  if (!adapter) return { kind: 'cpu', detail: 'no WebGPU adapter was found; using the CPU', features: [] };
  const info = adapter.info ?? {};
  const parts = [info.description, info.vendor, info.architecture, info.device].filter((s): s is string => !!s && s.length > 0);
  return { kind: 'webgpu', detail: [...new Set(parts)].join(' / ') || 'unnamed adapter', features: [...adapter.features].sort() };
}
