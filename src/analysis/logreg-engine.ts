// Where logistic regression's gradient runs: the CPU pool (float64, GradientJob) or tfjs on WebGPU
// (float32, WebGpuGradient). The GPU is the caller's choice: 'auto' (the app's and the CLI's
// default) takes a hardware adapter, 'webgpu' any adapter (SwiftShader too), 'cpu' none. With a
// GPU, 'auto' still keeps problems below GPU_MIN_WORK on the CPU, where a pass costs less than
// the GPU's fixed costs (the copy of the reference, a queue round trip and a read-back per
// evaluation, the float64 finish on the CPU); 'webgpu' uses it at any size. L-BFGS keeps the
// reference on the GPU as dense float32 blocks, so it needs them to fit GPU_MEMORY_BUDGET; SGD
// copies each mini-batch and keeps nothing there.
import { detectBackend } from '../model/backend.ts';
import { residentBytes } from './logreg-blocks.ts';

/** 'auto': a hardware WebGPU adapter, above GPU_MIN_WORK; 'webgpu': any adapter, any size; 'cpu': the pool. */
export type LogRegDevice = 'auto' | 'webgpu' | 'cpu';

/**
 * Cells x genes x classes of a full pass below which 'auto' stays on the CPU. At 10^8 (5,000 cells
 * x 2,000 genes x 10 labels) one pass takes ~0.07 s on one CPU thread here (bench/logreg-gpu.ts:
 * 0.042 s at 2,000 cells, 0.26 s at 20,000, 1.4 s at 100,000) and a fit of ~40 iterations a few
 * seconds; a GPU pass there is one block, ~20 tfjs dispatches and one read-back (milliseconds), so
 * what is left to pay for is fixed: compiling tfjs's pipelines on first use (hundreds of ms), the
 * copy of the reference (40 MB) and the float64 finish (0-6 CPU iterations). Below, those fixed
 * costs are the whole CPU fit. An estimate until bench/logreg-gpu.ts has run on a hardware GPU:
 * SwiftShader, the only adapter here, emulates the GPU on the CPU (a pass at 2,000 cells: 5.3 s,
 * 125x the CPU's) and never pays, which is why 'auto' never takes a software adapter.
 */
export const GPU_MIN_WORK = 1e8;

/** GPU memory the dense reference blocks may take (L-BFGS); above, the CPU pool. */
export const GPU_MEMORY_BUDGET = 2 * 1024 ** 3;

/** A GPU the caller has: tfjs's WebGPU backend can start on it (loadTfjsWebGPU). */
export interface LogRegGpu {
  /** The adapter, in words (detectBackend's detail). */
  adapter: string;
  /** Asked for by name ('webgpu'): used whatever the size. */
  force: boolean;
  /** Overrides GPU_MEMORY_BUDGET (bytes). */
  memoryBudget?: number;
  /** tfjs backend for the float32 engine: 'webgpu' (always, outside tests of the arithmetic). */
  backend?: 'webgpu' | 'cpu';
}

export interface EngineChoice {
  kind: 'webgpu' | 'cpu';
  /** Why, for the report. */
  reason: string;
}

const fmt = (v: number) => v.toLocaleString('en-US');

/** The engine for n cells x p genes x K classes trained by `solver`, given the caller's GPU (null: none). */
export function chooseEngine(n: number, p: number, K: number, solver: 'lbfgs' | 'sgd', gpu: LogRegGpu | null | undefined, noGpu = 'no GPU chosen'): EngineChoice {
  if (!gpu) return { kind: 'cpu', reason: noGpu };
  const work = n * p * K;
  if (!gpu.force && work < GPU_MIN_WORK) {
    return { kind: 'cpu', reason: `${fmt(n)} cells x ${fmt(p)} genes x ${K} labels is below the GPU threshold (${GPU_MIN_WORK.toExponential(0)}), where the CPU is faster` };
  }
  const budget = gpu.memoryBudget ?? GPU_MEMORY_BUDGET;
  const bytes = residentBytes(n, p, K);
  if (solver === 'lbfgs' && bytes > budget) {
    return { kind: 'cpu', reason: `the reference as dense float32 blocks (${(bytes / 1024 ** 3).toFixed(1)} GiB) exceeds the GPU memory budget (${(budget / 1024 ** 3).toFixed(1)} GiB)` };
  }
  return { kind: 'webgpu', reason: gpu.force ? 'WebGPU chosen' : `${fmt(n)} cells x ${fmt(p)} genes x ${K} labels is above the GPU threshold` };
}

/**
 * The caller's device choice as a GPU for fitLogisticRegression: tfjs's WebGPU backend started on
 * the adapter detectBackend picks ('auto': hardware only), or null and why not. navigator.gpu must
 * be there already (a browser worker; Node after installNodeWebGPU).
 */
export async function logRegGpu(device: LogRegDevice = 'auto'): Promise<{ gpu: LogRegGpu | null; detail: string }> {
  if (device === 'cpu') return { gpu: null, detail: 'the CPU was chosen' };
  const info = await detectBackend(undefined, device);
  if (info.kind !== 'webgpu') return { gpu: null, detail: info.detail };
  const { loadTfjsWebGPU } = await import('./logreg-webgpu.ts');
  if (!(await loadTfjsWebGPU())) return { gpu: null, detail: `tfjs's WebGPU backend did not start on ${info.detail}; using the CPU` };
  return { gpu: { adapter: info.detail, force: device === 'webgpu' }, detail: info.detail };
}
