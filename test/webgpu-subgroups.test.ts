// The subgroup path of the add+LayerNorm kernel and the workgroup-memory path it falls back to, both
// against float64 and against scGPT (the tiny parity fixture). SwiftShader (Dawn in Node) exposes
// `subgroups` with a fixed size of 4, so CI runs both; an adapter without them skips the subgroup half.
import * as tf from '@tensorflow/tfjs-core';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { l2Normalize } from '../src/model/encoder-cpu.ts';
import { TfjsEncoder, initTfjsWebGPU } from '../src/model/encoder-tfjs.ts';
import { AddLayerNormProgram } from '../src/model/kernels/add-layernorm.ts';
import { installNodeWebGPU } from '../src/model/node-gpu.ts';
import { kernelSubgroupSize, registerTfjsWebGPU, setSubgroupKernels } from '../src/model/tfjs-webgpu-device.ts';
import { rng } from '../bench/synthetic.ts';
import { expected, fixtureTokens, loadWeights, maxAbsDiff } from './model-fixtures.ts';

let adapterSubgroups = false;
let adapterSize: number | null = null;
beforeAll(async () => {
  await installNodeWebGPU();
  await registerTfjsWebGPU();
  if (!(await initTfjsWebGPU())) throw new Error('no WebGPU adapter in Node: run with LD_LIBRARY_PATH=/usr/lib/chromium VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json (make unit does)');
  // The adapter's word, not the device's: a device made without asking (tfjs's own) must fail here.
  const adapter = await navigator.gpu.requestAdapter({ powerPreference: 'high-performance' });
  const info = adapter?.info as (GPUAdapterInfo & { subgroupMinSize?: number; subgroupMaxSize?: number }) | undefined;
  adapterSubgroups = !!adapter?.features.has('subgroups') && !!info?.subgroupMinSize && info.subgroupMinSize === info.subgroupMaxSize;
  adapterSize = adapterSubgroups ? info!.subgroupMinSize! : null;
}, 60_000);
afterAll(() => setSubgroupKernels(true));

function layerNorm64(a: Float32Array, b: Float32Array | null, g: Float32Array, beta: Float32Array, rows: number, d: number, eps: number): Float64Array {
  const out = new Float64Array(rows * d);
  for (let r = 0; r < rows; r++) {
    const x = Array.from({ length: d }, (_, k) => a[r * d + k] + (b ? b[r * d + k] : 0));
    const mean = x.reduce((s, v) => s + v, 0) / d;
    const v = x.reduce((s, u) => s + (u - mean) ** 2, 0) / d;
    for (let k = 0; k < d; k++) out[r * d + k] = ((x[k] - mean) / Math.sqrt(v + eps)) * g[k] + beta[k];
  }
  return out;
}

async function runLayerNorm(program: AddLayerNormProgram, inputs: tf.Tensor[], rows: number): Promise<Float32Array> {
  const info = (tf.backend() as unknown as WebGPUBackend).runWebGPUProgram(program as never, inputs, 'float32', [{ type: 'int32', data: [rows] }]);
  const t = tf.engine().makeTensorFromTensorInfo(info);
  const out = (await t.data()) as Float32Array;
  t.dispose();
  return out;
}

describe('add+LayerNorm kernel', () => {
  it('the device asked for subgroups where the adapter has them, and the kernel takes its size by default', () => {
    if (!adapterSubgroups) {
      expect(kernelSubgroupSize()).toBeNull();
      return;
    }
    const S = kernelSubgroupSize();
    expect((tf.backend() as unknown as WebGPUBackend).device.features.has('subgroups')).toBe(true);
    expect(S).toBe(adapterSize);
    expect(new AddLayerNormProgram(3, 64, 1e-5, true).workgroupSize[0]).toBe(S);
    setSubgroupKernels(false);
    expect(new AddLayerNormProgram(3, 64, 1e-5, true).workgroupSize[0]).toBe(64);
    setSubgroupKernels(true);
  });

  it.each([
    [64, true],
    [512, false],
    [100, true],
  ])('d %i (residual %s): both paths within 2e-6 of float64', async (d, residual) => {
    const rows = 37;
    const r = rng(d);
    const rand = (n: number, s: number, o = 0) => Float32Array.from({ length: n }, () => o + (r() * 2 - 1) * s);
    const [a, b, g, beta] = [rand(rows * d, 3, 0.5), rand(rows * d, 1), rand(d, 0.5, 1), rand(d, 0.2)];
    const want = layerNorm64(a, residual ? b : null, g, beta, rows, d, 1e-5);
    const tensors = residual ? [tf.tensor2d(a, [rows, d]), tf.tensor2d(b, [rows, d]), tf.tensor1d(g), tf.tensor1d(beta)] : [tf.tensor2d(a, [rows, d]), tf.tensor1d(g), tf.tensor1d(beta)];
    const paths: (number | null)[] = [null];
    if (adapterSubgroups) paths.push(kernelSubgroupSize());
    const outs: Float32Array[] = [];
    for (const S of paths) {
      const got = await runLayerNorm(new AddLayerNormProgram(rows, d, 1e-5, residual, S), tensors, rows);
      expect(maxAbsDiff(got, want), `subgroup size ${S ?? 'none'}`).toBeLessThan(2e-6);
      outs.push(got);
    }
    if (outs.length === 2) expect(maxAbsDiff(outs[0], outs[1])).toBeLessThan(2e-6);
    tf.dispose(tensors);
  });
});

describe.each([true, false])('fused encoder with subgroup kernels %s', (on) => {
  it('matches scGPT on the tiny fixture (embeddings and every hidden state)', async () => {
    setSubgroupKernels(on);
    const w = await loadWeights('tiny', 'checkpoint_flash');
    const enc = new TfjsEncoder(w, 'fused');
    // The first two cells only, repacked to their own length: SwiftShader runs on the CPU.
    const t = fixtureTokens('tiny');
    const n = 2;
    const d = w.config.dModel;
    const L = Math.max(...t.lengths.subarray(0, n));
    const ids = new Int32Array(n * L);
    const values = new Float32Array(n * L);
    for (let c = 0; c < n; c++) {
      ids.set(t.ids.subarray(c * t.seqLen, c * t.seqLen + L), c * L);
      values.set(t.values.subarray(c * t.seqLen, c * t.seqLen + L), c * L);
    }
    const r = await enc.encode({ ids, values, lengths: t.lengths.slice(0, n), batch: n, seqLen: L }, { captureHidden: true });
    enc.dispose();
    const emb = expected('tiny', 'cell_embedding_l2');
    for (let c = 0; c < n; c++) expect(maxAbsDiff(l2Normalize(r.cls.slice(c * d, (c + 1) * d)), emb.data.subarray(c * d)), `cell ${c}`).toBeLessThan(1e-4);
    const hid = expected('tiny', 'hidden_states_first_cells');
    const k = hid.shape[1];
    for (let l = 0; l < hid.shape[0]; l++) {
      for (let c = 0; c < Math.min(k, n); c++) expect(maxAbsDiff(r.hidden![l].subarray(c * L * d), hid.data.subarray((l * k + c) * t.seqLen * d), t.lengths[c] * d), `layer ${l} cell ${c}`).toBeLessThan(1e-4);
    }
    expect(new AddLayerNormProgram(1, d, 1e-5, false).workgroupSize[0]).toBe(on && adapterSubgroups ? kernelSubgroupSize() : 64);
    setSubgroupKernels(true);
  }, 300_000);
});
