// The scGPT encoder on tfjs (WebGPU). `kernels: 'fused'` uses our WGSL attention (online softmax,
// O(L*d) memory) and add+LayerNorm; `kernels: 'gemm'` those and our tiled GEMM for the linear
// layers (QKV, output projection, feed-forward, the value encoder) with the bias, ReLU and residual
// fused, weights in float32 or packed float16 (kernels/gemm.ts); `kernels: 'tfjs'` is the
// straightforward tfjs formulation (matMul / softmax / moments), kept as the benchmark's baseline
// and as a second reference.
import * as tf from '@tensorflow/tfjs-core';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { AddLayerNormProgram } from './kernels/add-layernorm.ts';
import { FusedAttentionProgram } from './kernels/attention.ts';
import { DEFAULT_TILES, disposeGemmWeights, gemm, gemmWeights, hasShaderF16, type Arithmetic, type GemmWeights, type WeightFormat } from './kernels/gemm.ts';
import { chooseTiles } from './kernels/gemm-tiles.ts';
import { isSoftwareAdapter } from './backend.ts';
import { registerTfjsWebGPU } from './tfjs-webgpu-device.ts';
import { floatBitsToHalf } from './bundle.ts';
import { halfToFloat } from './checkpoint/torch.ts';
import { resolveLayer } from './encoder-cpu.ts';
import type { ScGPTWeights } from './weights.ts';

export interface TokenBatch {
  /** [B * L] token ids, padded with the pad id. */
  ids: Int32Array;
  /** [B * L] binned values, padded with pad_value. */
  values: Float32Array;
  /** [B] real token counts. */
  lengths: Int32Array;
  batch: number;
  seqLen: number;
}

export type KernelChoice = 'fused' | 'tfjs' | 'gemm';

export interface GemmChoice {
  /** Linear-layer weights on the GPU: float32, or float16 (rounded as torch's .half()) packed two to a word. Default 'f32'. */
  weights?: WeightFormat;
  /** 'auto' (default): f16 products where the weights are f16 and the device has shader-f16, else f32. */
  arithmetic?: 'auto' | Arithmetic;
  /** A tile configuration of kernels/gemm.ts instead of the per-adapter trial's choice. */
  tiles?: string;
}

/**
 * The kernels a new encoder gets: our GEMMs with float32 weights, on hardware adapters and on
 * software ones alike (on SwiftShader they measured 2.2-4.8x the fused tfjs-matmul path,
 * bench/RESULTS.md "GEMM kernels on SwiftShader"). Kept a function of the adapter so that a
 * measurement that splits them has one place to say so.
 */
export function defaultKernels(_software: boolean | undefined): KernelChoice {
  return 'gemm';
}

/**
 * The default GEMM choice for these weights: packed f16 weights when every linear weight already
 * is a half (an f16 bundle, as hub downloads are converted to, or a half-precision checkpoint), so
 * half the weight memory and traffic change no result; f32 weights otherwise. Arithmetic stays f32:
 * the shader-f16 path is opt-in until it has been measured on hardware (bench/RESULTS.md).
 */
export function defaultGemmChoice(weights: ScGPTWeights): GemmChoice {
  const linear = [weights.valW2, ...weights.layers.flatMap((L) => [L.wqkv, L.wo, L.w1, L.w2])];
  return { weights: linear.every(halvesExactly) ? 'f16' : 'f32', arithmetic: 'f32' };
}

const halfScratch = new Float32Array(1);
/** Whether every value of `w` is exactly a float16 (rounding to half and back changes nothing). */
function halvesExactly(w: Float32Array): boolean {
  const bits = new Uint32Array(w.buffer, w.byteOffset, w.length);
  for (let i = 0; i < w.length; i++) {
    halfScratch[0] = halfToFloat(floatBitsToHalf(bits[i]));
    if (halfScratch[0] !== w[i]) return false;
  }
  return true;
}

interface GemmLayer {
  qkv: GemmWeights;
  o: GemmWeights;
  ff1: GemmWeights;
  ff2: GemmWeights;
}

interface LayerTensors {
  wqkv: tf.Tensor2D;
  bqkv: tf.Tensor1D;
  wo: tf.Tensor2D;
  bo: tf.Tensor1D;
  w1: tf.Tensor2D;
  b1: tf.Tensor1D;
  w2: tf.Tensor2D;
  b2: tf.Tensor1D;
  ln1g: tf.Tensor1D;
  ln1b: tf.Tensor1D;
  ln2g: tf.Tensor1D;
  ln2b: tf.Tensor1D;
}

