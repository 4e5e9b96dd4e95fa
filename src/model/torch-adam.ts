// torch.optim.Adam's update (PyTorch 1.13, the single-tensor path it takes on the CPU), on tfjs
// tensors: weight decay added to the gradient (L2, not AdamW), first and second moments,
// bias corrections computed in double precision as Python does, then
// p -= (lr / bc1) * m / (sqrt(v) / sqrt(bc2) + eps). scGPT's fine-tuning uses lr 1e-4,
// betas (0.9, 0.999), eps 1e-8 (1e-4 only under mixed precision) and no weight decay.
import * as tf from '@tensorflow/tfjs-core';

export interface AdamOptions {
  lr: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
}

export class TorchAdam {
  lr: number;
  readonly betas: [number, number];
  readonly eps: number;
  readonly weightDecay: number;
  private m: tf.Tensor[] | null = null;
  private v: tf.Tensor[] | null = null;
  /** Steps taken (PyTorch's state['step']). */
  steps = 0;

  constructor(opts: AdamOptions) {
    this.lr = opts.lr;
    this.betas = opts.betas ?? [0.9, 0.999];
    this.eps = opts.eps ?? 1e-8;
    this.weightDecay = opts.weightDecay ?? 0;
    if (!(this.lr > 0)) throw new RangeError(`the learning rate must be positive (got ${this.lr})`);
    if (!(this.eps >= 0 && this.weightDecay >= 0 && this.betas.every((b) => b >= 0 && b < 1))) throw new RangeError('Adam needs 0 <= betas < 1, eps >= 0 and weight decay >= 0');
  }

  /** New parameters from `params` and their gradients; disposes the old parameters and the gradients. */
  step(params: tf.Tensor[], grads: tf.Tensor[]): tf.Tensor[] {
    const [b1, b2] = this.betas;
    this.steps++;
    const bc1 = 1 - b1 ** this.steps;
    const bc2Sqrt = Math.sqrt(1 - b2 ** this.steps);
    const stepSize = this.lr / bc1;
    this.m ??= params.map((p) => tf.zerosLike(p));
    this.v ??= params.map((p) => tf.zerosLike(p));
    const out = params.map((p, i) =>
      tf.tidy(() => {
        const g = this.weightDecay ? tf.add(grads[i], tf.mul(p, this.weightDecay)) : grads[i];
        const m = tf.add(tf.mul(this.m![i], b1), tf.mul(g, 1 - b1));
        const v = tf.add(tf.mul(this.v![i], b2), tf.mul(tf.mul(g, g), 1 - b2));
        const denom = tf.add(tf.div(tf.sqrt(v), bc2Sqrt), this.eps);
        const next = tf.sub(p, tf.div(tf.mul(m, stepSize), denom));
        this.m![i].dispose();
        this.v![i].dispose();
        this.m![i] = tf.keep(m);
        this.v![i] = tf.keep(v);
        return next;
      }),
    );
    tf.dispose(params);
    tf.dispose(grads);
    return out;
  }

  dispose(): void {
    tf.dispose([...(this.m ?? []), ...(this.v ?? [])]);
    this.m = this.v = null;
  }
}
