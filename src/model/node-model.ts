// Node-side model access: a model folder on disk, the bundled Ensembl map, and the encoder choice.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LoadedModel, ModelFiles } from './bundle.ts';
import { loadModel } from './bundle.ts';
import { detectBackend } from './backend.ts';
import type { CellEncoder } from './embed.ts';
import { spawnNodePool } from '../parallel/node-pool.ts';
import { cpuEncoder, wasmEncoder, webgpuEncoder } from './embed.ts';
import { TfjsEncoder, defaultGemmChoice, defaultKernels, initTfjsWebGPU } from './encoder-tfjs.ts';
import { cacheRoot } from './hub/node-cache.ts';
import { setTileStore } from './kernels/gemm-tiles.ts';
import { fileTileStore } from './kernels/gemm-tiles-node.ts';
import { describeKernels, registerTfjsWebGPU } from './tfjs-webgpu-device.ts';
import { WasmEncoder } from './encoder-wasm.ts';
import { installNodeWebGPU } from './node-gpu.ts';
import { initNodeWasm } from './node-wasm.ts';
import { parseEnsemblMap } from './vocab.ts';

export function dirFiles(dir: string): ModelFiles {
  return async (name) => (existsSync(join(dir, name)) ? new Uint8Array(await readFile(join(dir, name))) : null);
}

export function loadModelDir(dir: string): Promise<LoadedModel> {
  return loadModel(dirFiles(dir));
}

const ENSEMBL_MAP = fileURLToPath(new URL('../../public/gene_maps/GENCODEv44_Gene_id2name.csv', import.meta.url));

export async function loadEnsemblMap(): Promise<Map<string, string>> {
  return parseEnsemblMap(await readFile(ENSEMBL_MAP, 'utf8'));
}

export type NodeBackend = 'webgpu' | 'wasm' | 'cpu' | 'auto';

/**
 * WebGPU (tfjs's backend set up) when asked for, or by default when a hardware adapter exists;
 * else the CPU, saying why. Throws when WebGPU was asked for and is missing.
 */
export async function nodeBackend(backend: NodeBackend, log: (m: string) => void): Promise<{ kind: 'webgpu'; adapter: string; software: boolean } | { kind: 'cpu' }> {
  if (backend === 'cpu' || backend === 'wasm') return { kind: 'cpu' };
  const gpu = await installNodeWebGPU();
  if (!gpu.ok) {
    if (backend === 'webgpu') throw new Error(`WebGPU was asked for but is unavailable: ${gpu.reason}`);
    log(`no WebGPU (${gpu.reason}): the scGPT encoder runs on the CPU`);
    return { kind: 'cpu' };
  }
  const info = await detectBackend(undefined, backend);
  // Our device request (subgroups, shader-f16 where present) before tfjs starts its backend.
  if (info.kind === 'webgpu') await registerTfjsWebGPU();
  if (info.kind === 'webgpu' && (await initTfjsWebGPU())) return { kind: 'webgpu', adapter: describeKernels(info.detail), software: !!info.software };
  if (backend === 'webgpu') throw new Error(`WebGPU was asked for but is unavailable: ${info.detail}`);
  log(`${info.detail}`);
  return { kind: 'cpu' };
}

/**
 * WebGPU when asked for (or by default when a hardware adapter exists), else the CPU, saying why:
 * the float32 WASM encoder with `threads` threads ('wasm', and 'auto' without a GPU), or the exact
 * float64 reference ('cpu').
 */
export async function nodeEncoder(model: LoadedModel, backend: NodeBackend, log: (m: string) => void, threads = availableParallelism()): Promise<{ encoder: CellEncoder; dispose(): void }> {
  const chosen = await nodeBackend(backend, log);
  if (chosen.kind === 'webgpu') {
    // GEMM tile choices are remembered beside the model cache.
    setTileStore(fileTileStore(join(cacheRoot(), 'gemm-tiles.json')));
    const enc = new TfjsEncoder(model.weights, defaultKernels(chosen.software), defaultGemmChoice(model.weights));
    return { encoder: webgpuEncoder(enc, chosen.adapter), dispose: () => enc.dispose() };
  }
  if (backend === 'cpu') return exactCpu(model, threads);
  try {
    await initNodeWasm(threads);
  } catch (err) {
    if (backend === 'wasm') throw err;
    log(`the WebAssembly encoder did not start (${(err as Error).message}): using the exact float64 CPU encoder`);
    return exactCpu(model, threads);
  }
  const enc = new WasmEncoder(model.weights);
  return { encoder: wasmEncoder(enc, threads), dispose: () => enc.dispose() };
}

/** The float64 reference, its cells spread over `threads` worker_threads. */
function exactCpu(model: LoadedModel, threads: number): { encoder: CellEncoder; dispose(): void } {
  // Its workers need only the encoder's task.
  const pool = spawnNodePool(threads, [new URL('./encoder-cpu-pool.ts', import.meta.url)]);
  return { encoder: cpuEncoder(model, pool), dispose: () => pool?.terminate() };
}

/**
 * Loads a model folder and fingerprints it: SHA-256 over the files the loader read, as
 * `sha256sum` would list them (`HASH  NAME` lines, names sorted), so a user can recompute it with
 * `cd DIR && sha256sum FILES... | sha256sum`. Files the loader ignores (a README) do not count.
 */
export async function loadModelDirWithChecksum(dir: string): Promise<{ model: LoadedModel; sha256: string; files: string[] }> {
  const read = dirFiles(dir);
  const seen = new Map<string, string>();
  const model = await loadModel(async (name) => {
    const bytes = await read(name);
    if (bytes) seen.set(name, createHash('sha256').update(bytes).digest('hex'));
    return bytes;
  });
  const files = [...seen.keys()].sort();
  const listing = files.map((f) => `${seen.get(f)}  ${f}\n`).join('');
  return { model, sha256: createHash('sha256').update(listing).digest('hex'), files };
}
