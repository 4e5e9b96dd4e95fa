// scGPT's classifier head on tfjs's WebGPU backend (Dawn in Node; SwiftShader in CI, see the
// Makefile's GPU_ENV): the PyTorch fixture's steps, and annotation agreeing with the cpu backend's.
// Tiny shapes: SwiftShader runs on the CPU.
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_HEAD_PARAMS, headAcross } from '../src/analysis/scgpt-head.ts';
import { openPaths } from '../src/io/node.ts';
import { cpuEncoder } from '../src/model/embed.ts';
import { initTfjsWebGPU } from '../src/model/encoder-tfjs.ts';
import { installNodeWebGPU } from '../src/model/node-gpu.ts';
import { loadModelDir } from '../src/model/node-model.ts';
import type { ScGPTWeights } from '../src/model/weights.ts';
import { fixturePath, loadWeights } from './model-fixtures.ts';
import { fixtureLayerInputs, frozenParity, unfreezeParity } from './scgpt-head-fixture.ts';

let tiny: ScGPTWeights;

beforeAll(async () => {
  tiny = await loadWeights('tiny');
  await installNodeWebGPU();
  if (!(await initTfjsWebGPU())) throw new Error('no WebGPU adapter in Node: run with LD_LIBRARY_PATH=/usr/lib/chromium VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json (make unit does)');
}, 60_000);
afterAll(() => tf.setBackend('cpu'));

describe('classifier head on tfjs webgpu', () => {
  it('matches PyTorch: frozen encoder, 3 Adam steps and weight decay', async () => {
    expect(tf.getBackend()).toBe('webgpu');
    await frozenParity(tiny);
  }, 120_000);

  it('matches PyTorch: last layer unfrozen, 2 steps (whole batches: each new shape is a new pipeline on SwiftShader)', async () => {
    await unfreezeParity(tiny, fixtureLayerInputs(tiny), [1e9]);
  }, 240_000);

  it('annotation trains and predicts on WebGPU as on the CPU backend', async () => {
    // The layer inputs come from the float64 CPU encoder: the fused WebGPU encoder is checked by
    // model-webgpu.test.ts and runs at a fraction of a cell a second on SwiftShader.
    const model = await loadModelDir(fixturePath('tiny', 'checkpoint'));
    const ds = await openPaths([fixturePath('tiny', 'cells.h5ad')]);
    const params = { ...DEFAULT_HEAD_PARAMS, labelColumn: 'bulk_labels', epochs: 1, lr: 1e-3, batchSize: 16, unfreezeLast: true, seed: 2 };
    try {
      const gpu = await headAcross(ds, ds, model, cpuEncoder(model), params);
      expect(gpu.report.backend).toBe('webgpu');
      await tf.setBackend('cpu');
      const cpu = await headAcross(ds, ds, model, cpuEncoder(model), params);
      expect(cpu.report.backend).toBe('cpu');
      let worst = 0;
      for (let i = 0; i < cpu.probabilities.length; i++) worst = Math.max(worst, Math.abs(cpu.probabilities[i] - gpu.probabilities[i]));
      expect(worst).toBeLessThan(1e-4);
    } finally {
      await tf.setBackend('webgpu');
      ds.close();
    }
  }, 300_000);
});
