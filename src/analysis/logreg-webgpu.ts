// The logistic-regression loss and gradient on tfjs's WebGPU backend, for the same callers as the
// CPU pool's GradientJob (L-BFGS full batches, SGD mini-batches). The rows go to the GPU as dense
// float32 blocks of a fixed number of rows (the last one padded with rows of weight 0), holding
// V, the scaled values shifted by the zeros' value c = -mean / scale (CellTypist's
// min(clip, (x - mean) / scale) - c; zeros stay 0), so the centring is folded on the CPU in float64
// as GradientJob folds it: logits = V W + (b + c W), X^T R = V^T R + c (1^T R). Per block the GPU
// computes the logits, softmax (multinomial) or a sigmoid per class (one-vs-rest), each row's
// loss, the residual R = p - y and V^T R; each block's partial gradient, residual sums and row
// losses are read back and added on the CPU in float64, in block order: the same bits for a given
// device, block shape and input. Every block has the same shape, so tfjs's buffer pool (by exact
// size) and its compiled pipelines are reused. tfjs 4.22 on WebGPU: only `await data()` reads.
import * as tf from '@tensorflow/tfjs-core';
import { CancelledError } from '../io/errors.ts';
import { ROW_ALIGN, blockRows } from './logreg-blocks.ts';
import { decisionBase, foldCentering, type GradientEngine, type GradientRun, type ScaledRows } from './logreg-gradient.ts';

/** Rows per mini-batch chunk (SGD's batches, the curvature sample): fixed, so one shape serves all. */
export const CHUNK_ROWS = 1024;
/** Blocks queued on the GPU ahead of the one being read: keeps it busy, and a cancel waits for few. */
const AHEAD = 2;
/** tfjs's MatMulPackedProgram (webgpu_util's MatMulProgramType): no split-K atomics, so the sums' order is fixed. */
const MATMUL_PACKED = 3;

/**
 * Loads tfjs's WebGPU backend (navigator.gpu must exist: a browser worker, or Node after
 * installNodeWebGPU) without leaving it active: the engine switches to it only while it queues
 * its own work. False where no adapter or device could be had.
 */
export async function loadTfjsWebGPU(): Promise<boolean> {
  await import('@tensorflow/tfjs-backend-webgpu');
  const prev = tf.engine().backendName;
  try {
    if (!(await tf.setBackend('webgpu')) || tf.getBackend() !== 'webgpu') return false;
  } catch {
    return false;
  } finally {
    if (prev && prev !== 'webgpu') await tf.setBackend(prev);
  }
  return true;
}

type Block = {
  /** [rows, p] shifted values V. */
  v: tf.Tensor2D;
  /** [rows, K] one-hot labels, 0 on padding rows. */
  y: tf.Tensor2D;
  /** [rows, 1] 1 for a real row, 0 for padding. */
  w: tf.Tensor2D;
  /** Real rows (the rest is padding). */
  n: number;
};

export interface WebGpuGradientOptions {
  /** Keep every row block on the GPU (L-BFGS: hundreds of passes); else blocks are made per pass. */
  resident: boolean;
  signal?: AbortSignal;
  onProgress?: (fraction: number, message: string) => void;
  /** tfjs backend to run on; 'webgpu' in the app. 'cpu' runs the same float32 graph on tfjs's CPU backend (tests of the arithmetic). */
  backend?: 'webgpu' | 'cpu';
  /** Rows per resident block instead of blockRows(n, p) (a multiple of ROW_ALIGN: tests use small ones for several blocks). */
  rowsPerBlock?: number;
}

export class WebGpuGradient implements GradientEngine {
  readonly nParams: number;
  readonly precision = 'float32' as const;
  readonly rowsPerBlock: number;
  private readonly K: number;
  private readonly p: number;
  private readonly inv: Float64Array;
  private readonly cap: Float64Array;
  private readonly shift: Float64Array;
  private readonly backendName: string;
  private blocks: Block[] | null = null;
  private closed = false;

