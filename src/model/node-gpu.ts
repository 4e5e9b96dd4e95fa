// WebGPU in Node through Dawn (the `webgpu` package): installs navigator.gpu so tfjs-webgpu and
// detectBackend() work as in a browser worker. Dawn needs a Vulkan loader and driver: on a GPU
// server the system's; on a CPU-only Debian machine Chromium's SwiftShader, with
//   LD_LIBRARY_PATH=/usr/lib/chromium VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json
// Without any Vulkan driver (ICD) Dawn still loads and prints its failed probes to stderr from
// native code, so the GPU is not created at all then and callers say in one line that the CPU is used.
import { existsSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export type GpuInstall = { ok: true } | { ok: false; reason: string };

let installed: GpuInstall | null = null;

/** Where the Vulkan loader looks for driver manifests (the loader's documented search order). */
function vulkanIcdAvailable(env: NodeJS.ProcessEnv = process.env): boolean {
  const listed = [env.VK_DRIVER_FILES, env.VK_ICD_FILENAMES, env.VK_ADD_DRIVER_FILES].filter(Boolean).flatMap((v) => v!.split(':')).filter(Boolean);
  if (listed.some((p) => existsSync(p))) return true;
  const xdgData = (env.XDG_DATA_DIRS ?? '/usr/local/share:/usr/share').split(':');
  const dirs = [...(env.XDG_CONFIG_DIRS ?? '/etc/xdg').split(':'), '/etc', ...xdgData, join(env.XDG_DATA_HOME ?? join(homedir(), '.local/share'))].map((d) => join(d, 'vulkan/icd.d'));
  return dirs.some((d) => {
    try {
      return readdirSync(d).some((f) => f.endsWith('.json'));
    } catch {
      return false;
    }
  });
}

export async function installNodeWebGPU(): Promise<GpuInstall> {
  if (installed) return installed;
  if ((globalThis.navigator as { gpu?: unknown } | undefined)?.gpu) return (installed = { ok: true });
  if (!vulkanIcdAvailable()) return (installed = { ok: false, reason: 'no Vulkan driver found (set VK_ICD_FILENAMES for a GPU or SwiftShader)' });
  try {
    const { create, globals } = await import('webgpu');
    Object.assign(globalThis, globals);
    Object.defineProperty(globalThis, 'navigator', { value: { ...(globalThis.navigator ?? {}), gpu: create([]) }, configurable: true, writable: true });
    installed = { ok: true };
  } catch (err) {
    installed = { ok: false, reason: `the webgpu package did not load: ${(err as Error).message}` };
  }
  return installed;
}

export const SWIFTSHADER_ENV = {
  LD_LIBRARY_PATH: '/usr/lib/chromium',
  VK_ICD_FILENAMES: '/usr/lib/chromium/vk_swiftshader_icd.json',
};
