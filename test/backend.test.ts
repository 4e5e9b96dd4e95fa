// Where heavy work runs: a software WebGPU adapter (SwiftShader here, as in headless browsers and on
// machines without a usable GPU) is slower than our CPU paths, so 'auto' must not pick it.
import { describe, expect, it } from 'vitest';
import { analysisDevice } from '../src/analysis/gpu-device.ts';
import { detectBackend, isSoftwareAdapter } from '../src/model/backend.ts';
import { installNodeWebGPU } from '../src/model/node-gpu.ts';

const fakeGpu = (info: Record<string, unknown>, isFallbackAdapter?: boolean) => ({
  requestAdapter: async () => ({ features: ['shader-f16'], info, isFallbackAdapter }),
});

describe('software adapters', () => {
  it.each([
    [{ vendor: 'google', architecture: 'swiftshader', device: '' }],
    [{ vendor: 'mesa', description: 'llvmpipe (LLVM 15.0.6, 256 bits)' }],
    [{ description: 'Microsoft Basic Render Driver' }],
    [{ vendor: 'intel', isFallbackAdapter: true }],
  ])('%o is a software renderer', (info) => {
    expect(isSoftwareAdapter({ info })).toBe(true);
  });

  it.each([[{ vendor: 'nvidia', architecture: 'hopper', description: 'NVIDIA H200' }], [{ vendor: 'apple', architecture: 'metal-3' }], [{ vendor: 'intel', architecture: 'gen-12lp' }]])('%o is hardware', (info) => {
    expect(isSoftwareAdapter({ info })).toBe(false);
  });

  it('auto chooses the CPU over SwiftShader and says why; webgpu forces it', async () => {
    const gpu = fakeGpu({ vendor: 'google', architecture: 'swiftshader' });
    const auto = await detectBackend(gpu, 'auto');
    expect(auto.kind).toBe('cpu');
    expect(auto.software).toBe(true);
    expect(auto.detail).toMatch(/software renderer \(google \/ swiftshader\).*using the CPU/);
    const forced = await detectBackend(gpu, 'webgpu');
    expect(forced.kind).toBe('webgpu');
    expect(forced.detail).toContain('software renderer');
    expect((await detectBackend(gpu, 'cpu')).kind).toBe('cpu');
  });

  it('auto keeps a hardware adapter', async () => {
    const info = await detectBackend(fakeGpu({ vendor: 'nvidia', architecture: 'hopper' }), 'auto');
    expect(info).toMatchObject({ kind: 'webgpu', software: false, detail: 'nvidia / hopper' });
  });

  it('the real Dawn adapter on this machine (SwiftShader) is recognised: no analysis device unless software is allowed', async () => {
    await installNodeWebGPU();
    const real = await detectBackend();
    if (real.kind === 'webgpu' && !real.software) return; // a machine with a hardware GPU: nothing to check
    expect(real).toMatchObject({ kind: 'cpu', software: true });
    expect(await analysisDevice()).toBeNull();
    expect(await analysisDevice({ allowSoftware: true })).not.toBeNull();
  });
});
