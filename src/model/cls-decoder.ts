// scGPT's classifier head, ClsDecoder (scgpt/model/model.py): nlayers - 1 blocks of
// Linear(d, d), ReLU, LayerNorm(d), then Linear(d, n_cls). scGPT feeds it the cell embedding of
// cell_emb_style "cls": the encoder's output at the <cls> token, not normalised.
//
// Parameters live as a flat list of tensors so tfjs's valueAndGrads can differentiate a plain
// function of them; Linear weights are held [in, out] (a matMul without transposeB, which
// tfjs-wasm runs on XNNPACK) and written back in nn.Linear's [out, in] layout.
import * as tf from '@tensorflow/tfjs-core';
import { plainLayerNorm } from './encoder-tfjs.ts';
import { matMulConstant, matMulTrained } from './tfjs-gradients.ts';
import type { Uniform } from './random.ts';

export interface ClsBlockWeights {
  /** nn.Linear(d, d).weight, [out, in] row-major. */
  w: Float32Array;
  b: Float32Array;
  /** nn.LayerNorm(d) weight and bias. */
  g: Float32Array;
  beta: Float32Array;
}

export interface ClsDecoderWeights {
  dModel: number;
  nClasses: number;
  blocks: ClsBlockWeights[];
  /** out_layer.weight [n_cls, d] and its bias [n_cls]. */
  outW: Float32Array;
  outB: Float32Array;
}

/** nn.LayerNorm's default eps. */
export const LAYER_NORM_EPS = 1e-5;

/** [out, in] (nn.Linear) to [in, out], or back with the dimensions swapped. */
export function transpose2d(w: Float32Array, rows: number, cols: number): Float32Array {
  const t = new Float32Array(w.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = w[r * cols + c];
  return t;
}

/**
 * PyTorch's default initialisation of the head, from a seeded stream: nn.Linear's weight and bias
 * uniform in ±1/sqrt(fan_in) (kaiming_uniform with a = sqrt(5)), LayerNorm's weight 1 and bias 0.
 */
export function initClsDecoder(dModel: number, nClasses: number, nLayers: number, uniform: Uniform): ClsDecoderWeights {
  if (!(Number.isInteger(nLayers) && nLayers >= 1)) throw new RangeError(`the classifier head needs at least 1 layer (got ${nLayers})`);
  if (!(nClasses >= 2)) throw new RangeError(`the classifier head needs at least 2 classes (got ${nClasses})`);
  const bound = 1 / Math.sqrt(dModel);
  const fill = (n: number) => Float32Array.from({ length: n }, () => (2 * uniform() - 1) * bound);
  const blocks = Array.from({ length: nLayers - 1 }, () => ({ w: fill(dModel * dModel), b: fill(dModel), g: new Float32Array(dModel).fill(1), beta: new Float32Array(dModel) }));
  return { dModel, nClasses, blocks, outW: fill(nClasses * dModel), outB: fill(nClasses) };
}

/** The head as tensors: per block w [in, out], b, g, beta; then out_layer w [d, n_cls], b. */
export function clsDecoderTensors(w: ClsDecoderWeights): tf.Tensor[] {
  const d = w.dModel;
  const out: tf.Tensor[] = [];
  for (const B of w.blocks) out.push(tf.tensor2d(transpose2d(B.w, d, d), [d, d]), tf.tensor1d(B.b), tf.tensor1d(B.g), tf.tensor1d(B.beta));
  out.push(tf.tensor2d(transpose2d(w.outW, w.nClasses, d), [d, w.nClasses]), tf.tensor1d(w.outB));
  return out;
}

export async function clsDecoderWeights(p: tf.Tensor[], dModel: number, nClasses: number): Promise<ClsDecoderWeights> {
  const d = dModel;
  const data = await Promise.all(p.map(async (t) => (await t.data()) as Float32Array));
  const nBlocks = (p.length - 2) / 4;
  const blocks = Array.from({ length: nBlocks }, (_, i) => ({ w: transpose2d(data[4 * i], d, d), b: data[4 * i + 1].slice(), g: data[4 * i + 2].slice(), beta: data[4 * i + 3].slice() }));
  return { dModel, nClasses, blocks, outW: transpose2d(data[4 * nBlocks], d, nClasses), outB: data[4 * nBlocks + 1].slice() };
}

/**
 * Logits [B, n_cls] of cell embeddings x [B, d]: differentiable in `p`, and in x when
 * `trainedInput` (x is then the fine-tuned last layer's output).
 */
export function clsDecoderLogits(x: tf.Tensor2D, p: tf.Tensor[], trainedInput = false): tf.Tensor2D {
  const nBlocks = (p.length - 2) / 4;
  let h = x;
  for (let i = 0; i < nBlocks; i++) {
    const [w, b, g, beta] = p.slice(4 * i, 4 * i + 4);
    const z = i === 0 && !trainedInput ? matMulConstant(h, w as tf.Tensor2D) : matMulTrained(h, w as tf.Tensor2D);
    h = plainLayerNorm(tf.relu(tf.add(z, b)) as tf.Tensor2D, g as tf.Tensor1D, beta as tf.Tensor1D, LAYER_NORM_EPS);
  }
  const last = p[4 * nBlocks] as tf.Tensor2D;
  return tf.add(nBlocks === 0 && !trainedInput ? matMulConstant(h, last) : matMulTrained(h, last), p[4 * nBlocks + 1]) as tf.Tensor2D;
}

/** nn.CrossEntropyLoss (mean over the batch) of logits [B, C] against class codes [B]. */
export function crossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  const C = logits.shape[1];
  const picked = tf.sum(tf.mul(logits, tf.oneHot(labels, C)), 1);
  return tf.mean(tf.sub(tf.logSumExp(logits, 1), picked));
}

/** State-dict names of the head's tensors in scGPT (cls_decoder.*), in `clsDecoderTensors` order. */
export function clsDecoderKeys(nBlocks: number): string[] {
  const keys: string[] = [];
  for (let i = 0; i < nBlocks; i++) keys.push(`cls_decoder._decoder.${3 * i}.weight`, `cls_decoder._decoder.${3 * i}.bias`, `cls_decoder._decoder.${3 * i + 2}.weight`, `cls_decoder._decoder.${3 * i + 2}.bias`);
  keys.push('cls_decoder.out_layer.weight', 'cls_decoder.out_layer.bias');
  return keys;
}
