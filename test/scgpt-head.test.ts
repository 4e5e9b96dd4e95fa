// scGPT's classifier head against PyTorch (test/fixtures/scgpt-head, made by
// test/reference/make_scgpt_head_fixture.py from scGPT's own ClsDecoder): loss, gradients and
// weights after Adam steps, with the encoder frozen and with its last layer trained; on tfjs's
// cpu and wasm backends. Then the training loop's invariants (seeded order and init, cancel).
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseNpy } from '../src/io/npy.ts';
import type { ClsDecoderWeights } from '../src/model/cls-decoder.ts';
import { clsDecoderWeights } from '../src/model/cls-decoder.ts';
import type { HeadFeatures, HeadTrainParams } from '../src/model/cls-train.ts';
import { ClsHead, SCGPT_HEAD_DEFAULTS, batchInputs, disposeInputs, epochOrder, trainHead } from '../src/model/cls-train.ts';
import { forwardCell, layerInput } from '../src/model/encoder-cpu.ts';
import { lastLayerCls, lastLayerTensors, lastLayerWeights } from '../src/model/last-layer-tfjs.ts';
import { initNodeWasm } from '../src/model/node-wasm.ts';
import { mulberry32 } from '../src/model/random.ts';
import type { LayerWeights, ScGPTWeights } from '../src/model/weights.ts';
import { expected, fixtureTokens, loadWeights, maxAbsDiff } from './model-fixtures.ts';

const FIX = join(import.meta.dirname, 'fixtures', 'scgpt-head');
const npy = (...p: string[]) => parseNpy(readFileSync(join(FIX, ...p) + '.npy')).data as Float32Array;
const meta = (c: string) => JSON.parse(readFileSync(join(FIX, c, 'meta.json'), 'utf8')) as { n_cls: number; nlayers_cls: number; lr: number; eps: number; betas: [number, number]; labels: number[]; batches: number[][]; losses: number[]; weight_decay?: number; wd_losses?: number[] };

