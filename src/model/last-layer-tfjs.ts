// The encoder's last layer as a differentiable function of its weights, for fine-tuning it with
// the classifier head. The head reads only the `<cls>` row of the layer's output, and every step
// after attention is row-wise, so only that row is computed: q for `<cls>`, k and v for every
// token (the plain tfjs attention of encoder-tfjs.ts, same key padding mask), then out_proj,
// add & LayerNorm, the feed-forward block, add & LayerNorm. Exactly the layer's `<cls>` output,
// with activations O(B * L * d) instead of the O(B * heads * L^2) scores of all rows.
import * as tf from '@tensorflow/tfjs-core';
import { transpose2d } from './cls-decoder.ts';
import { maskedSoftmax, plainLayerNorm } from './encoder-tfjs.ts';
import { matMulConstant, matMulTrained } from './tfjs-gradients.ts';
import type { LayerWeights, ModelConfig } from './weights.ts';

/** Tensor order of `lastLayerTensors`: Linear weights [in, out]. */
const NAMES = ['wq', 'bq', 'wk', 'bk', 'wv', 'bv', 'wo', 'bo', 'w1', 'b1', 'w2', 'b2', 'ln1g', 'ln1b', 'ln2g', 'ln2b'] as const;

export function lastLayerTensors(L: LayerWeights, cfg: Pick<ModelConfig, 'dModel' | 'dHid'>): tf.Tensor[] {
  const { dModel: d, dHid } = cfg;
  const rows = (r0: number) => L.wqkv.subarray(r0 * d, (r0 + d) * d);
  const lin = (w: Float32Array, out: number, inDim: number) => tf.tensor2d(transpose2d(w, out, inDim), [inDim, out]);
  return [
    lin(rows(0), d, d),
    tf.tensor1d(L.bqkv.slice(0, d)),
    lin(rows(d), d, d),
    tf.tensor1d(L.bqkv.slice(d, 2 * d)),
    lin(rows(2 * d), d, d),
    tf.tensor1d(L.bqkv.slice(2 * d)),
    lin(L.wo, d, d),
    tf.tensor1d(L.bo),
    lin(L.w1, dHid, d),
    tf.tensor1d(L.b1),
    lin(L.w2, d, dHid),
    tf.tensor1d(L.b2),
    tf.tensor1d(L.ln1g),
    tf.tensor1d(L.ln1b),
    tf.tensor1d(L.ln2g),
    tf.tensor1d(L.ln2b),
  ];
}

/** The tensors back in the checkpoint's layout (in_proj rows q | k | v, nn.Linear [out, in]). */
export async function lastLayerWeights(p: tf.Tensor[], cfg: Pick<ModelConfig, 'dModel' | 'dHid'>): Promise<LayerWeights> {
  const { dModel: d, dHid } = cfg;
  const t = Object.fromEntries(await Promise.all(p.map(async (x, i) => [NAMES[i], (await x.data()) as Float32Array] as const))) as Record<(typeof NAMES)[number], Float32Array>;
  const wqkv = new Float32Array(3 * d * d);
  [t.wq, t.wk, t.wv].forEach((w, i) => wqkv.set(transpose2d(w, d, d), i * d * d));
  const bqkv = new Float32Array(3 * d);
  [t.bq, t.bk, t.bv].forEach((b, i) => bqkv.set(b, i * d));
  return {
    wqkv,
    bqkv,
    wo: transpose2d(t.wo, d, d),
    bo: t.bo.slice(),
    w1: transpose2d(t.w1, d, dHid),
    b1: t.b1.slice(),
    w2: transpose2d(t.w2, dHid, d),
    b2: t.b2.slice(),
    ln1g: t.ln1g.slice(),
    ln1b: t.ln1b.slice(),
    ln2g: t.ln2g.slice(),
    ln2b: t.ln2b.slice(),
  };
}

/**
 * The layer's output at `<cls>` [B, d] for inputs x [B * seqLen, d] (cell c's rows from c * seqLen,
 * its first `lengths[c]` real, `<cls>` first): differentiable in `p`.
 */
export function lastLayerCls(x: tf.Tensor2D, lengths: tf.Tensor1D, seqLen: number, p: tf.Tensor[], cfg: Pick<ModelConfig, 'dModel' | 'nHeads' | 'layerNormEps'>): tf.Tensor2D {
  const { dModel: d, nHeads: H, layerNormEps: eps } = cfg;
  const [wq, bq, wk, bk, wv, bv, wo, bo, w1, b1, w2, b2, ln1g, ln1b, ln2g, ln2b] = p as [tf.Tensor2D, tf.Tensor1D, tf.Tensor2D, tf.Tensor1D, tf.Tensor2D, tf.Tensor1D, tf.Tensor2D, tf.Tensor1D, tf.Tensor2D, tf.Tensor1D, tf.Tensor2D, tf.Tensor1D, tf.Tensor1D, tf.Tensor1D, tf.Tensor1D, tf.Tensor1D];
  const B = lengths.shape[0];
  const hd = d / H;
  const x0 = tf.reshape(tf.slice(tf.reshape(x, [B, seqLen, d]), [0, 0, 0], [B, 1, d]), [B, d]) as tf.Tensor2D;
  const heads = (t: tf.Tensor2D, rows: number) => tf.reshape(tf.transpose(tf.reshape(t, [B, rows, H, hd]), [0, 2, 1, 3]), [B * H, rows, hd]) as tf.Tensor3D;
  const q = heads(tf.add(matMulConstant(x0, wq), bq), 1);
  const k = heads(tf.add(matMulConstant(x, wk), bk), seqLen);
  const v = heads(tf.add(matMulConstant(x, wv), bv), seqLen);
  const scores = tf.reshape(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(hd)), [B, H, 1, seqLen]);
  const probs = tf.reshape(maskedSoftmax(scores, lengths), [B * H, 1, seqLen]) as tf.Tensor3D;
  const ctx = tf.reshape(tf.matMul(probs, v), [B, d]) as tf.Tensor2D;
  const x1 = plainLayerNorm(tf.add(tf.add(matMulTrained(ctx, wo), bo), x0) as tf.Tensor2D, ln1g, ln1b, eps);
  const h = tf.relu(tf.add(matMulTrained(x1, w1), b1)) as tf.Tensor2D;
  return plainLayerNorm(tf.add(tf.add(matMulTrained(h, w2), b2), x1) as tf.Tensor2D, ln2g, ln2b, eps);
}
