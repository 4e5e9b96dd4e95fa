// Speed of scGPT's classifier head training at scGPT_human's width (d 512, 8 heads, d_hid 512) on
// tfjs's cpu and wasm backends: (1) the head alone on <cls> embeddings, cells per second over one
// epoch of batches of 32; (2) with the last encoder layer trained, seconds per batch of 32 cells
// of L tokens (forward at <cls>, backward, Adam), from precomputed layer inputs. Weights and inputs
// are seeded random: the speed depends on the shapes only.
// Run: node --import tsx bench/scgpt-head.ts [--cells 2000] [--threads 2] [--lengths 300,1200] [--backends cpu,wasm]
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import type { HeadFeatures } from '../src/model/cls-train.ts';
import { ClsHead, SCGPT_HEAD_DEFAULTS, batchInputs, disposeInputs, trainHead } from '../src/model/cls-train.ts';
import { initNodeWasm } from '../src/model/node-wasm.ts';
import { randomWeights } from './random-model.ts';
import { rng } from './synthetic.ts';

const arg = (name: string, d: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : d;
};
const nCells = Number(arg('cells', '2000'));
const threads = Number(arg('threads', '2'));
const lengths = arg('lengths', '300,1200').split(',').map(Number);
const backends = arg('backends', 'cpu,wasm').split(',') as ('cpu' | 'wasm')[];
const weights = randomWeights(1, 1);
const d = weights.config.dModel;
const C = 10;
const r = rng(2);
const labels = Int32Array.from({ length: nCells }, () => Math.floor(r() * C));
const cls: HeadFeatures = { kind: 'cls', n: nCells, x: Float32Array.from({ length: nCells * d }, () => r() * 2 - 1) };

for (const backend of backends) {
  if (backend === 'wasm') await initNodeWasm(threads);
  else await tf.setBackend('cpu');
  const label = backend === 'wasm' ? `wasm (${threads} threads)` : 'cpu (JavaScript)';
  const head = ClsHead.create(weights, C, { ...SCGPT_HEAD_DEFAULTS, epochs: 1 });
  const t0 = performance.now();
  await trainHead(head, cls, labels, null);
  const s = (performance.now() - t0) / 1000;
  head.dispose();
  console.log(`${label}: head alone, ${nCells} cells, 1 epoch: ${s.toFixed(2)} s (${(nCells / s).toFixed(0)} cells/s)`);
  for (const L of lengths) {
    const unfrozen = ClsHead.create(weights, C, { ...SCGPT_HEAD_DEFAULTS, unfreezeLast: true });
    const rows = Array.from({ length: 32 }, () => Float32Array.from({ length: L * d }, () => r() * 2 - 1));
    const features: HeadFeatures = { kind: 'layer-input', n: 32, get: async (cells) => cells.map((c) => rows[c]) };
    const cells = Array.from({ length: 32 }, (_, i) => i);
    const times: number[] = [];
    for (let step = 0; step < 3; step++) {
      const t = performance.now();
      const parts = await batchInputs(features, cells, d, SCGPT_HEAD_DEFAULTS.tokenBudget);
      await unfrozen.step(parts, labels.subarray(0, 32));
      disposeInputs(parts);
      times.push((performance.now() - t) / 1000);
    }
    unfrozen.dispose();
    console.log(`${label}: last layer + head, batch of 32 cells x ${L} tokens: ${times.map((t) => t.toFixed(2)).join(', ')} s per step`);
  }
}
