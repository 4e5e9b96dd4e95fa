// The scGPT encoder in float32 on tfjs's WebAssembly backend (XNNPACK: SIMD GEMMs, threaded when
// the backend was started with threads). The fast CPU path; encoder-cpu.ts stays the exact
// reference it is tested against.
//
// Each cell runs alone over its real tokens ([n, d] tensors: no padding, so no mask is needed, as
// padded keys get zero weight in scGPT), so its bits cannot depend on the batch it came in.
// Attention memory is one [n, n] score matrix at a time (one cell, one head), never L x L x heads.
//
// Layout choices come from measurement on tfjs-backend-wasm 4.22: a 2-D matMul whose right operand
// is [K, N] runs on XNNPACK (~18 GFLOP/s per core here), while transposeB and 3-D batched matMuls
// take a scalar path (0.5-1 GFLOP/s); Slice copies its whole input out of the WASM heap on every
// call (about 2 ms per head for a [T, 3d] q|k|v tensor) and Gather is no better. So nothing is
// cut out of a tensor: q, k^T and v of each head come from their own GEMMs (weights split per head
// and transposed once at load; k^T = W_k x^T from one x^T per layer), and heads are joined by a
// concat before the output projection.
import * as tf from '@tensorflow/tfjs-core';
import type { TokenBatch } from './encoder-tfjs.ts';
import type { ScGPTWeights } from './weights.ts';

interface HeadTensors {
  /** [d, hd], q scale folded in, and its bias [hd]. */
  wq: tf.Tensor2D;
  bq: tf.Tensor1D;
  /** [hd, d] (k^T = wk x^T + bk) and its bias as a column [hd, 1]. */
  wk: tf.Tensor2D;
  bk: tf.Tensor2D;
  /** [d, hd] and its bias [hd]. */
  wv: tf.Tensor2D;
  bv: tf.Tensor1D;
}

interface LayerTensors {
  heads: HeadTensors[];
  wo: tf.Tensor2D;
  bo: tf.Tensor1D;
  w1: tf.Tensor2D;
  b1: tf.Tensor1D;
  w2: tf.Tensor2D;
  b2: tf.Tensor1D;
  ln1: [tf.Tensor1D, tf.Tensor1D];
  ln2: [tf.Tensor1D, tf.Tensor1D];
}

export interface WasmEncodeOptions {
  captureHidden?: boolean;
}

/** [outDim, inDim] (nn.Linear's layout) to [inDim, outDim]. */
function transposed(w: Float32Array, outDim: number, inDim: number): tf.Tensor2D {
  const t = new Float32Array(w.length);
  for (let o = 0; o < outDim; o++) for (let k = 0; k < inDim; k++) t[k * outDim + o] = w[o * inDim + k];
  return tf.tensor2d(t, [inDim, outDim]);
}

export class WasmEncoder {
  private readonly encNorm: [tf.Tensor1D, tf.Tensor1D];
  private readonly valW1: tf.Tensor1D;
  private readonly valB1: tf.Tensor1D;
  private readonly valW2: tf.Tensor2D;
  private readonly valB2: tf.Tensor1D;
  private readonly valNorm: [tf.Tensor1D, tf.Tensor1D];
  private readonly layers: LayerTensors[];
  /** 1/sqrt(head dim), folded into each head's q projection. */
  private readonly qScale: number;

  constructor(readonly weights: ScGPTWeights) {
    if (tf.getBackend() !== 'wasm') throw new Error(`the WASM encoder needs tfjs's wasm backend (the active one is ${tf.getBackend()}); call initTfjsWasm first`);
    const { dModel: d, dHid } = weights.config;
    const t1 = (a: Float32Array) => tf.tensor1d(a);
    this.encNorm = [t1(weights.encNormG), t1(weights.encNormB)];
    this.valW1 = t1(weights.valW1);
    this.valB1 = t1(weights.valB1);
    this.valW2 = transposed(weights.valW2, d, d);
    this.valB2 = t1(weights.valB2);
    this.valNorm = [t1(weights.valNormG), t1(weights.valNormB)];
    const H = weights.config.nHeads;
    const hd = d / H;
    // q is scaled by 1/sqrt(head dim) in its projection (torch scales the projected q).
    const scale = (this.qScale = 1 / Math.sqrt(hd));
    // Rows [r0, r0 + hd) of in_proj (nn.Linear layout [3d, d]) and of its bias.
    const rowsOf = (w: Float32Array, r0: number, k = 1) => w.slice(r0 * d, (r0 + hd) * d).map((v) => v * k);
    const biasOf = (b: Float32Array, r0: number, k = 1) => b.slice(r0, r0 + hd).map((v) => v * k);
    this.layers = weights.layers.map((L) => ({
      heads: Array.from({ length: H }, (_, h) => ({
        wq: transposed(rowsOf(L.wqkv, h * hd, scale), hd, d),
        bq: t1(biasOf(L.bqkv, h * hd, scale)),
        wk: tf.tensor2d(rowsOf(L.wqkv, d + h * hd), [hd, d]),
        bk: tf.tensor2d(biasOf(L.bqkv, d + h * hd), [hd, 1]),
        wv: transposed(rowsOf(L.wqkv, 2 * d + h * hd), hd, d),
        bv: t1(biasOf(L.bqkv, 2 * d + h * hd)),
      })),
      wo: transposed(L.wo, d, d),
      bo: t1(L.bo),
      w1: transposed(L.w1, dHid, d),
      b1: t1(L.b1),
      w2: transposed(L.w2, d, dHid),
      b2: t1(L.b2),
      ln1: [t1(L.ln1g), t1(L.ln1b)],
      ln2: [t1(L.ln2g), t1(L.ln2b)],
    }));
  }

