// The PyTorch fixture of scGPT's classifier head (test/fixtures/scgpt-head, made by
// test/reference/make_scgpt_head_fixture.py) and the checks against it, run on whichever tfjs
// backend is active (test/scgpt-head.test.ts: cpu and wasm; test/scgpt-head-webgpu.test.ts).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { parseNpy } from '../src/io/npy.ts';
import type { ClsDecoderWeights } from '../src/model/cls-decoder.ts';
import { clsDecoderWeights } from '../src/model/cls-decoder.ts';
import type { HeadFeatures, HeadTrainParams } from '../src/model/cls-train.ts';
import { ClsHead, SCGPT_HEAD_DEFAULTS, batchInputs, disposeInputs } from '../src/model/cls-train.ts';
import { layerInput } from '../src/model/encoder-cpu.ts';
import { lastLayerWeights } from '../src/model/last-layer-tfjs.ts';
import type { LayerWeights, ScGPTWeights } from '../src/model/weights.ts';
import { expected, fixtureTokens, maxAbsDiff } from './model-fixtures.ts';

const FIX = join(import.meta.dirname, 'fixtures', 'scgpt-head');
const npy = (...p: string[]) => parseNpy(readFileSync(join(FIX, ...p) + '.npy')).data as Float32Array;
const meta = (c: string) => JSON.parse(readFileSync(join(FIX, c, 'meta.json'), 'utf8')) as { n_cls: number; nlayers_cls: number; lr: number; eps: number; betas: [number, number]; labels: number[]; batches: number[][]; losses: number[]; weight_decay?: number; wd_losses?: number[] };

/** The head's tensors end to end in scGPT's state-dict order (the fixture's layout). */
export function flatHead(w: ClsDecoderWeights): Float32Array {
  return concat([...w.blocks.flatMap((b) => [b.w, b.b, b.g, b.beta]), w.outW, w.outB]);
}

function concat(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) out.set(p, (at += p.length) - p.length);
  return out;
}

function headFromFlat(flat: Float32Array, d: number, nCls: number, nLayers: number): ClsDecoderWeights {
  let at = 0;
  const take = (n: number) => flat.slice(at, (at += n));
  const blocks = Array.from({ length: nLayers - 1 }, () => ({ w: take(d * d), b: take(d), g: take(d), beta: take(d) }));
  const w = { dModel: d, nClasses: nCls, blocks, outW: take(nCls * d), outB: take(nCls) };
  expect(at).toBe(flat.length);
  return w;
}

export const flatLayer = (L: LayerWeights) => concat([L.wqkv, L.bqkv, L.wo, L.bo, L.w1, L.b1, L.w2, L.b2, L.ln1g, L.ln1b, L.ln2g, L.ln2b]);

function params(m: ReturnType<typeof meta>, extra: Partial<HeadTrainParams> = {}): HeadTrainParams {
  return { ...SCGPT_HEAD_DEFAULTS, lr: m.lr, eps: m.eps, betas: m.betas, nLayersCls: m.nlayers_cls, ...extra };
}

/** Each fixture cell's input of the last layer (exact float64 prefix), [length, d]. */
export function fixtureLayerInputs(tiny: ScGPTWeights): Float32Array[] {
  const t = fixtureTokens('tiny');
  return Array.from({ length: t.nCells }, (_, c) => layerInput(tiny, t.ids.subarray(c * t.seqLen), t.values.subarray(c * t.seqLen), t.lengths[c], -1));
}

