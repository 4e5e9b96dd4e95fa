// scGPT_human's shape (d 512, 8 heads, d_hid 512, vocab 60697) with seeded random weights, for
// benchmarks: the speed of every kernel depends on the shapes only. Smaller shapes for CPU benches
// through `shape` (heads of 64 dimensions, d_hid = d).
import type { ScGPTWeights } from '../src/model/weights.ts';
import { rng } from './synthetic.ts';

export interface RandomShape {
  d?: number;
  vocabSize?: number;
  padId?: number;
  clsId?: number;
}

export function randomWeights(seed: number, nLayers = 12, shape: RandomShape = {}): ScGPTWeights {
  const d = shape.d ?? 512;
  const dHid = d;
  const vocabSize = shape.vocabSize ?? 60697;
  const r = rng(seed);
  const mat = (n: number, scale: number) => Float32Array.from({ length: n }, () => (r() * 2 - 1) * scale);
  const ones = (n: number) => new Float32Array(n).fill(1);
  const s = 1 / Math.sqrt(d);
  return {
    config: { nLayers, dModel: d, nHeads: Math.max(1, d / 64), dHid, vocabSize, padId: shape.padId ?? 60694, clsId: shape.clsId ?? 60695, padValue: -2, maxValue: 512, layerNormEps: 1e-5 },
    embedding: mat(vocabSize * d, 1),
    encNormG: ones(d),
    encNormB: mat(d, 0.1),
    valW1: mat(d, 1),
    valB1: mat(d, 0.1),
    valW2: mat(d * d, s),
    valB2: mat(d, 0.1),
    valNormG: ones(d),
    valNormB: mat(d, 0.1),
    layers: Array.from({ length: nLayers }, () => ({
      wqkv: mat(3 * d * d, s),
      bqkv: mat(3 * d, 0.1),
      wo: mat(d * d, s),
      bo: mat(d, 0.1),
      w1: mat(dHid * d, s),
      b1: mat(dHid, 0.1),
      w2: mat(d * dHid, 1 / Math.sqrt(dHid)),
      b2: mat(d, 0.1),
      ln1g: ones(d),
      ln1b: mat(d, 0.1),
      ln2g: ones(d),
      ln2b: mat(d, 0.1),
    })),
  };
}