  /**
   * `<cls>` outputs [B, d] (not normalised); with `captureHidden`, the input of layer 0 and each
   * layer's output, packed [T, d] over the cells' real tokens (cell c's rows start at the sum of
   * the lengths before it).
   */
  async encode(batch: TokenBatch, opts: WasmEncodeOptions = {}): Promise<{ cls: Float32Array; hidden?: Float32Array[] }> {
    const d = this.weights.config.dModel;
    const cls = new Float32Array(batch.batch * d);
    const hidden = opts.captureHidden ? [] as Float32Array[][] : undefined;
    for (let c = 0; c < batch.batch; c++) {
      const n = batch.lengths[c];
      const from = c * batch.seqLen;
      const states = await this.encodeCell(batch.ids.subarray(from, from + n), batch.values.subarray(from, from + n), !!hidden);
      cls.set(states[states.length - 1].subarray(0, d), c * d);
      if (hidden) hidden.push(opts.captureHidden ? states : []);
    }
    if (!hidden) return { cls };
    // Per layer, the cells' rows end to end.
    const packed = hidden[0].map((_, l) => {
      const out = new Float32Array(hidden.reduce((s, h) => s + h[l].length, 0));
      let at = 0;
      for (const h of hidden) {
        out.set(h[l], at);
        at += h[l].length;
      }
      return out;
    });
    return { cls, hidden: packed };
  }

  /** One cell's layer inputs/outputs [n, d] when `all`, else only the last layer's output. */
  private async encodeCell(ids: Int32Array, values: Float32Array, all: boolean): Promise<Float32Array[]> {
    const kept: tf.Tensor[] = [];
    let x = tf.tidy(() => this.inputs(ids, values));
    if (all) kept.push(x);
    for (const L of this.layers) {
      // One layer's intermediates are freed before the next layer runs.
      const next = tf.tidy(() => this.layer(x, L));
      if (!all) x.dispose();
      x = next;
      if (all) kept.push(x);
    }
    if (!all) kept.push(x);
    const out = await Promise.all(kept.map(async (t) => (await t.data()) as Float32Array));
    tf.dispose(kept);
    return out;
  }

  /** One cell's input of layer `layer` (0-based) [n, d]: the layers before it run as in `encode`. */
  async layerInput(ids: Int32Array, values: Float32Array, layer: number): Promise<Float32Array> {
    let x = tf.tidy(() => this.inputs(ids, values));
    for (let l = 0; l < layer; l++) {
      const next = tf.tidy(() => this.layer(x, this.layers[l]));
      x.dispose();
      x = next;
    }
    const out = (await x.data()) as Float32Array;
    x.dispose();
    return out;
  }

  /**
   * For the attention GRN: one cell's per-head raw-score operands at `layer` (0-based), after the
   * layers before it: q [n, hd] without the 1/sqrt(hd) scale (scGPT's GRN reads unscaled q k^T;
   * the scale is a power of two for head sizes that are powers of four, as scGPT's 64 and the
   * fixtures' 16, so taking it out is exact) and k^T [hd, n]. The caller disposes them.
   * `afterLayer(done, of)` is awaited after each layer before the chosen one (progress, cancel).
   */
  async layerQk(ids: Int32Array, values: Float32Array, layer: number, afterLayer?: (done: number, of: number) => Promise<void>): Promise<{ q: tf.Tensor2D; kT: tf.Tensor2D }[]> {
    let x = tf.tidy(() => this.inputs(ids, values));
    try {
      for (let l = 0; l < layer; l++) {
        const next = tf.tidy(() => this.layer(x, this.layers[l]));
        x.dispose();
        x = next;
        await afterLayer?.(l + 1, layer);
      }
      return tf.tidy(() => {
        const xT = tf.transpose(x);
        return this.layers[layer].heads.map((P) => {
          const { q, kT } = this.headQk(x, xT, P);
          return { q: tf.mul<tf.Tensor2D>(q, 1 / this.qScale), kT };
        });
      });
    } finally {
      x.dispose();
    }
  }

