// Starts tfjs's WebAssembly backend in a browser worker. Vite serves the three builds as assets
// (?url); tfjs picks one: threaded SIMD where SharedArrayBuffer is there (a cross-origin isolated
// page), else SIMD on this thread. The threaded build's pthread workers are blob: workers that
// importScripts() another blob: (the module factory), so the data worker's CSP allows blob:
// scripts (server/security.ts); without it they fail to load and take the data worker down. tfjs caps its pool at half of navigator.hardwareConcurrency
// (it assumes two hyperthreads per core): the value it reads while starting is set to twice the
// threads wanted, so the pool gets one thread per logical core.
import * as tf from '@tensorflow/tfjs-core';
import plainWasm from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import simdWasm from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import threadedWasm from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';

let started: Promise<number> | null = null;

/** Selects the wasm backend (started once); resolves to its thread count. */
export function initBrowserWasm(threads = navigator.hardwareConcurrency || 1): Promise<number> {
  started ??= start(threads).catch((err) => {
    started = null;
    throw err;
  });
  return started.then(async (n) => {
    await tf.setBackend('wasm');
    return n;
  });
}

async function start(threads: number): Promise<number> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  wasm.setWasmPaths({ 'tfjs-backend-wasm.wasm': plainWasm, 'tfjs-backend-wasm-simd.wasm': simdWasm, 'tfjs-backend-wasm-threaded-simd.wasm': threadedWasm });
  wasm.setThreadsCount(threads);
  const own = Object.getOwnPropertyDescriptor(navigator, 'hardwareConcurrency');
  Object.defineProperty(navigator, 'hardwareConcurrency', { value: 2 * threads, configurable: true });
  try {
    if (!(await tf.setBackend('wasm'))) throw new Error('tfjs could not start its wasm backend');
  } finally {
    if (own) Object.defineProperty(navigator, 'hardwareConcurrency', own);
    else delete (navigator as { hardwareConcurrency?: number }).hardwareConcurrency;
  }
  return wasm.getThreadsCount();
}