/** The head's tensors end to end in scGPT's state-dict order (the fixture's layout). */
function flatHead(w: ClsDecoderWeights): Float32Array {
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

const flatLayer = (L: LayerWeights) => concat([L.wqkv, L.bqkv, L.wo, L.bo, L.w1, L.b1, L.w2, L.b2, L.ln1g, L.ln1b, L.ln2g, L.ln2b]);

function params(m: ReturnType<typeof meta>, extra: Partial<HeadTrainParams> = {}): HeadTrainParams {
  return { ...SCGPT_HEAD_DEFAULTS, lr: m.lr, eps: m.eps, betas: m.betas, nLayersCls: m.nlayers_cls, ...extra };
}

let tiny: ScGPTWeights;
/** Each fixture cell's input of the last layer (exact float64 prefix), [length, d]. */
let layerInputs: Float32Array[];

beforeAll(async () => {
  tiny = await loadWeights('tiny');
  const t = fixtureTokens('tiny');
  layerInputs = Array.from({ length: 16 }, (_, c) => layerInput(tiny, t.ids.subarray(c * t.seqLen), t.values.subarray(c * t.seqLen), t.lengths[c], -1));
});

describe.each(['cpu', 'wasm'] as const)('classifier head on tfjs %s matches PyTorch', (backend) => {
  beforeAll(async () => {
    if (backend === 'wasm') await initNodeWasm(1);
    else await tf.setBackend('cpu');
    expect(tf.getBackend()).toBe(backend);
  });
  afterAll(() => tf.setBackend('cpu'));

  it('frozen encoder: loss, gradients and weights over 3 Adam steps; weight decay', async () => {
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
  });

  it('last layer unfrozen: losses, gradients, head and layer weights after 2 steps, whole batches or in parts', async () => {
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
    // 700 tokens a part: two or three cells per forward pass, the gradients summed.
    for (const tokenBudget of [1e9, 700]) {
      const head = new ClsHead(tiny.config, m.n_cls, params(m, { unfreezeLast: true, tokenBudget }), init, last);
      for (const [s, cells] of m.batches.entries()) {
        const parts = await batchInputs(features, cells, d, tokenBudget);
        expect(parts.length).toBe(tokenBudget === 700 ? 4 : 1);
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
  });

  it("the last layer's <cls> row is the encoder's <cls> output", () => {
    const t = fixtureTokens('tiny');
    const d = tiny.config.dModel;
    const cells = [0, 3, 5];
    const L = Math.max(...cells.map((c) => t.lengths[c]));
    const x = new Float32Array(cells.length * L * d);
    cells.forEach((c, k) => x.set(layerInputs[c], k * L * d));
    const p = lastLayerTensors(tiny.layers[tiny.config.nLayers - 1], tiny.config);
    const out = tf.tidy(() => lastLayerCls(tf.tensor2d(x, [cells.length * L, d]), tf.tensor1d(cells.map((c) => t.lengths[c]), 'int32'), L, p, tiny.config).dataSync());
    tf.dispose(p);
    cells.forEach((c, k) => {
      const ref = forwardCell(tiny, t.ids.subarray(c * t.seqLen), t.values.subarray(c * t.seqLen), t.lengths[c]).cls;
      expect(maxAbsDiff(out.subarray(k * d, (k + 1) * d), ref)).toBeLessThan(1e-5);
      expect(maxAbsDiff(out.subarray(k * d, (k + 1) * d), expected('tiny', 'cls_embedding').data.subarray(c * d))).toBeLessThan(1e-5);
    });
  });
});

describe('training loop', () => {
  beforeAll(() => tf.setBackend('cpu'));

  // The random-weight encoder gives near-identical <cls> outputs (correlation 0.999 between the
  // fixture's cells: PyTorch cannot fit labels on them either), so the loop learns on planted
  // classes: 4 separated clusters of 10 cells in d dimensions.
  const labels = Int32Array.from({ length: 40 }, (_, i) => i % 4);
  const features = (): HeadFeatures => {
    const u = mulberry32(7);
    const centres = Array.from({ length: 4 }, () => Float32Array.from({ length: 64 }, () => 2 * u() - 1));
    return { kind: 'cls', n: 40, x: Float32Array.from({ length: 40 * 64 }, (_, k) => centres[labels[Math.floor(k / 64)]][k % 64] + 0.3 * (u() - 0.5)) };
  };

  it('same seed, same bits; another seed, another start and order; the loss falls; StepLR', async () => {
    const run = async (seed: number) => {
      const head = ClsHead.create(tiny, 4, { ...SCGPT_HEAD_DEFAULTS, lr: 1e-3, epochs: 12, batchSize: 8, seed });
      const epochs: number[] = [];
      const history = await trainHead(head, features(), labels, { features: features(), labels }, { onProgress: (_f, _m, e) => e && epochs.push(e.epoch) });
      const w = flatHead((await head.weights()).head);
      head.dispose();
      expect(epochs).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
      return { history, w };
    };
    const a = await run(3);
    const b = await run(3);
    const c = await run(4);
    expect(Array.from(b.w)).toEqual(Array.from(a.w));
    expect(b.history.map((h) => h.trainLoss)).toEqual(a.history.map((h) => h.trainLoss));
    expect(maxAbsDiff(a.w, c.w)).toBeGreaterThan(1e-3);
    expect(a.history.map((h) => h.lr)).toEqual(Array.from({ length: 12 }, (_, i) => 1e-3 * 0.9 ** i));
    expect(a.history[11].trainLoss).toBeLessThan(a.history[0].trainLoss / 2);
    expect(a.history[11].heldOutAccuracy).toBe(1);
    expect(Array.from(epochOrder(16, 3, 1)).sort((x, y) => x - y)).toEqual(Array.from({ length: 16 }, (_, i) => i));
    expect(Array.from(epochOrder(16, 3, 1))).not.toEqual(Array.from(epochOrder(16, 3, 2)));
  });

  it('stops on abort between batches, freeing its tensors', async () => {
    const before = tf.memory().numTensors;
    const ctrl = new AbortController();
    let batches = 0;
    const counting: HeadFeatures = { kind: 'layer-input', n: 16, get: async (cells) => {
      if (++batches === 3) ctrl.abort();
      return cells.map((c) => layerInputs[c]);
    } };
    const unfrozen = ClsHead.create(tiny, 4, { ...SCGPT_HEAD_DEFAULTS, epochs: 50, batchSize: 2, unfreezeLast: true });
    const start = tf.memory().numTensors;
    await expect(trainHead(unfrozen, counting, labels.subarray(0, 16), null, { signal: ctrl.signal })).rejects.toThrow(/cancel/i);
    expect(batches).toBe(3);
    // The optimizer's moments are the only new tensors: two per parameter (10 of the head, 16 of the layer).
    expect(tf.memory().numTensors - start).toBe(2 * (10 + 16));
    unfrozen.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
