// The WebAssembly SIMD kernels (wasm/*.ts, built into simd-bytes.ts): compiled once per thread,
// instantiated over a memory that a step lays its arrays out in. A pool step puts its arrays in a
// shared memory that every worker instantiates the module over (no copies); where memory cannot be
// shared each worker gets its own memory and the arrays are copied in, as the JS steps copy theirs.
import { KERNELS_PRIVATE, KERNELS_SHARED } from './simd-bytes.ts';

/** What the module exports (offsets are byte offsets into its memory). */
export interface SimdKernels {
  /** umapPow (umap-pow.ts) of x, the table at `table`; powPairs: two lanes at a time over arrays. */
  powScalar(x: number, table: number): number;
  powPairs(src: number, dst: number, count: number, table: number): void;
  umapScratchBytes(terms: number): number;
  knnScratchBytes(d: number, k: number): number;
  knnRows(data: number, n: number, d: number, k: number, from: number, to: number, outIdx: number, outDist: number, scratch: number): void;
  joinPoint(data: number, d: number, cand: number, worst: number, nn: number, no: number, prow: number, outU: number, outV: number, outD: number, outM: number, at: number): number;
  umapEpoch(
    n: number, a: number, b: number, rate: number, seed: number, epoch: number, alpha: number,
    indptr: number, indices: number, epochsPerSample: number, nextSample: number, nextNegative: number,
    cur: number, next: number, from: number, to: number, scratch: number, terms: number, powTable: number,
  ): void;
}

const bytesOf = (b64: string) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));

let supported: boolean | null = null;

/** Whether this engine runs the kernels (WebAssembly with SIMD). */
export function simdSupported(): boolean {
  if (supported === null) {
    try {
      supported = typeof WebAssembly === 'object' && WebAssembly.validate(bytesOf(KERNELS_PRIVATE));
    } catch {
      supported = false;
    }
  }
  return supported;
}

const modules = new Map<boolean, Promise<WebAssembly.Module>>();

function kernelModule(shared: boolean): Promise<WebAssembly.Module> {
  let m = modules.get(shared);
  if (!m) {
    m = WebAssembly.compile(bytesOf(shared ? KERNELS_SHARED : KERNELS_PRIVATE));
    modules.set(shared, m);
  }
  return m;
}

/** Largest memory the kernels get (WebAssembly's 32-bit addresses allow 4 GiB; browsers may refuse more). */
export const SIMD_MAX_BYTES = 2 ** 31;

/** Whether a step needing `bytes` of kernel memory runs in the kernels (else its JavaScript loops run). */
export function simdFits(bytes: number): boolean {
  return simdSupported() && bytes <= SIMD_MAX_BYTES;
}

/** A memory of at least `bytes` bytes; shared ones can go to pool workers. */
export function simdMemory(bytes: number, shared: boolean): WebAssembly.Memory {
  const pages = Math.max(1, Math.ceil(bytes / 65536));
  if (pages > 65536) throw new Error(`WebAssembly kernels: ${(bytes / 2 ** 30).toFixed(1)} GiB does not fit in a 4 GiB WebAssembly memory`);
  return shared ? new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true }) : new WebAssembly.Memory({ initial: pages });
}

/** The kernels over `memory` (its kind, shared or not, picks the module variant). */
export async function simdKernels(memory: WebAssembly.Memory): Promise<SimdKernels> {
  const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
  const instance = await WebAssembly.instantiate(await kernelModule(shared), { env: { memory } });
  return instance.exports as unknown as SimdKernels;
}

/** Grows `memory` (not shared) to at least `bytes`; true when it grew (views on it must be remade). */
export function growTo(memory: WebAssembly.Memory, bytes: number): boolean {
  const have = memory.buffer.byteLength;
  if (have >= bytes) return false;
  memory.grow(Math.ceil((bytes - have) / 65536));
  return true;
}

/** Byte offsets of arrays laid out one after another, each 16-byte aligned. */
export class SimdLayout {
  bytes = 0;
  /** Room for `n` elements of `size` bytes; returns its offset. */
  take(n: number, size: number): number {
    const at = this.bytes;
    this.bytes += Math.ceil((n * size) / 16) * 16;
    return at;
  }
}