  private constructor(
    private readonly data: ScaledRows,
    private readonly multinomial: boolean,
    backendName: string,
    rowsPerBlock: number | undefined,
  ) {
    const { x, nClasses: K, mean, scale, clip } = data;
    this.K = K;
    this.p = x.nCols;
    this.nParams = this.p * K + K;
    this.inv = scale.map((s) => 1 / s);
    this.cap = mean.map((m, j) => clip + m * this.inv[j]);
    this.shift = mean.map((m, j) => -m * this.inv[j]);
    this.rowsPerBlock = rowsPerBlock ?? blockRows(x.nRows, this.p);
    if (this.rowsPerBlock % ROW_ALIGN !== 0) throw new Error(`rows per GPU block must be a multiple of ${ROW_ALIGN}, got ${this.rowsPerBlock}`);
    this.backendName = backendName;
  }

  /** The engine, with the rows on the GPU when `resident` (progress while they are copied). */
  static async create(data: ScaledRows, multinomial: boolean, opts: WebGpuGradientOptions): Promise<WebGpuGradient> {
    const backend = opts.backend ?? 'webgpu';
    if (backend === 'webgpu' && !(await loadTfjsWebGPU())) throw new Error('tfjs could not start its WebGPU backend (no adapter or device)');
    if (backend === 'cpu') await import('@tensorflow/tfjs-backend-cpu');
    const engine = new WebGpuGradient(data, multinomial, backend, opts.rowsPerBlock);
    if (opts.resident) {
      const n = data.x.nRows;
      const B = engine.rowsPerBlock;
      const blocks: Block[] = [];
      try {
        for (let from = 0; from < n; from += B) {
          if (opts.signal?.aborted) throw new CancelledError('logistic regression');
          const block = engine.makeBlock(null, from, Math.min(n, from + B), B);
          blocks.push(block);
          // A block is copied when an op first uses it; waiting for one keeps one block in host memory.
          const probe = engine.on(() => tf.sum(block.v));
          await probe.data();
          probe.dispose();
          opts.onProgress?.(Math.min(n, from + B) / n, `copying the reference to the GPU: ${Math.min(n, from + B).toLocaleString('en-US')} / ${n.toLocaleString('en-US')} cells`);
        }
      } catch (err) {
        for (const b of blocks) disposeBlock(b);
        throw err;
      }
      engine.blocks = blocks;
    }
    return engine;
  }

  /** Runs `f` with tfjs's backend set to this engine's (switched back after: queuing is synchronous). */
  private on<T extends tf.TensorContainer>(f: () => T): T {
    const prev = tf.engine().backendName;
    if (prev !== this.backendName) {
      // setBackend on an initialised backend switches before its first await.
      void tf.setBackend(this.backendName);
      if (tf.engine().backendName !== this.backendName) throw new Error(`tfjs's ${this.backendName} backend is not initialised`);
    }
    const gpu = this.backendName === 'webgpu';
    const flag = gpu ? tf.env().get('WEBGPU_MATMUL_PROGRAM_TYPE') : null;
    if (gpu) tf.env().set('WEBGPU_MATMUL_PROGRAM_TYPE', MATMUL_PACKED);
    try {
      return tf.tidy(f);
    } finally {
      if (gpu) tf.env().set('WEBGPU_MATMUL_PROGRAM_TYPE', flag!);
      if (prev && prev !== this.backendName) void tf.setBackend(prev);
    }
  }

  /** Rows [from, to) (or rows[from..to) of a listed subset) as a block of `size` rows. */
  private makeBlock(rows: Int32Array | null, from: number, to: number, size: number): Block {
    const { x, y } = this.data;
    const { p, K, inv, cap } = this;
    const v = new Float32Array(size * p);
    const oneHot = new Float32Array(size * K);
    const w = new Float32Array(size);
    for (let t = 0; t < to - from; t++) {
      const i = rows ? rows[from + t] : from + t;
      for (let a = x.indptr[i]; a < x.indptr[i + 1]; a++) {
        const j = x.indices[a];
        const s = x.data[a] * inv[j];
        v[t * p + j] = s > cap[j] ? cap[j] : s;
      }
      oneHot[t * K + y[i]] = 1;
      w[t] = 1;
    }
    return this.on((): Block => ({ v: tf.tensor2d(v, [size, p]), y: tf.tensor2d(oneHot, [size, K]), w: tf.tensor2d(w, [size, 1]), n: to - from }));
  }

