// Fine-tuning scGPT's classifier head as scGPT's annotation tutorial does: cross-entropy on the
// `<cls>` cell embedding, Adam (lr 1e-4, eps 1e-8, no weight decay), mini-batches of 32 in a
// shuffled order, the learning rate times 0.9 after every epoch (StepLR), 10 epochs. The encoder
// stays frozen, or its last layer is trained too (then the head reads that layer's `<cls>` output,
// computed from the frozen layers' output). No dropout: the same inputs give the same bits.
// Runs on tfjs's active backend (cpu, wasm or webgpu).
import * as tf from '@tensorflow/tfjs-core';
import { CancelledError } from '../io/errors.ts';
import type { ClsDecoderWeights } from './cls-decoder.ts';
import { clsDecoderLogits, clsDecoderTensors, clsDecoderWeights, crossEntropy, initClsDecoder } from './cls-decoder.ts';
import { lastLayerCls, lastLayerTensors, lastLayerWeights } from './last-layer-tfjs.ts';
import { cellUniform } from './random.ts';
import { registerTrainingGradients } from './tfjs-gradients.ts';
import { TorchAdam } from './torch-adam.ts';
import type { LayerWeights, ModelConfig, ScGPTWeights } from './weights.ts';

export interface HeadTrainParams {
  epochs: number;
  lr: number;
  batchSize: number;
  /** The learning rate is multiplied by this after every epoch (scGPT's schedule_ratio). */
  scheduleGamma: number;
  weightDecay: number;
  eps: number;
  betas: [number, number];
  /** ClsDecoder's nlayers (scGPT: 3, i.e. two hidden blocks). */
  nLayersCls: number;
  /** Train the encoder's last layer too. */
  unfreezeLast: boolean;
  /** Seeds the head's initial weights and the order of the cells in each epoch. */
  seed: number;
  /** Tokens (cells x padded length) per forward pass when the last layer is trained: bounds memory; gradients add up over a batch's parts. */
  tokenBudget: number;
}

/** scGPT's Tutorial_Annotation settings (fp32: eps 1e-8). */
export const SCGPT_HEAD_DEFAULTS: HeadTrainParams = {
  epochs: 10,
  lr: 1e-4,
  batchSize: 32,
  scheduleGamma: 0.9,
  weightDecay: 0,
  eps: 1e-8,
  betas: [0.9, 0.999],
  nLayersCls: 3,
  unfreezeLast: false,
  seed: 0,
  tokenBudget: 16_384,
};

/**
 * What the head is given per cell: the frozen encoder's `<cls>` outputs [n, d], or (last layer
 * trained) each cell's input of the last layer, [length, d] over its real tokens, `<cls>` first.
 */
export type HeadFeatures = { kind: 'cls'; n: number; x: Float32Array } | { kind: 'layer-input'; n: number; get(cells: number[]): Promise<Float32Array[]> };

export interface HeadEpoch {
  epoch: number;
  epochs: number;
  lr: number;
  /** Mean cross-entropy over the training cells of this epoch's batches. */
  trainLoss: number;
  heldOutLoss?: number;
  /** Share of the held-out cells whose most probable label is theirs. */
  heldOutAccuracy?: number;
  seconds: number;
}

export interface TrainOptions {
  signal?: AbortSignal;
  /** At least once a second while training, and after every epoch (with its numbers). */
  onProgress?: (fraction: number, message: string, epoch?: HeadEpoch) => void;
}

/** The head (and the last layer, when trained) as tfjs tensors, with its optimizer state. */
export class ClsHead {
  private head: tf.Tensor[];
  private layer: tf.Tensor[] | null;
  private readonly adam: TorchAdam;

  constructor(
    readonly config: ModelConfig,
    readonly nClasses: number,
    readonly params: HeadTrainParams,
    head: ClsDecoderWeights,
    lastLayer: LayerWeights | null,
  ) {
    registerTrainingGradients();
    if (head.dModel !== config.dModel || head.nClasses !== nClasses) throw new Error(`the head is ${head.dModel} x ${head.nClasses} but the model has d ${config.dModel} and ${nClasses} classes`);
    this.head = clsDecoderTensors(head);
    this.layer = lastLayer ? lastLayerTensors(lastLayer, config) : null;
    this.adam = new TorchAdam({ lr: params.lr, betas: params.betas, eps: params.eps, weightDecay: params.weightDecay });
  }