  private inputs(ids: Int32Array, values: Float32Array): tf.Tensor2D {
    // The embedding rows are copied here: tfjs-wasm's Gather walks elements one by one (~20 ms a cell).
    const d = this.weights.config.dModel;
    const rows = new Float32Array(ids.length * d);
    ids.forEach((id, i) => rows.set(this.weights.embedding.subarray(id * d, (id + 1) * d), i * d));
    const genes = this.layerNorm(tf.tensor2d(rows, [ids.length, d]), this.encNorm);
    // Linear(1, d) is v * w + b per element.
    const v = tf.reshape(tf.minimum(tf.tensor1d(values), this.weights.config.maxValue), [-1, 1]);
    const h = tf.relu(tf.add(tf.mul(v, this.valW1), this.valB1)) as tf.Tensor2D;
    const val = this.layerNorm(tf.fused.matMul({ a: h, b: this.valW2, bias: this.valB2 }), this.valNorm);
    return tf.add(genes, val);
  }

  private layer(x: tf.Tensor2D, L: LayerTensors): tf.Tensor2D {
    const ctx = this.attention(x, L);
    const a = tf.fused.matMul({ a: ctx, b: L.wo, bias: L.bo });
    const x1 = this.layerNorm(tf.add<tf.Tensor2D>(a, x), L.ln1);
    const h = tf.fused.matMul({ a: x1, b: L.w1, bias: L.b1, activation: 'relu' });
    const f = tf.fused.matMul({ a: h, b: L.w2, bias: L.b2 });
    return this.layerNorm(tf.add<tf.Tensor2D>(f, x1), L.ln2);
  }

  /** softmax(q k^T / sqrt(hd)) v per head over the cell's n rows, heads side by side: [n, d]. */
  private attention(x: tf.Tensor2D, L: LayerTensors): tf.Tensor2D {
    const xT = tf.transpose(x);
    const heads = L.heads.map((P) =>
      // tidy per head: each [n, n] score matrix is freed before the next is made.
      tf.tidy((): tf.Tensor2D => {
        const { q, kT } = this.headQk(x, xT, P);
        const v = tf.fused.matMul({ a: x, b: P.wv, bias: P.bv });
        return tf.matMul(tf.softmax(tf.matMul(q, kT)), v);
      }),
    );
    return tf.concat<tf.Tensor2D>(heads, 1);
  }

  /** One head's q (scaled) [n, hd] and k^T [hd, n] from x [n, d] and x^T. */
  private headQk(x: tf.Tensor2D, xT: tf.Tensor2D, P: HeadTensors): { q: tf.Tensor2D; kT: tf.Tensor2D } {
    return { q: tf.fused.matMul({ a: x, b: P.wq, bias: P.bq }) as tf.Tensor2D, kT: tf.add<tf.Tensor2D>(tf.matMul(P.wk, xT), P.bk) };
  }

  /** LayerNorm over the last axis, biased variance and torch's eps. */
  private layerNorm(x: tf.Tensor, [g, b]: [tf.Tensor1D, tf.Tensor1D]): tf.Tensor2D {
    const { mean, variance } = tf.moments(x, -1, true);
    return tf.add<tf.Tensor2D>(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, this.weights.config.layerNormEps))), g), b);
  }

  /**
   * Cells run one at a time, so batching gains nothing here: a batch of at most one full-length
   * cell's tokens keeps progress reports and cancellation checks (between batches) a cell apart.
   */
  tokenBudget(): number {
    return 1200;
  }

  dispose(): void {
    const all: tf.Tensor[] = [...this.encNorm, this.valW1, this.valB1, this.valW2, this.valB2, ...this.valNorm];
    for (const L of this.layers) all.push(...L.heads.flatMap((P) => Object.values(P) as tf.Tensor[]), L.wo, L.bo, L.w1, L.b1, L.w2, L.b2, ...L.ln1, ...L.ln2);
    tf.dispose(all);
  }
}
