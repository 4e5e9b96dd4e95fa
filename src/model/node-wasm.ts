// Starts tfjs's WebAssembly backend in Node with a chosen number of threads. tfjs 4.22 ships the
// threaded SIMD build but turns threads off in Node (tfjs#3830) and caps the pool at half the
// logical cores (it assumes two hyperthreads per core), so two things are set up before it starts:
// - its pthread workers are created from a Blob URL, which Node's worker_threads cannot load: the
//   same worker script is written to a temporary file instead, and inside it the main script's
//   Blob is resolved to the package's own threaded module file;
// - the core count it reads (os.cpus().length, only while it initialises) is reported as twice the
//   threads asked for, so the pool gets exactly that many.
import * as tf from '@tensorflow/tfjs-core';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { join } from 'node:path';

const require = createRequire(import.meta.url);

let started: { threads: number } | null = null;

/** Selects the wasm backend with `threads` XNNPACK threads (1: the single-threaded SIMD build). */
export async function initNodeWasm(threads: number): Promise<{ threads: number }> {
  if (!(Number.isInteger(threads) && threads >= 1)) throw new Error(`--threads must be a whole number of at least 1 (got ${threads})`);
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  if (started) {
    if (started.threads !== threads) throw new Error(`the wasm backend already runs with ${started.threads} threads; its thread count is fixed once started`);
    await tf.setBackend('wasm');
    return started;
  }
  const threaded = threads > 1;
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', threaded);
  wasm.setThreadsCount(threads);
  const restore: (() => void)[] = [];
  if (threaded) {
    const factory = require.resolve('@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js');
    const { wasmWorkerContents } = require('@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.worker.js') as { wasmWorkerContents: string };
    const file = join(mkdtempSync(join(os.tmpdir(), 'scweb-wasm-')), 'pthread-worker.cjs');
    // tfjs escapes newlines the same way before making its Blob (they sit inside string literals).
    writeFileSync(file, `URL.createObjectURL = () => ${JSON.stringify(factory)};\nURL.revokeObjectURL = () => {};\n${wasmWorkerContents.replace(/\n/g, '\\n')}`);
    const createObjectURL = URL.createObjectURL;
    URL.createObjectURL = () => file;
    restore.push(() => (URL.createObjectURL = createObjectURL));
  }
  const cpus = os.cpus;
  os.cpus = () => Array.from({ length: 2 * threads }, () => cpus()[0]);
  restore.push(() => (os.cpus = cpus));
  try {
    if (!(await tf.setBackend('wasm'))) throw new Error('tfjs could not start its wasm backend');
  } finally {
    restore.forEach((f) => f());
  }
  // The pool's workers wait for work for the life of the process: they must not keep it running.
  const pthreads = (tf.backend() as unknown as { wasm?: { PThread?: { runningWorkers: { unref(): void }[]; unusedWorkers: { unref(): void }[] } } }).wasm?.PThread;
  for (const w of [...(pthreads?.runningWorkers ?? []), ...(pthreads?.unusedWorkers ?? [])]) w.unref();
  const actual = wasm.getThreadsCount();
  if (actual !== threads) throw new Error(`the wasm backend started with ${actual} threads instead of ${threads}`);
  started = { threads };
  return started;
}