export class TfjsEncoder {
  private readonly embedding: tf.Tensor2D;
  private readonly encNorm: [tf.Tensor1D, tf.Tensor1D];
  private readonly valW1: tf.Tensor2D;
  private readonly valB1: tf.Tensor1D;
  private readonly valW2: tf.Tensor2D;
  private readonly valB2: tf.Tensor1D;
  private readonly valNorm: [tf.Tensor1D, tf.Tensor1D];
  private readonly layers: LayerTensors[];
  /** kernels 'gemm': the linear layers' weights in our GEMM's format (the tfjs copies above are then empty). */
  private readonly gemmLayers: GemmLayer[] = [];
  private readonly valGemm: GemmWeights | null = null;
  /** kernels 'gemm': weight format and arithmetic used. */
  readonly gemmWeightFormat: WeightFormat;
  readonly gemmArithmetic: Arithmetic;
  private tiles: string | null;

  constructor(
    readonly weights: ScGPTWeights,
    readonly kernels: KernelChoice = 'fused',
    gemmChoice: GemmChoice = {},
  ) {
    const { dModel: d, dHid, vocabSize } = weights.config;
    const useGemm = kernels === 'gemm';
    this.gemmWeightFormat = gemmChoice.weights ?? 'f32';
    const arith = gemmChoice.arithmetic ?? 'auto';
    if (arith === 'f16' && !(useGemm && this.gemmWeightFormat === 'f16')) throw new Error("f16 arithmetic is for kernels 'gemm' with f16 weights");
    this.gemmArithmetic = arith === 'auto' ? (useGemm && this.gemmWeightFormat === 'f16' && hasShaderF16() ? 'f16' : 'f32') : arith;
    if (this.gemmArithmetic === 'f16' && !hasShaderF16()) throw new Error("f16 arithmetic needs the adapter's shader-f16 feature, which this device does not have");
    this.tiles = gemmChoice.tiles ?? null;
    const t1 = (a: Float32Array) => tf.tensor1d(a);
    const t2 = (a: Float32Array, r: number, c: number) => tf.tensor2d(a, [r, c]);
    // Weights that only our GEMM reads are not uploaded as tfjs tensors (empty placeholders).
    const lin = (a: Float32Array, r: number, c: number) => (useGemm ? tf.tensor2d([], [0, c]) : t2(a, r, c));
    const bias = (a: Float32Array) => (useGemm ? tf.tensor1d([]) : t1(a));
    const g = (w: Float32Array, b: Float32Array, n: number, k: number) => gemmWeights(w, b, n, k, this.gemmWeightFormat);
    this.embedding = t2(weights.embedding, vocabSize, d);
    this.encNorm = [t1(weights.encNormG), t1(weights.encNormB)];
    this.valW1 = t2(weights.valW1, 1, d);
    this.valB1 = t1(weights.valB1);
    this.valW2 = lin(weights.valW2, d, d);
    this.valB2 = bias(weights.valB2);
    this.valNorm = [t1(weights.valNormG), t1(weights.valNormB)];
    this.layers = weights.layers.map((L) => ({
      wqkv: lin(L.wqkv, 3 * d, d),
      bqkv: bias(L.bqkv),
      wo: lin(L.wo, d, d),
      bo: bias(L.bo),
      w1: lin(L.w1, dHid, d),
      b1: bias(L.b1),
      w2: lin(L.w2, d, dHid),
      b2: bias(L.b2),
      ln1g: t1(L.ln1g),
      ln1b: t1(L.ln1b),
      ln2g: t1(L.ln2g),
      ln2b: t1(L.ln2b),
    }));
    if (useGemm) {
      this.valGemm = g(weights.valW2, weights.valB2, d, d);
      this.gemmLayers = weights.layers.map((L) => ({ qkv: g(L.wqkv, L.bqkv, 3 * d, d), o: g(L.wo, L.bo, d, d), ff1: g(L.w1, L.b1, dHid, d), ff2: g(L.w2, L.b2, d, dHid) }));
    }
  }

  /**
   * kernels 'gemm': the tile configuration, from the per-adapter trial (run once per adapter and
   * weight format, then remembered); encode() awaits it, the synchronous entry points use the
   * default until it is known (the tiles never change results).
   */
  async prepare(): Promise<string | null> {
    if (this.kernels !== 'gemm') return null;
    if (!this.tiles) {
      const { dModel: d } = this.weights.config;
      const info = tfjsAdapterInfo();
      this.tiles = await chooseTiles({ adapter: tfjsAdapterKey(), software: isSoftwareAdapter({ info }), format: this.gemmWeightFormat, arithmetic: this.gemmArithmetic, n: d, k: d });
    }
    return this.tiles;
  }