  /** A fresh head for `weights` (seeded PyTorch initialisation), with the last layer's weights when it is trained. */
  static create(weights: ScGPTWeights, nClasses: number, params: HeadTrainParams): ClsHead {
    const init = initClsDecoder(weights.config.dModel, nClasses, params.nLayersCls, cellUniform(params.seed, 0));
    return new ClsHead(weights.config, nClasses, params, init, params.unfreezeLast ? weights.layers[weights.config.nLayers - 1] : null);
  }

  get learningRate(): number {
    return this.adam.lr;
  }

  set learningRate(lr: number) {
    this.adam.lr = lr;
  }

  private logits(input: BatchInput, head: tf.Tensor[], layer: tf.Tensor[] | null): tf.Tensor2D {
    if (input.kind === 'cls') return clsDecoderLogits(input.x, head);
    return clsDecoderLogits(lastLayerCls(input.x, input.lengths, input.seqLen, layer!, this.config), head, layer !== null);
  }

  /**
   * The mean cross-entropy over a batch (its features, part by part when they are long; class
   * codes in the same order) and its gradients, as PyTorch computes them: the head's tensors,
   * then the last layer's. The caller disposes the gradients (or `apply` does).
   */
  async lossAndGrads(parts: BatchInput[], labels: Int32Array): Promise<{ loss: number; grads: tf.Tensor[] }> {
    const total = labels.length;
    const nHead = this.head.length;
    let grads: tf.Tensor[] | null = null;
    let loss = 0;
    let at = 0;
    for (const part of parts) {
      const n = part.n;
      const y = tf.tensor1d(labels.subarray(at, at + n), 'int32');
      at += n;
      // Each part's mean loss weighted by its share: the parts' gradients add up to the batch's.
      const f = (...p: tf.Tensor[]) => tf.mul(crossEntropy(this.logits(part, p.slice(0, nHead), this.layer ? p.slice(nHead) : null), y), n / total) as tf.Scalar;
      const { value, grads: g } = tf.valueAndGrads(f)([...this.head, ...(this.layer ?? [])]);
      y.dispose();
      loss += (await value.data())[0];
      value.dispose();
      if (!grads) grads = g;
      else {
        const sum: tf.Tensor[] = grads.map((a, i) => tf.add(a, g[i]));
        tf.dispose([...grads, ...g]);
        grads = sum;
      }
    }
    if (at !== total || !grads) throw new Error(`the batch parts hold ${at} cells but ${total} labels were given`);
    return { loss, grads };
  }

  /** One Adam step with these gradients (disposed). */
  apply(grads: tf.Tensor[]): void {
    const nHead = this.head.length;
    const next = this.adam.step([...this.head, ...(this.layer ?? [])], grads);
    this.head = next.slice(0, nHead);
    if (this.layer) this.layer = next.slice(nHead);
  }

  /** One Adam step on a batch; returns its mean cross-entropy (before the step). */
  async step(parts: BatchInput[], labels: Int32Array): Promise<number> {
    const { loss, grads } = await this.lossAndGrads(parts, labels);
    this.apply(grads);
    return loss;
  }

  /** Softmax probabilities [n, C] of a batch (no gradient). */
  async probabilities(parts: BatchInput[]): Promise<Float32Array> {
    const out: Float32Array[] = [];
    for (const part of parts) {
      const p = tf.tidy(() => tf.softmax(this.logits(part, this.head, this.layer)));
      out.push((await p.data()) as Float32Array);
      p.dispose();
    }
    const all = new Float32Array(out.reduce((s, a) => s + a.length, 0));
    let at = 0;
    for (const a of out) {
      all.set(a, at);
      at += a.length;
    }
    return all;
  }

