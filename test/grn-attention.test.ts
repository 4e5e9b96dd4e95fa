// The attention GRN on the CPU against scGPT's own numbers (../shared/fixtures/scgpt-grn), the
// `scweb grn attention` CLI on the fixture and on real data, and its errors.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.ts';
import { parseNpy } from '../src/io/npy.ts';
import type { Dataset } from '../src/io/types.ts';
import type { LoadedModel } from '../src/model/bundle.ts';
import { attentionGrn, groupMean, type AttentionGrnResult } from '../src/model/grn/attention-grn.ts';
import { cpuRanker, GROUP_A, GROUP_B } from '../src/model/grn/ranker.ts';
import { forEachCellRow, grnInput } from '../src/model/grn/cell-rows.ts';
import { groupCells } from '../src/model/grn/groups.ts';
import { choosePanel, datasetGenes, resolvePanel } from '../src/model/grn/panel.ts';
import { panelPositions, panelTokens } from '../src/model/grn/panel-tokens.ts';
import { headRankSums } from '../src/model/grn/rank-normalize.ts';
import { rawScoresCpu } from '../src/model/grn/scores-cpu.ts';
import { topTargets } from '../src/model/grn/targets.ts';
import { loadModelDir } from '../src/model/node-model.ts';
import { expectTargetsMatch, fixtureDraws, GRN_CELLS, GRN_CHECKPOINT, grnExpected, openGrnFixture, type GrnManifest } from './grn-fixture.ts';
import { shared } from './helpers.ts';
import { maxAbsDiff } from './model-fixtures.ts';

let ds: Dataset;
let model: LoadedModel;
let m: GrnManifest;
let A: Int32Array;
let B: Int32Array;

beforeAll(async () => {
  ({ ds, model, m } = await openGrnFixture());
  A = groupCells(ds, m.group_col, m.group_A);
  B = groupCells(ds, m.group_col, m.group_B);
});
afterAll(() => ds?.close());

/** The fixture's panel resolved, scGPT's draws, and empty [N, M] token arrays to fill. */
function tokenSetup() {
  const input = grnInput(ds, 'X');
  const panel = resolvePanel(ds, datasetGenes(ds, input, model), m.panel);
  return { input, panel, positions: panelPositions(panel, ds.nVars), ids: new Int32Array(ds.nObs * m.M), values: new Float32Array(ds.nObs * m.M), draws: fixtureDraws(m) };
}

/** The fixture's tokens recomputed: [N, M] ids and values. */
async function tokens(): Promise<{ ids: Int32Array; values: Float32Array }> {
  const { input, panel, positions, ids, values, draws } = tokenSetup();
  await forEachCellRow(ds, input, Int32Array.from({ length: ds.nObs }, (_, i) => i), (cell, indices, data) => {
    panelTokens(indices, data, panel, positions, model.weights.config.clsId, draws(cell), ids, values, cell * m.M);
  });
  return { ids, values };
}