  /** One line for logs and bench tables: kernels, and for 'gemm' the weight format, arithmetic and tiles. */
  describeKernels(): string {
    return this.kernels === 'gemm' ? `gemm (weights ${this.gemmWeightFormat}, arithmetic ${this.gemmArithmetic}, tiles ${this.tiles ?? `${DEFAULT_TILES} until tuned`})` : this.kernels;
  }

  private linear(x: tf.Tensor2D, W: GemmWeights, opts: { relu?: boolean; residual?: tf.Tensor2D } = {}): tf.Tensor2D {
    return gemm(x, W, { ...opts, tiles: this.tiles ?? DEFAULT_TILES, arithmetic: this.gemmArithmetic });
  }

  /**
   * `<cls>` outputs [B, d] (not normalised); with `captureHidden`, every layer's [B, L, d] too; with
   * `attentionLayer`, that layer's softmax attention averaged over heads, [B, L, L] (for a few
   * chosen cells: this one is quadratic in L).
   */
  async encode(batch: TokenBatch, opts: { captureHidden?: boolean; attentionLayer?: number } = {}): Promise<{ cls: Float32Array; hidden?: Float32Array[]; attentionMean?: Float32Array }> {
    const { dModel: d, nLayers } = this.weights.config;
    await this.prepare();
    const captured: tf.Tensor[] = [];
    const attnLayer = opts.attentionLayer === undefined ? -1 : opts.attentionLayer < 0 ? nLayers + opts.attentionLayer : opts.attentionLayer;
    let attention: tf.Tensor | null = null;
    const cls = tf.tidy(() => {
      const ids = tf.tensor1d(batch.ids, 'int32');
      const values = tf.tensor1d(batch.values);
      const lengths = tf.tensor1d(batch.lengths, 'int32');
      let x = this.inputs(ids, values);
      if (opts.captureHidden) captured.push(tf.keep(x));
      for (let li = 0; li < this.layers.length; li++) {
        if (li === attnLayer) attention = tf.keep(tf.mean(this.attentionProbs(this.qkv(x, li), lengths, batch), 1));
        x = this.layer(x, li, lengths, batch);
        if (opts.captureHidden) captured.push(tf.keep(x));
      }
      return tf.keep(tf.reshape(tf.slice(tf.reshape(x, [batch.batch, batch.seqLen, d]), [0, 0, 0], [batch.batch, 1, d]), [batch.batch, d]));
    });
    const out = (await cls.data()) as Float32Array;
    cls.dispose();
    const hidden = opts.captureHidden ? await Promise.all(captured.map(async (t) => (await t.data()) as Float32Array)) : undefined;
    captured.forEach((t) => t.dispose());
    const attn = attention as tf.Tensor | null;
    const attentionMean = attn ? ((await attn.data()) as Float32Array) : undefined;
    attn?.dispose();
    return { cls: out, hidden, attentionMean };
  }

  /**
   * Packed q|k|v [B*L, 3d] of layer `layer` (negative: from the end), the layers before it run as
   * in `encode`; stays on the GPU for the caller's kernels, which dispose it.
   */
  layerQkv(batch: TokenBatch, layer: number): tf.Tensor2D {
    const li = resolveLayer(this.weights.config.nLayers, layer);
    return tf.tidy(() => {
      const lengths = tf.tensor1d(batch.lengths, 'int32');
      let x = this.inputs(tf.tensor1d(batch.ids, 'int32'), tf.tensor1d(batch.values));
      for (let l = 0; l < li; l++) x = this.layer(x, l, lengths, batch);
      return this.qkv(x, li);
    });
  }

  /**
   * The input of layer `layer` (negative: from the end) [B*L, d], the layers before it run as in
   * `encode`: what the fine-tuned last layer starts from. The caller disposes it.
   */
  layerInput(batch: TokenBatch, layer: number): tf.Tensor2D {
    const li = resolveLayer(this.weights.config.nLayers, layer);
    return tf.tidy(() => {
      const lengths = tf.tensor1d(batch.lengths, 'int32');
      let x = this.inputs(tf.tensor1d(batch.ids, 'int32'), tf.tensor1d(batch.values));
      for (let l = 0; l < li; l++) x = this.layer(x, l, lengths, batch);
      return x;
    });
  }

  /** LayerNorm(Embedding(id)) for each id. */
  async geneTokenEmbeddings(ids: Int32Array): Promise<Float32Array> {
    const t = tf.tidy(() => this.layerNorm(tf.gather(this.embedding, tf.tensor1d(ids, 'int32')) as tf.Tensor2D, null, this.encNorm));
    const out = (await t.data()) as Float32Array;
    t.dispose();
    return out;
  }

