// The WebGPU encoder (tfjs-webgpu + our WGSL kernels) through Dawn in Node, on SwiftShader in CI
// (see the Makefile for the environment it needs). SwiftShader is a CPU implementation, so the
// real-width check uses one cell.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { l2Normalize } from '../src/model/encoder-cpu.ts';
import { TfjsEncoder, initTfjsWebGPU } from '../src/model/encoder-tfjs.ts';
import { installNodeWebGPU } from '../src/model/node-gpu.ts';
import { expected, fixtureTokens, loadWeights, maxAbsDiff } from './model-fixtures.ts';

beforeAll(async () => {
  await installNodeWebGPU();
  const ok = await initTfjsWebGPU();
  if (!ok) throw new Error('no WebGPU adapter in Node: run with LD_LIBRARY_PATH=/usr/lib/chromium VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json (make unit does)');
}, 60_000);

const encoders: TfjsEncoder[] = [];
afterAll(() => encoders.forEach((e) => e.dispose()));

describe.each(['fused', 'tfjs'] as const)('WebGPU encoder (%s kernels) matches scGPT on the tiny fixture', (kernels) => {
  it('hidden states, embeddings, last-layer attention, gene token embeddings', async () => {
    const w = await loadWeights('tiny', kernels === 'fused' ? 'checkpoint_flash' : 'checkpoint');
    const enc = new TfjsEncoder(w, kernels);
    encoders.push(enc);
    const t = fixtureTokens('tiny');
    const d = w.config.dModel;
    const L = t.seqLen;
    const r = await enc.encode({ ids: t.ids, values: t.values, lengths: t.lengths, batch: t.nCells, seqLen: L }, { captureHidden: true, attentionLayer: -1 });
    const emb = expected('tiny', 'cell_embedding_l2');
    for (let c = 0; c < t.nCells; c++) {
      expect(maxAbsDiff(l2Normalize(r.cls.slice(c * d, (c + 1) * d)), emb.data.subarray(c * d)), `cell ${c}`).toBeLessThan(1e-4);
    }
    const hid = expected('tiny', 'hidden_states_first_cells');
    const k = hid.shape[1];
    for (let l = 0; l < hid.shape[0]; l++) {
      for (let c = 0; c < k; c++) {
        expect(maxAbsDiff(r.hidden![l].subarray(c * L * d), hid.data.subarray(((l * k + c) * L) * d), t.lengths[c] * d), `layer ${l} cell ${c}`).toBeLessThan(1e-4);
      }
    }
    const att = expected('tiny', 'last_layer_attention_mean_heads_first_cells');
    for (let c = 0; c < att.shape[0]; c++) {
      const n = t.lengths[c];
      let worst = 0;
      for (let i = 0; i < n; i++) worst = Math.max(worst, maxAbsDiff(r.attentionMean!.subarray((c * L + i) * L), att.data.subarray((c * L + i) * L), n));
      expect(worst).toBeLessThan(1e-5);
    }
    const gte = expected('tiny', 'gene_token_embedding');
    const g = await enc.geneTokenEmbeddings(Int32Array.from({ length: gte.shape[0] }, (_, i) => i));
    expect(maxAbsDiff(g, gte.data)).toBeLessThan(1e-5);
  }, 480_000);
});

describe('WebGPU encoder at real widths (wide fixture: d 512, 8 heads, 1200 tokens)', () => {
  it('first cell: every hidden state and the embedding', async () => {
    const w = await loadWeights('wide');
    const enc = new TfjsEncoder(w, 'fused');
    encoders.push(enc);
    const t = fixtureTokens('wide');
    const L = t.seqLen;
    const d = w.config.dModel;
    const r = await enc.encode({ ids: t.ids.subarray(0, L), values: t.values.subarray(0, L), lengths: t.lengths.subarray(0, 1), batch: 1, seqLen: L }, { captureHidden: true });
    const hid = expected('wide', 'hidden_states_first_cells');
    for (let l = 0; l < hid.shape[0]; l++) {
      expect(maxAbsDiff(r.hidden![l], hid.data.subarray(l * hid.shape[1] * L * d), t.lengths[0] * d), `layer ${l}`).toBeLessThan(1e-4);
    }
    expect(maxAbsDiff(l2Normalize(r.cls), expected('wide', 'cell_embedding_l2').data, d)).toBeLessThan(1e-4);
  }, 400_000);
});