describe('attention GRN matches scGPT on the fixture (CPU)', () => {
  it('panel: TFs, then the top-variance in-vocabulary genes over the two groups', async () => {
    const panel = await choosePanel(ds, model, { tfs: m.tfs, nHvg: m.panel.length - m.tfs.length, cellsA: A, cellsB: B, countsKey: 'X' });
    expect(panel).toEqual(m.panel);
    expect(Array.from(resolvePanel(ds, datasetGenes(ds, grnInput(ds, 'X'), model), panel).tokenIds)).toEqual(m.panel_token_ids);
  });

  it('tokens equal gene_ids.npy and values.npy (cls value 0, zero genes included, bins with the draws injected)', async () => {
    // Fed scGPT's own log-normalised values, tokens are exact.
    const { input, panel, positions, ids, values, draws } = tokenSetup();
    m.binning.forEach((b, c) => {
      const indices = Uint32Array.from(b.nonzero_positions, (p) => panel.columns[p]);
      panelTokens(indices, Float32Array.from(b.nonzero_values), panel, positions, model.weights.config.clsId, draws(c), ids, values, c * m.M);
    });
    const [wantIds, wantValues] = [grnExpected('gene_ids').data, grnExpected('values').data];
    expect(Array.from(ids)).toEqual(Array.from(wantIds));
    expect(Array.from(values)).toEqual(Array.from(wantValues));
    // From the file's counts: our normalize_total + log1p is within 2 float32 ulps of scanpy's,
    // so bins agree except where our rounding makes two values tie that scanpy's keeps an ulp
    // apart (one token of the 24 x 48: cell 9, panel gene 39, two jittered counts of one integer).
    const t = await tokens();
    expect(Array.from(t.ids)).toEqual(Array.from(wantIds));
    const off: number[] = [];
    t.values.forEach((v, e) => {
      if (v !== wantValues[e]) off.push(e);
    });
    expect(off.map((e) => [Math.floor(e / m.M), e % m.M])).toEqual([[9, 40]]);
    let recorded = 0;
    await forEachCellRow(ds, input, Int32Array.from({ length: ds.nObs }, (_, i) => i), (cell, indices, data) => {
      const b = m.binning[cell];
      b.nonzero_positions.forEach((p, k) => {
        const v = data[Array.from(indices).indexOf(panel.columns[p])];
        expect(Math.abs(v - b.nonzero_values[k])).toBeLessThanOrEqual(5e-7);
        recorded++;
      });
    });
    expect(recorded).toBeGreaterThan(500);
  });

  it('raw scores of cell 0 within 1e-4 relative; rank normalisation of cell 0 equal', async () => {
    const t = await tokens();
    const M = m.M;
    const raw = rawScoresCpu(model.weights, t.ids.subarray(0, M), t.values.subarray(0, M), M, -1);
    const want = grnExpected('raw_scores_first_cell');
    expect(want.shape).toEqual([m.heads, M, M]);
    let worst = 0;
    for (let i = 0; i < raw.length; i++) worst = Math.max(worst, Math.abs(raw[i] - want.data[i]) / Math.max(1, Math.abs(want.data[i])));
    expect(worst).toBeLessThan(1e-4);
    const rn = grnExpected('rank_normalized_first_cell');
    const H = m.heads;
    for (const [name, scores] of [['ours', raw], ['scGPT raw scores', want.data as Float32Array]] as const) {
      const sums = headRankSums(scores, H, M);
      // Rank sums are integers: the fixture's mean over heads times heads * M gives them back.
      expect(Array.from(sums), name).toEqual(Array.from(rn.data, (v) => Math.round(v * H * M)));
      for (let e = 0; e < sums.length; e++) expect(Math.abs(sums[e] / (H * M) - rn.data[e])).toBeLessThan(1e-6);
    }
  });

  let cpu: AttentionGrnResult;
  it('group means within 1e-6 and top targets within 1e-6 (ties interchangeable), from scGPT\'s tokens', async () => {
    const M = m.M;
    const ids = grnExpected('gene_ids').data as Int32Array;
    const values = grnExpected('values').data as Float32Array;
    const ranker = cpuRanker(model.weights, -1);
    const groups = Uint8Array.from({ length: ds.nObs }, (_, c) => (A.includes(c) ? GROUP_A : 0) | (B.includes(c) ? GROUP_B : 0));
    await ranker.add(ids, values, groups, ds.nObs, M);
    const sums = await ranker.sums();
    const r = { panel: m.panel, m: M, meanA: groupMean(sums.a, m.heads, M, A.length), meanB: groupMean(sums.b, m.heads, M, B.length) };
    const [ea, eb] = [grnExpected('attn_rank_mean_A').data, grnExpected('attn_rank_mean_B').data];
    expect(maxAbsDiff(r.meanA, ea)).toBeLessThan(1e-6);
    expect(maxAbsDiff(r.meanB, eb)).toBeLessThan(1e-6);
    expectTargetsMatch(r);
  });

  it('attentionGrn end to end with the draws injected: group B exact, group A off only by cell 9\'s one token', async () => {
    cpu = await attentionGrn(ds, model, { cellsA: A, cellsB: B, panel: m.panel, backend: 'cpu', countsKey: 'X', uniformFor: fixtureDraws(m) });
    expect([cpu.m, cpu.nA, cpu.nB, cpu.layer, cpu.heads]).toEqual([m.M, 12, 12, 2, 4]);
    expect(maxAbsDiff(cpu.meanB, grnExpected('attn_rank_mean_B').data)).toBeLessThan(1e-6);
    // One cell of twelve with one token two bins apart moves group A's means by at most a little.
    expect(maxAbsDiff(cpu.meanA, grnExpected('attn_rank_mean_A').data)).toBeLessThan(5e-3);
  });

  it('reports progress up to every cell and stops on cancel', async () => {
    const seen: number[] = [];
    await attentionGrn(ds, model, { cellsA: A, cellsB: B, panel: m.panel.slice(0, 10), backend: 'cpu', countsKey: 'X', onProgress: (done, total) => seen.push(done / total) });
    expect(seen[seen.length - 1]).toBe(1);
    const ac = new AbortController();
    const run = attentionGrn(ds, model, { cellsA: A, cellsB: B, panel: m.panel, backend: 'cpu', countsKey: 'X', signal: ac.signal, onProgress: () => ac.abort() });
    await expect(run).rejects.toThrow(/cancelled by the user/);
  });

  it('targets by group A or B rank that group\'s column; an unknown TF is refused', () => {
    const byA = topTargets(cpu, 'SPI1', 5, 'a');
    expect(byA.map((t) => t.rank)).toEqual([1, 2, 3, 4, 5]);
    for (let i = 1; i < byA.length; i++) expect(byA[i].scoreA).toBeLessThanOrEqual(byA[i - 1].scoreA);
    expect(byA.every((t) => t.target !== 'SPI1')).toBe(true);
    expect(() => topTargets(cpu, 'NOPE1', 5)).toThrow(/"NOPE1" is not in the GRN's gene panel/);
  });
});


describe('scweb grn attention', () => {
  const dir = mkdtempSync(join(tmpdir(), 'scweb-grn-'));
  const csvRows = (file: string) => readFileSync(file, 'utf8').trim().split('\n').map((l) => l.split(','));

  it('on the fixture: targets.csv, mean_A/B.npy and panel.txt agree with the API with the same seed', async () => {
    const out = join(dir, 'targets.csv');
    const args = ['grn', 'attention', GRN_CELLS, '--model', GRN_CHECKPOINT, '--groupby', 'bulk_labels', '--groups', `${m.group_A},${m.group_B}`, '--tf', m.tfs.join(','), '--n-hvg', '45', '--counts', 'X', '--top', '7', '--backend', 'cpu', '--seed', '3', '--out', out, '--save-mean', join(dir, 'mean')];
    expect(await main(args)).toBe(0);
    const rows = csvRows(out);
    expect(rows[0]).toEqual(['tf', 'rank', 'target', 'score', 'score_a', 'score_b']);
    expect(rows.length).toBe(1 + 3 * 7);
    expect(readFileSync(join(dir, 'mean', 'panel.txt'), 'utf8').trim().split('\n')).toEqual(m.panel);
    const meanA = parseNpy(readFileSync(join(dir, 'mean', 'mean_A.npy')));
    expect(meanA.shape).toEqual([m.M, m.M]);
    const api = await attentionGrn(ds, model, { cellsA: A, cellsB: B, panel: m.panel, backend: 'cpu', countsKey: 'X', seed: 3 });
    expect(Array.from(meanA.data)).toEqual(Array.from(api.meanA));
    const want = m.tfs.flatMap((tf) => topTargets(api, tf, 7).map((t) => [tf, String(t.rank), t.target, String(t.score), String(t.scoreA), String(t.scoreB)]));
    expect(rows.slice(1)).toEqual(want);
    // Seeded draws differ from scGPT's recorded ones, so only the bins of tied values may move: the means stay close.
    let worst = 0;
    const ea = grnExpected('attn_rank_mean_A').data;
    for (let e = 0; e < ea.length; e++) worst = Math.max(worst, Math.abs(api.meanA[e] - ea[e]));
    expect(worst).toBeLessThan(0.2);
  });

  it('--panel FILE on real data (pbmc68k layers/counts, two small clusters, layer 0)', async () => {
    const panelFile = join(dir, 'panel.txt');
    writeFileSync(panelFile, 'CST3\nLYZ\nMS4A1\nNKG7\nGNLY\nGZMB\nHLA-DRB1\nCCL5\nIL7R\n');
    const out = join(dir, 'real.csv');
    const data = shared('data/pbmc68k_reduced_with_counts.h5ad');
    const code = await main(['grn', 'attention', data, '--model', GRN_CHECKPOINT, '--groupby', 'bulk_labels', '--groups', 'CD34+,CD56+ NK', '--tf', 'SPI1', '--panel', panelFile, '--layer', '0', '--top', '3', '--backend', 'cpu', '--out', out]);
    expect(code).toBe(0);
    const rows = csvRows(out);
    expect(rows.slice(1).map((r) => r[1])).toEqual(['1', '2', '3']);
    for (const r of rows.slice(1)) expect(Number(r[3])).toBeCloseTo(Number(r[4]) - Number(r[5]), 6);
  });

  it('clear errors: unknown TF, unknown group, a group with no cells, a TF outside the vocabulary', async () => {
    const base = ['grn', 'attention', GRN_CELLS, '--model', GRN_CHECKPOINT, '--groupby', 'bulk_labels', '--counts', 'X', '--backend', 'cpu', '--out', join(dir, 'x.csv')];
    const run = async (extra: string[]) => {
      const errs: string[] = [];
      const orig = console.error;
      console.error = (s: string) => errs.push(String(s));
      try {
        return { code: await main([...base, ...extra]), err: errs.join('\n') };
      } finally {
        console.error = orig;
      }
    };
    let r = await run(['--groups', `${m.group_A},${m.group_B}`, '--tf', 'SPI1,NOTAGENE']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/gene "NOTAGENE" is not in the dataset's genes \(var\/feature_name\)/);
    r = await run(['--groups', `${m.group_A},Martians`, '--tf', 'SPI1']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/obs\/bulk_labels has no value "Martians" \(values: CD14\+ Monocyte, CD19\+ B\)/);
    r = await run(['--groups', `${m.group_A},Dendritic`, '--tf', 'SPI1']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/"Dendritic" is a category of obs\/bulk_labels but no cell has it/);
    r = await run(['--groups', `${m.group_A}`, '--tf', 'SPI1']);
    expect(r.code).toBe(2);
    const notInVocab = (await datasetGenesNotInVocab())[0];
    r = await run(['--groups', `${m.group_A},${m.group_B}`, '--tf', notInVocab]);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`gene "${notInVocab}" is not in the model's vocabulary`);
    await expect(attentionGrn(ds, model, { cellsA: A, cellsB: new Int32Array(0), panel: m.panel, backend: 'cpu' })).rejects.toThrow(/group B has no cells/);
  });
});

async function datasetGenesNotInVocab(): Promise<string[]> {
  const g = datasetGenes(ds, grnInput(ds, 'X'), await loadModelDir(GRN_CHECKPOINT));
  return g.names.filter((_, i) => g.ids[i] < 0);
}