  private inputs(ids: tf.Tensor1D, values: tf.Tensor1D): tf.Tensor2D {
    const genes = this.layerNorm(tf.gather(this.embedding, ids) as tf.Tensor2D, null, this.encNorm);
    const v = tf.reshape(tf.minimum(values, this.weights.config.maxValue), [-1, 1]) as tf.Tensor2D;
    const h = tf.relu(tf.add(tf.matMul(v, this.valW1), this.valB1)) as tf.Tensor2D;
    const lin = this.valGemm ? this.linear(h, this.valGemm) : (tf.fused.matMul({ a: h, b: this.valW2, transposeB: true, bias: this.valB2 }) as tf.Tensor2D);
    const val = this.layerNorm(lin, null, this.valNorm);
    return tf.add(genes, val) as tf.Tensor2D;
  }

  private qkv(x: tf.Tensor2D, li: number): tf.Tensor2D {
    if (this.kernels === 'gemm') return this.linear(x, this.gemmLayers[li].qkv);
    const L = this.layers[li];
    return tf.fused.matMul({ a: x, b: L.wqkv, transposeB: true, bias: L.bqkv }) as tf.Tensor2D;
  }

  private layer(x: tf.Tensor2D, li: number, lengths: tf.Tensor1D, batch: TokenBatch): tf.Tensor2D {
    const L = this.layers[li];
    const qkv = this.qkv(x, li);
    const ctx = this.attention(qkv, lengths, batch);
    if (this.kernels === 'gemm') {
      // The residuals go into the GEMMs' epilogues; LayerNorm then reads one tensor.
      const G = this.gemmLayers[li];
      const x1 = this.layerNorm(this.linear(ctx, G.o, { residual: x }), null, [L.ln1g, L.ln1b]);
      const h = this.linear(x1, G.ff1, { relu: true });
      return this.layerNorm(this.linear(h, G.ff2, { residual: x1 }), null, [L.ln2g, L.ln2b]);
    }
    const attn = (tf.fused.matMul({ a: ctx, b: L.wo, transposeB: true, bias: L.bo }) as tf.Tensor2D);
    const x1 = this.layerNorm(attn, x, [L.ln1g, L.ln1b]);
    const h = (tf.fused.matMul({ a: x1, b: L.w1, transposeB: true, bias: L.b1, activation: 'relu' }) as tf.Tensor2D);
    const f = (tf.fused.matMul({ a: h, b: L.w2, transposeB: true, bias: L.b2 }) as tf.Tensor2D);
    return this.layerNorm(f, x1, [L.ln2g, L.ln2b]);
  }

  /** LayerNorm(a + residual) with torch's eps. */
  private layerNorm(a: tf.Tensor2D, residual: tf.Tensor2D | null, [g, b]: [tf.Tensor1D, tf.Tensor1D]): tf.Tensor2D {
    const { layerNormEps: eps } = this.weights.config;
    const [rows, d] = a.shape;
    if (this.kernels !== 'tfjs') {
      const program = new AddLayerNormProgram(rows, d, eps, residual !== null);
      const inputs = residual ? [a, residual, g, b] : [a, g, b];
      const info = backend().runWebGPUProgram(program, inputs, 'float32', [{ type: 'int32', data: [rows] }]);
      return tf.engine().makeTensorFromTensorInfo(info) as tf.Tensor2D;
    }
    return plainLayerNorm(residual ? tf.add(a, residual) : a, g, b, eps);
  }

  private attention(qkv: tf.Tensor2D, lengths: tf.Tensor1D, batch: TokenBatch): tf.Tensor2D {
    const { dModel: d, nHeads } = this.weights.config;
    const { batch: B, seqLen: L } = batch;
    if (this.kernels !== 'tfjs') {
      const program = new FusedAttentionProgram({ batch: B, seqLen: L, dModel: d, nHeads });
      const info = backend().runWebGPUProgram(program, [qkv, lengths], 'float32', [{ type: 'int32', data: [L] }]);
      return tf.reshape(tf.engine().makeTensorFromTensorInfo(info), [B * L, d]) as tf.Tensor2D;
    }
    const { v, probs } = this.attentionProbsAndValues(qkv, lengths, batch);
    return tf.reshape(tf.transpose(tf.matMul(probs, v), [0, 2, 1, 3]), [B * L, d]) as tf.Tensor2D;
  }

  /** Softmax attention probabilities [B, heads, L, L] with the key padding mask. */
  private attentionProbs(qkv: tf.Tensor2D, lengths: tf.Tensor1D, batch: TokenBatch): tf.Tensor4D {
    return this.attentionProbsAndValues(qkv, lengths, batch).probs;
  }