  async weights(): Promise<{ head: ClsDecoderWeights; lastLayer: LayerWeights | null }> {
    return { head: await clsDecoderWeights(this.head, this.config.dModel, this.nClasses), lastLayer: this.layer ? await lastLayerWeights(this.layer, this.config) : null };
  }

  dispose(): void {
    tf.dispose([...this.head, ...(this.layer ?? [])]);
    this.adam.dispose();
  }
}

/** One forward pass's worth of cells: their `<cls>` embeddings, or their padded last-layer inputs. */
export type BatchInput = { kind: 'cls'; n: number; x: tf.Tensor2D } | { kind: 'layer-input'; n: number; x: tf.Tensor2D; lengths: tf.Tensor1D; seqLen: number };

export function disposeInputs(parts: BatchInput[]): void {
  for (const p of parts) {
    p.x.dispose();
    if (p.kind === 'layer-input') p.lengths.dispose();
  }
}

/** The features of `cells` as forward passes: one for embeddings; parts within the token budget for layer inputs. */
export async function batchInputs(features: HeadFeatures, cells: number[], d: number, tokenBudget: number): Promise<BatchInput[]> {
  if (features.kind === 'cls') {
    const x = new Float32Array(cells.length * d);
    cells.forEach((c, k) => x.set(features.x.subarray(c * d, (c + 1) * d), k * d));
    return [{ kind: 'cls', n: cells.length, x: tf.tensor2d(x, [cells.length, d]) }];
  }
  const rows = await features.get(cells);
  const parts: BatchInput[] = [];
  // Padded to a multiple of 32 tokens: few distinct shapes, so a GPU backend compiles few pipelines.
  const padded = (k: number) => Math.ceil(rows[k].length / d / 32) * 32;
  for (let i = 0; i < rows.length; ) {
    let j = i + 1;
    let longest = padded(i);
    while (j < rows.length && (j - i + 1) * Math.max(longest, padded(j)) <= tokenBudget) longest = Math.max(longest, padded(j++));
    const x = new Float32Array((j - i) * longest * d);
    const lengths = new Int32Array(j - i);
    for (let k = i; k < j; k++) {
      x.set(rows[k], (k - i) * longest * d);
      lengths[k - i] = rows[k].length / d;
    }
    parts.push({ kind: 'layer-input', n: j - i, x: tf.tensor2d(x, [(j - i) * longest, d]), lengths: tf.tensor1d(lengths, 'int32'), seqLen: longest });
    i = j;
  }
  return parts;
}

/**
 * Makes sure tfjs has a backend for the head: the one already chosen (wasm, webgpu), else its
 * plain JavaScript cpu backend. Returns its name.
 */
export async function prepareHeadBackend(): Promise<string> {
  await import('@tensorflow/tfjs-backend-cpu');
  await tf.ready();
  return tf.getBackend();
}

