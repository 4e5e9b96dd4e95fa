// The attention GRN's WGSL kernels (q k^T, row ranks, head-summed column ranks, exact group sums)
// through Dawn on SwiftShader, against scGPT's numbers (../shared/fixtures/scgpt-grn) and the CPU
// reference. Shapes stay small for SwiftShader's sake: the fixture's (M 49, 4 heads) and one
// ranking at M 257 on synthetic scores (a length padded to 512; bench/grn-attention.ts runs M 1201).
import * as tf from '@tensorflow/tfjs-core';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dataset } from '../src/io/types.ts';
import type { LoadedModel } from '../src/model/bundle.ts';
import { TfjsEncoder, initTfjsWebGPU } from '../src/model/encoder-tfjs.ts';
import { attentionGrn, groupMean } from '../src/model/grn/attention-grn.ts';
import { groupCells } from '../src/model/grn/groups.ts';
import { ColumnRankSumProgram } from '../src/model/grn/kernels/column-rank.ts';
import { RowRankProgram } from '../src/model/grn/kernels/row-rank.ts';
import { headRankSums } from '../src/model/grn/rank-normalize.ts';
import { headRankSumsWebGPU, rawScoresWebGPU, webgpuRanker } from '../src/model/grn/ranker-webgpu.ts';
import { GROUP_A, GROUP_B } from '../src/model/grn/ranker.ts';
import { mulberry32 } from '../src/model/random.ts';
import { installNodeWebGPU } from '../src/model/node-gpu.ts';
import { expectTargetsMatch, grnExpected, openGrnFixture, type GrnManifest } from './grn-fixture.ts';
import { maxAbsDiff } from './model-fixtures.ts';

let ds: Dataset;
let model: LoadedModel;
let m: GrnManifest;
let enc: TfjsEncoder;

beforeAll(async () => {
  await installNodeWebGPU();
  const ok = await initTfjsWebGPU();
  if (!ok) throw new Error('no WebGPU adapter in Node: run with LD_LIBRARY_PATH=/usr/lib/chromium VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json (make unit does)');
  ({ ds, model, m } = await openGrnFixture());
  enc = new TfjsEncoder(model.weights, 'fused');
}, 60_000);
afterAll(() => {
  enc?.dispose();
  ds?.close();
});

describe('attention GRN on WebGPU matches scGPT on the fixture', () => {
  it('raw scores of cell 0 within 1e-4 relative; rank normalisation of cells 0 and 1 equal to scGPT and the CPU', async () => {
    const M = m.M;
    const ids = grnExpected('gene_ids').data as Int32Array;
    const values = grnExpected('values').data as Float32Array;
    const raw = await rawScoresWebGPU(enc, ids.subarray(0, 2 * M), values.subarray(0, 2 * M), 2, M, -1);
    const want = grnExpected('raw_scores_first_cell').data;
    let worst = 0;
    for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(raw[i] - want[i]) / Math.max(1, Math.abs(want[i])));
    expect(worst).toBeLessThan(1e-4);
    const sums = await headRankSumsWebGPU(enc, ids.subarray(0, 2 * M), values.subarray(0, 2 * M), 2, M, -1);
    const rn = grnExpected('rank_normalized_first_cell').data;
    expect(Array.from(sums.subarray(0, M * M))).toEqual(Array.from(rn, (v) => Math.round(v * m.heads * M)));
    // Cell 1 against the CPU ranking of the GPU's own scores: the kernels rank exactly as the reference.
    const cell1 = raw.subarray(m.heads * M * M);
    expect(Array.from(sums.subarray(M * M))).toEqual(Array.from(headRankSums(cell1, m.heads, M)));
  }, 120_000);

  it('group means of scGPT\'s tokens within 1e-6 (batches of 7, the last padded); top targets within 1e-6, ties interchangeable', async () => {
    const M = m.M;
    const ids = grnExpected('gene_ids').data as Int32Array;
    const values = grnExpected('values').data as Float32Array;
    const A = groupCells(ds, m.group_col, m.group_A);
    const B = groupCells(ds, m.group_col, m.group_B);
    const ranker = webgpuRanker(enc, 'test', -1, 7);
    expect(ranker.batchSize(M)).toBe(7);
    for (let c = 0; c < ds.nObs; c += 7) {
      const k = Math.min(7, ds.nObs - c);
      const groups = Uint8Array.from({ length: k }, (_, i) => (A.includes(c + i) ? GROUP_A : 0) | (B.includes(c + i) ? GROUP_B : 0));
      await ranker.add(ids.subarray(c * M, (c + k) * M), values.subarray(c * M, (c + k) * M), groups, k, M);
    }
    const sums = await ranker.sums();
    ranker.dispose();
    const r = { panel: m.panel, m: M, meanA: groupMean(sums.a, m.heads, M, A.length), meanB: groupMean(sums.b, m.heads, M, B.length) };
    const [ea, eb] = [grnExpected('attn_rank_mean_A').data, grnExpected('attn_rank_mean_B').data];
    expect(maxAbsDiff(r.meanA, ea)).toBeLessThan(1e-6);
    expect(maxAbsDiff(r.meanB, eb)).toBeLessThan(1e-6);
    expectTargetsMatch(r);
  }, 240_000);

  it('attentionGrn with backend webgpu equals the CPU path bit for bit (a cell in both groups)', async () => {
    const opts = { cellsA: Int32Array.from([0, 1, 13]), cellsB: Int32Array.from([13, 14]), panel: m.panel, countsKey: 'X', seed: 4 };
    const gpu = await attentionGrn(ds, model, { ...opts, backend: 'webgpu', encoder: enc });
    const cpu = await attentionGrn(ds, model, { ...opts, backend: 'cpu' });
    expect(gpu.backend).toMatch(/^WebGPU/);
    expect([gpu.nA, gpu.nB]).toEqual([3, 2]);
    expect(Array.from(gpu.meanA)).toEqual(Array.from(cpu.meanA));
    expect(Array.from(gpu.meanB)).toEqual(Array.from(cpu.meanB));
  }, 240_000);

  it('ranks rows and columns at M 257 (a padded bitonic sort) with ties by position', async () => {
    const M = 257;
    const H = 2;
    const u = mulberry32(5);
    // Few distinct values, so most entries tie and only the positions order them.
    const scores = Float32Array.from({ length: H * M * M }, () => Math.floor(u() * 7) - 3 + (u() < 0.01 ? -0 : 0));
    const s = tf.tensor4d(scores, [1, H, M, M]);
    const backend = tf.backend() as unknown as WebGPUBackend;
    const rows = tf.engine().makeTensorFromTensorInfo(backend.runWebGPUProgram(new RowRankProgram(1, M, H), [s], 'int32'));
    const cols = tf.engine().makeTensorFromTensorInfo(backend.runWebGPUProgram(new ColumnRankSumProgram(1, M, H), [rows], 'int32'));
    const got = (await cols.data()) as Int32Array;
    tf.dispose([s, rows, cols]);
    expect(Array.from(got)).toEqual(Array.from(headRankSums(scores, H, M)));
  }, 240_000);
});