  private attentionProbsAndValues(qkv: tf.Tensor2D, lengths: tf.Tensor1D, batch: TokenBatch): { probs: tf.Tensor4D; v: tf.Tensor4D } {
    const { dModel: d, nHeads } = this.weights.config;
    const { batch: B, seqLen: L } = batch;
    const hd = d / nHeads;
    const split = (i: number) => tf.transpose(tf.reshape(tf.slice(qkv, [0, i * d], [B * L, d]), [B, L, nHeads, hd]), [0, 2, 1, 3]) as tf.Tensor4D;
    const [q, k, v] = [split(0), split(1), split(2)];
    const scores = tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(hd));
    return { probs: maskedSoftmax(scores, lengths) as tf.Tensor4D, v };
  }

  /**
   * Tokens per batch that keep every buffer within the adapter's storage-binding limit: the
   * largest activation is the packed q|k|v (tokens x 3d floats), or the FFN hidden layer. Half the
   * limit leaves room for tfjs's buffer pool.
   */
  tokenBudget(): number {
    const { dModel: d, dHid } = this.weights.config;
    const device = (backend() as unknown as { device?: { limits?: { maxStorageBufferBindingSize?: number } } }).device;
    const limit = device?.limits?.maxStorageBufferBindingSize ?? 128 * 1024 * 1024;
    return Math.max(1200, Math.min(65_536, Math.floor(limit / 2 / (4 * Math.max(3 * d, dHid)))));
  }

  dispose(): void {
    const all: tf.Tensor[] = [this.embedding, ...this.encNorm, this.valW1, this.valB1, this.valW2, this.valB2, ...this.valNorm];
    for (const L of this.layers) all.push(...Object.values(L));
    tf.dispose(all);
    if (this.valGemm) disposeGemmWeights(this.valGemm);
    for (const G of this.gemmLayers) Object.values(G).forEach(disposeGemmWeights);
  }
}

/** LayerNorm over the last axis as torch computes it (biased variance, eps inside the root): differentiable tfjs ops. */
export function plainLayerNorm<T extends tf.Tensor>(x: T, g: tf.Tensor1D, b: tf.Tensor1D, eps: number): T {
  const { mean, variance } = tf.moments(x, -1, true);
  return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, eps))), g), b) as T;
}

/**
 * Softmax over the last axis of attention scores [B, ..., L] with scGPT's key padding mask: keys at
 * or past the cell's length (`lengths` [B]) get -inf, so zero weight. Differentiable.
 */
export function maskedSoftmax(scores: tf.Tensor, lengths: tf.Tensor1D): tf.Tensor {
  const rank = scores.shape.length;
  const L = scores.shape[rank - 1];
  const keyPos = tf.reshape(tf.range(0, L, 1, 'int32'), [...Array<number>(rank - 1).fill(1), L]);
  const mask = tf.greaterEqual(keyPos, tf.reshape(lengths, [lengths.shape[0], ...Array<number>(rank - 1).fill(1)]));
  return tf.softmax(tf.where(mask, tf.fill(scores.shape, -Infinity), scores));
}

function backend(): WebGPUBackend {
  return tf.backend() as unknown as WebGPUBackend;
}

/**
 * Selects tfjs's WebGPU backend; false when no adapter is available. Unless the backend already
 * runs, it starts on the device of tfjs-webgpu-device.ts (the adapter's subgroups and shader-f16
 * requested: the GEMM's f16 arithmetic needs the latter).
 */
export async function initTfjsWebGPU(): Promise<boolean> {
  await registerTfjsWebGPU();
  try {
    return (await tf.setBackend('webgpu')) && tf.getBackend() === 'webgpu';
  } catch {
    return false;
  }
}

function tfjsAdapterInfo(): { vendor?: string; architecture?: string; device?: string; description?: string } {
  // GPUDevice.adapterInfo (Dawn, Chromium 131+) has all four; tfjs keeps vendor and architecture.
  const be = tf.backend() as unknown as { device?: { adapterInfo?: GPUAdapterInfo }; adapterInfo?: { vendor?: string; architecture?: string } };
  return be.device?.adapterInfo ?? be.adapterInfo ?? {};
}

/** The adapter behind tfjs's WebGPU backend as one line (vendor / architecture / device / description): the key of remembered tile choices. */
export function tfjsAdapterKey(): string {
  const { vendor = '', architecture = '', device = '', description = '' } = tfjsAdapterInfo();
  return [vendor, architecture, device, description].join(' / ');
}
