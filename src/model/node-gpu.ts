// WebGPU in Node through Dawn (the `webgpu` package): installs navigator.gpu so tfjs-webgpu and
// detectBackend() work as in a browser worker. Dawn needs a Vulkan loader and driver: on a GPU
// server the system's; on a CPU-only Debian machine Chromium's SwiftShader, with
//   LD_LIBRARY_PATH=/usr/lib/chromium VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json
let installed = false;

export async function installNodeWebGPU(): Promise<boolean> {
  if (installed) return true;
  if ((globalThis.navigator as { gpu?: unknown } | undefined)?.gpu) return (installed = true);
  try {
    const { create, globals } = await import('webgpu');
    Object.assign(globalThis, globals);
    Object.defineProperty(globalThis, 'navigator', { value: { ...(globalThis.navigator ?? {}), gpu: create([]) }, configurable: true, writable: true });
    installed = true;
  } catch {
    installed = false;
  }
  return installed;
}

export const SWIFTSHADER_ENV = {
  LD_LIBRARY_PATH: '/usr/lib/chromium',
  VK_ICD_FILENAMES: '/usr/lib/chromium/vk_swiftshader_icd.json',
};
