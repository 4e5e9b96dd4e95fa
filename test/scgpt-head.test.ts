// scGPT's classifier head against PyTorch (test/scgpt-head-fixture.ts): loss, gradients and
// weights after Adam steps, with the encoder frozen and with its last layer trained; on tfjs's
// cpu and wasm backends. Then the training loop's invariants (seeded order and init, cancel).
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoadedModel } from '../src/model/bundle.ts';
import type { HeadFeatures } from '../src/model/cls-train.ts';
import { ClsHead, SCGPT_HEAD_DEFAULTS, epochOrder, trainHead } from '../src/model/cls-train.ts';
import { cpuEncoder, wasmEncoder, webgpuEncoder } from '../src/model/embed.ts';
import { forwardCell } from '../src/model/encoder-cpu.ts';
import { TfjsEncoder } from '../src/model/encoder-tfjs.ts';
import { WasmEncoder } from '../src/model/encoder-wasm.ts';
import { lastLayerCls, lastLayerTensors } from '../src/model/last-layer-tfjs.ts';
import { initNodeWasm } from '../src/model/node-wasm.ts';
import { mulberry32 } from '../src/model/random.ts';
import type { ScGPTWeights } from '../src/model/weights.ts';
import { expected, fixtureTokens, loadWeights, maxAbsDiff } from './model-fixtures.ts';
import { fixtureLayerInputs, flatHead, frozenParity, unfreezeParity } from './scgpt-head-fixture.ts';

let tiny: ScGPTWeights;
let layerInputs: Float32Array[];

beforeAll(async () => {
  tiny = await loadWeights('tiny');
  layerInputs = fixtureLayerInputs(tiny);
});

describe.each(['cpu', 'wasm'] as const)('classifier head on tfjs %s matches PyTorch', (backend) => {
  beforeAll(async () => {
    if (backend === 'wasm') await initNodeWasm(1);
    else await tf.setBackend('cpu');
    expect(tf.getBackend()).toBe(backend);
  });
  afterAll(() => tf.setBackend('cpu'));

  it('frozen encoder: loss, gradients and weights over 3 Adam steps; weight decay', () => frozenParity(tiny));

  it('last layer unfrozen: losses, gradients, head and layer weights after 2 steps, whole batches or in parts', () => unfreezeParity(tiny, layerInputs));

  it("the last layer's <cls> row is the encoder's <cls> output", async () => {
    const t = fixtureTokens('tiny');
    const d = tiny.config.dModel;
    const cells = [0, 3, 5];
    const L = Math.max(...cells.map((c) => t.lengths[c]));
    const x = new Float32Array(cells.length * L * d);
    cells.forEach((c, k) => x.set(layerInputs[c], k * L * d));
    const p = lastLayerTensors(tiny.layers[tiny.config.nLayers - 1], tiny.config);
    const cls = tf.tidy(() => lastLayerCls(tf.tensor2d(x, [cells.length * L, d]), tf.tensor1d(cells.map((c) => t.lengths[c]), 'int32'), L, p, tiny.config));
    // data(), not dataSync(): the same read works on WebGPU.
    const out = (await cls.data()) as Float32Array;
    tf.dispose([cls, p]);
    cells.forEach((c, k) => {
      const ref = forwardCell(tiny, t.ids.subarray(c * t.seqLen), t.values.subarray(c * t.seqLen), t.lengths[c]).cls;
      expect(maxAbsDiff(out.subarray(k * d, (k + 1) * d), ref)).toBeLessThan(1e-5);
      expect(maxAbsDiff(out.subarray(k * d, (k + 1) * d), expected('tiny', 'cls_embedding').data.subarray(c * d))).toBeLessThan(1e-5);
    });
  });
});

describe("every encoder's inputs of the last layer", () => {
  it('CPU float64, WASM and the tfjs encoder (plain kernels, here on the cpu backend) agree on a padded batch', async () => {
    const t = fixtureTokens('tiny');
    const d = tiny.config.dModel;
    const cells = [2, 0, 7];
    const L = 288;
    const ids = new Int32Array(cells.length * L).fill(tiny.config.padId);
    const values = new Float32Array(cells.length * L).fill(tiny.config.padValue);
    cells.forEach((c, k) => {
      ids.set(t.ids.subarray(c * t.seqLen, c * t.seqLen + t.lengths[c]), k * L);
      values.set(t.values.subarray(c * t.seqLen, c * t.seqLen + t.lengths[c]), k * L);
    });
    const batch = { ids, values, lengths: Int32Array.from(cells, (c) => t.lengths[c]), batch: cells.length, seqLen: L };
    const model = { weights: tiny } as LoadedModel;
    await tf.setBackend('cpu');
    const tfjs = new TfjsEncoder(tiny, 'tfjs');
    const viaTfjs = await webgpuEncoder(tfjs, 'plain kernels').layerInputs!(batch, -1);
    tfjs.dispose();
    await initNodeWasm(1);
    const wasm = new WasmEncoder(tiny);
    const viaWasm = await wasmEncoder(wasm, 1).layerInputs!(batch, -1);
    wasm.dispose();
    await tf.setBackend('cpu');
    const viaCpu = await cpuEncoder(model).layerInputs!(batch, -1);
    cells.forEach((c, k) => {
      expect(viaCpu[k].length).toBe(t.lengths[c] * d);
      expect(maxAbsDiff(viaCpu[k], layerInputs[c])).toBe(0);
      expect(maxAbsDiff(viaTfjs[k], viaCpu[k])).toBeLessThan(1e-4);
      expect(viaWasm[k].length).toBe(viaCpu[k].length);
      expect(maxAbsDiff(viaWasm[k], viaCpu[k])).toBeLessThan(1e-4);
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