/** Seeded Fisher-Yates order of 0..n-1 for one epoch. */
export function epochOrder(n: number, seed: number, epoch: number): Int32Array {
  const u = cellUniform(seed, epoch);
  const order = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(u() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

/** Probabilities [n, C] for every cell of `features`, a batch at a time. */
export async function predictHead(head: ClsHead, features: HeadFeatures, opts: TrainOptions & { label?: string } = {}): Promise<Float32Array> {
  const C = head.nClasses;
  const out = new Float32Array(features.n * C);
  const size = Math.max(head.params.batchSize, 64);
  let last = performance.now();
  for (let i = 0; i < features.n; i += size) {
    if (opts.signal?.aborted) throw new CancelledError('classifier head');
    const cells = Array.from({ length: Math.min(size, features.n - i) }, (_, k) => i + k);
    const parts = await batchInputs(features, cells, head.config.dModel, head.params.tokenBudget);
    try {
      out.set(await head.probabilities(parts), i * C);
    } finally {
      disposeInputs(parts);
    }
    await tick();
    if (performance.now() - last >= 1000 || i + size >= features.n) {
      last = performance.now();
      opts.onProgress?.(Math.min(1, (i + size) / features.n), `${opts.label ?? 'predicting'}: ${Math.min(features.n, i + size).toLocaleString('en-US')} / ${features.n.toLocaleString('en-US')} cells`);
    }
  }
  return out;
}

/**
 * Trains `head` on cells with class codes `labels` (all >= 0) for params.epochs epochs; after each,
 * the held-out cells' loss and accuracy. Returns each epoch's numbers.
 */
export async function trainHead(head: ClsHead, train: HeadFeatures, labels: Int32Array, heldOut: { features: HeadFeatures; labels: Int32Array } | null, opts: TrainOptions = {}): Promise<HeadEpoch[]> {
  const { epochs, batchSize, seed, lr, scheduleGamma, tokenBudget } = head.params;
  if (!(Number.isInteger(epochs) && epochs >= 1)) throw new RangeError(`epochs must be a whole number of at least 1 (got ${epochs})`);
  if (!(Number.isInteger(batchSize) && batchSize >= 1)) throw new RangeError(`the batch size must be a whole number of at least 1 (got ${batchSize})`);
  if (labels.length !== train.n) throw new Error(`${train.n} training cells but ${labels.length} labels`);
  const d = head.config.dModel;
  const history: HeadEpoch[] = [];
  const nBatches = Math.ceil(train.n / batchSize);
  let last = performance.now();
  for (let epoch = 1; epoch <= epochs; epoch++) {
    const started = performance.now();
    head.learningRate = lr * scheduleGamma ** (epoch - 1);
    const order = epochOrder(train.n, seed, epoch);
    let lossSum = 0;
    for (let b = 0; b < nBatches; b++) {
      if (opts.signal?.aborted) throw new CancelledError('classifier head');
      const cells = Array.from(order.subarray(b * batchSize, Math.min(train.n, (b + 1) * batchSize)));
      const parts = await batchInputs(train, cells, d, tokenBudget);
      try {
        lossSum += (await head.step(parts, Int32Array.from(cells, (c) => labels[c]))) * cells.length;
      } finally {
        disposeInputs(parts);
      }
      // A macrotask break: a worker can take a cancel message between batches.
      await tick();
      if (performance.now() - last >= 1000) {
        last = performance.now();
        opts.onProgress?.((epoch - 1 + (b + 1) / nBatches) / epochs, `epoch ${epoch}/${epochs}: batch ${b + 1}/${nBatches}, loss ${(lossSum / Math.min(train.n, (b + 1) * batchSize)).toFixed(4)}`);
      }
    }
    const stats: HeadEpoch = { epoch, epochs, lr: head.learningRate, trainLoss: lossSum / train.n, seconds: 0 };
    if (heldOut && heldOut.features.n > 0) {
      const p = await predictHead(head, heldOut.features, { signal: opts.signal });
      Object.assign(stats, heldOutScores(p, heldOut.labels, head.nClasses));
    }
    stats.seconds = (performance.now() - started) / 1000;
    history.push(stats);
    last = performance.now();
    opts.onProgress?.(epoch / epochs, epochMessage(stats), stats);
  }
  return history;
}

export function epochMessage(s: HeadEpoch): string {
  const held = s.heldOutAccuracy !== undefined ? `, held-out loss ${s.heldOutLoss!.toFixed(4)}, accuracy ${(100 * s.heldOutAccuracy).toFixed(1)}%` : '';
  return `epoch ${s.epoch}/${s.epochs}: loss ${s.trainLoss.toFixed(4)}${held}`;
}

/** Cross-entropy and accuracy of probabilities [n, C] against class codes. */
export function heldOutScores(p: Float32Array, labels: Int32Array, C: number): { heldOutLoss: number; heldOutAccuracy: number } {
  let loss = 0;
  let ok = 0;
  for (let i = 0; i < labels.length; i++) {
    let best = 0;
    for (let c = 1; c < C; c++) if (p[i * C + c] > p[i * C + best]) best = c;
    if (best === labels[i]) ok++;
    loss -= Math.log(Math.max(p[i * C + labels[i]], 1e-45));
  }
  return { heldOutLoss: loss / labels.length, heldOutAccuracy: ok / labels.length };
}