  /** One block's [V^T R (p x K, feature-major), 1^T R (K), each row's loss (rows)]. */
  private partial(b: Block, W: tf.Tensor2D, base: tf.Tensor1D): tf.Tensor1D {
    return this.on(() => {
      const z = tf.add(tf.matMul(b.v, W), base);
      let loss: tf.Tensor;
      let r: tf.Tensor;
      if (this.multinomial) {
        // -log p_y = (m - z_y) + log sum exp(z - m): exact 0 + a small log for a confident row.
        const m = tf.max(z, 1, true);
        const e = tf.exp(tf.sub(z, m));
        const s = tf.sum(e, 1, true);
        loss = tf.add(tf.sub(m, tf.sum(tf.mul(z, b.y), 1, true)), tf.log(s));
        r = tf.sub(tf.div(e, s), b.y);
      } else {
        // log(1 + e^z) - y z = softplus(z) for y = 0, softplus(-z) for y = 1: no cancellation.
        loss = tf.sum(tf.softplus(tf.mul(z, tf.sub(1, tf.mul(2, b.y)))), 1, true);
        r = tf.sub(tf.sigmoid(z), b.y);
      }
      r = tf.mul(r, b.w);
      const g = tf.matMul(b.v, r, true, false);
      return tf.concat([tf.reshape(g, [-1]), tf.sum(r, 0), tf.reshape(tf.mul(loss, b.w), [-1])]) as tf.Tensor1D;
    });
  }

  async evaluate(theta: Float64Array, grad: Float64Array, rows: Int32Array | null, run: GradientRun = {}): Promise<number> {
    if (this.closed) throw new Error('the GPU gradient engine is closed');
    const { K, p } = this;
    const base = decisionBase(theta, this.shift, p, K);
    // Work items: resident blocks, blocks made for this pass, or chunks of a listed subset.
    const n = rows ? rows.length : this.data.x.nRows;
    const size = rows ? CHUNK_ROWS : this.rowsPerBlock;
    const total = Math.ceil(n / size);
    const item = (k: number): { block: Block; own: boolean } =>
      !rows && this.blocks ? { block: this.blocks[k], own: false } : { block: this.makeBlock(rows, k * size, Math.min(n, (k + 1) * size), size), own: true };
    const { W, b } = this.on(() => ({ W: tf.tensor2d(Float32Array.from(theta.subarray(0, p * K)), [p, K]), b: tf.tensor1d(Float32Array.from(base)) }));
    const sums = new Float64Array(p * K + K);
    let loss = 0;
    const queued: { out: tf.Tensor1D; block: Block; own: boolean }[] = [];
    try {
      for (let k = 0, next = 0; k < total; k++) {
        while (next < total && next <= k + AHEAD) {
          if (run.signal?.aborted) throw new CancelledError('logistic regression');
          const it = item(next++);
          queued.push({ out: this.partial(it.block, W, b), ...it });
        }
        const q = queued.shift()!;
        const part = await q.out.data();
        q.out.dispose();
        if (q.own) disposeBlock(q.block);
        for (let i = 0; i < p * K + K; i++) sums[i] += part[i];
        for (let t = 0; t < q.block.n; t++) loss += part[p * K + K + t];
        run.onBlock?.(k + 1, total);
        if (run.signal?.aborted) throw new CancelledError('logistic regression');
      }
    } finally {
      for (const q of queued) {
        q.out.dispose();
        if (q.own) disposeBlock(q.block);
      }
      W.dispose();
      b.dispose();
    }
    foldCentering(sums, this.shift, p, K, grad);
    return loss;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const b of this.blocks ?? []) disposeBlock(b);
    this.blocks = null;
  }
}

function disposeBlock(b: Block): void {
  b.v.dispose();
  b.y.dispose();
  b.w.dispose();
}