/** Frozen encoder: loss, gradients and weights over 3 Adam steps; weight decay. */
export async function frozenParity(tiny: ScGPTWeights): Promise<void> {
  const m = meta('frozen');
  const emb = expected('tiny', 'cls_embedding');
  const d = emb.shape[1];
  const features: HeadFeatures = { kind: 'cls', n: emb.shape[0], x: emb.data as Float32Array };
  const labels = Int32Array.from(m.labels);
  const init = headFromFlat(npy('frozen', 'head_init'), d, m.n_cls, m.nlayers_cls);
  const head = new ClsHead(tiny.config, m.n_cls, params(m), init, null);
  for (const [s, cells] of m.batches.entries()) {
    const parts = await batchInputs(features, cells, d, 1e9);
    const { loss, grads } = await head.lossAndGrads(parts, Int32Array.from(cells, (c) => labels[c]));
    disposeInputs(parts);
    expect(Math.abs(loss - m.losses[s]), `loss of step ${s + 1}`).toBeLessThan(1e-5);
    if (s === 0) {
      const g = flatHead(await clsDecoderWeights(grads, d, m.n_cls));
      const ref = npy('frozen', 'grad1');
      expect(maxAbsDiff(g, ref)).toBeLessThan(1e-6);
      expect(Math.max(...ref.map(Math.abs))).toBeGreaterThan(1e-2);
    }
    head.apply(grads);
    if (s === 0) expect(maxAbsDiff(flatHead((await head.weights()).head), npy('frozen', 'head_step1'))).toBeLessThan(1e-5);
  }
  const after = flatHead((await head.weights()).head);
  expect(maxAbsDiff(after, npy('frozen', 'head_step3'))).toBeLessThan(1e-5);
  // The steps moved the weights far past the tolerance: the comparison has teeth.
  expect(maxAbsDiff(after, npy('frozen', 'head_init'))).toBeGreaterThan(2e-3);
  head.dispose();

  const wd = new ClsHead(tiny.config, m.n_cls, params(m, { weightDecay: m.weight_decay }), init, null);
  for (const [s, cells] of m.batches.slice(0, 2).entries()) {
    const parts = await batchInputs(features, cells, d, 1e9);
    expect(Math.abs((await wd.step(parts, Int32Array.from(cells, (c) => labels[c]))) - m.wd_losses![s])).toBeLessThan(1e-5);
    disposeInputs(parts);
  }
  expect(maxAbsDiff(flatHead((await wd.weights()).head), npy('frozen', 'head_wd_step2'))).toBeLessThan(1e-5);
  wd.dispose();
}

/** Last layer unfrozen: losses, gradients, head and layer weights after 2 steps, whole batches or in parts. */
export async function unfreezeParity(tiny: ScGPTWeights, layerInputs: Float32Array[], tokenBudgets = [1e9, 700]): Promise<void> {
  const m = meta('unfreeze');
  const d = tiny.config.dModel;
  const features: HeadFeatures = { kind: 'layer-input', n: 16, get: async (cells) => cells.map((c) => layerInputs[c]) };
  const labels = Int32Array.from(m.labels);
  const init = headFromFlat(npy('unfreeze', 'head_init'), d, m.n_cls, m.nlayers_cls);
  const last = tiny.layers[tiny.config.nLayers - 1];
  const refGrad = npy('unfreeze', 'layer_grad1');
  const refLayer = npy('unfreeze', 'layer_step2');
  // in_proj's k bias: its gradient is 0 in exact arithmetic (softmax ignores q·b_k, the same for
  // every key), so both sides hold rounding noise there (~1e-9) that Adam scales up by 1/eps.
  const kBias = 3 * d * d + d;
  const wellPosed = (a: Float32Array) => Float32Array.from(a, (v, i) => (i >= kBias && i < kBias + d ? 0 : v));
  // 700 tokens a part: two cells or so per forward pass, the gradients summed.
  for (const tokenBudget of tokenBudgets) {
    const head = new ClsHead(tiny.config, m.n_cls, params(m, { unfreezeLast: true, tokenBudget }), init, last);
    for (const [s, cells] of m.batches.entries()) {
      const parts = await batchInputs(features, cells, d, tokenBudget);
      if (tokenBudget === 700) expect(parts.length).toBeGreaterThan(2);
      else expect(parts.length).toBe(1);
      const { loss, grads } = await head.lossAndGrads(parts, Int32Array.from(cells, (c) => labels[c]));
      disposeInputs(parts);
      expect(Math.abs(loss - m.losses[s]), `loss of step ${s + 1}`).toBeLessThan(1e-5);
      if (s === 0) {
        const layerGrads = await lastLayerWeights(grads.slice(grads.length - 16), tiny.config);
        expect(maxAbsDiff(flatLayer(layerGrads), refGrad)).toBeLessThan(1e-6);
        expect(Math.max(...refGrad.map(Math.abs))).toBeGreaterThan(1e-2);
      }
      head.apply(grads);
    }
    const w = await head.weights();
    expect(maxAbsDiff(flatHead(w.head), npy('unfreeze', 'head_step2'))).toBeLessThan(1e-5);
    const layer = flatLayer(w.lastLayer!);
    expect(maxAbsDiff(wellPosed(layer), wellPosed(refLayer))).toBeLessThan(1e-5);
    expect(maxAbsDiff(layer, flatLayer(last))).toBeGreaterThan(1e-3);
    head.dispose();
  }
}
