// Annotation by scGPT's classifier head end to end on the parity fixture's checkpoint and its 16
// real cells (tiny shapes): the pipeline gives what the head trained directly on PyTorch's <cls>
// outputs gives; probabilities, confidence, 'unassigned'; the held-back share; the last layer
// trained from cached or recomputed inputs; cancel; refusals; and `scweb annotate --method scgpt-head`,
// its head saved (--head-out) and used again (--head).
//
// The checkpoint's weights are random: its <cls> outputs of different cells correlate at 0.999,
// and scGPT's own head (PyTorch, same recipe) learns no more than the label frequencies from
// them. So these tests check the computation, not accuracy (test/scgpt-head.test.ts shows the
// head learning separable inputs).
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { stratifiedHoldout } from '../src/analysis/annotate.ts';
import { labelColumn } from '../src/analysis/mapping.ts';
import type { HeadParams } from '../src/analysis/scgpt-head.ts';
import { DEFAULT_HEAD_PARAMS, headAcross, headWithin } from '../src/analysis/scgpt-head.ts';
import { main } from '../src/cli/main.ts';
import { CancelledError } from '../src/io/errors.ts';
import { openPaths } from '../src/io/node.ts';
import type { CategoricalColumn, Dataset, NumericColumn } from '../src/io/types.ts';
import type { LoadedModel } from '../src/model/bundle.ts';
import { ClsHead, SCGPT_HEAD_DEFAULTS, predictHead, trainHead } from '../src/model/cls-train.ts';
import { cpuEncoder, wasmEncoder } from '../src/model/embed.ts';
import { WasmEncoder } from '../src/model/encoder-wasm.ts';
import { readHeadFile, writeHeadFile } from '../src/model/head-file.ts';
import { loadModelDir } from '../src/model/node-model.ts';
import { initNodeWasm } from '../src/model/node-wasm.ts';
import { expected, fixturePath } from './model-fixtures.ts';

const CELLS = fixturePath('tiny', 'cells.h5ad');
/** scGPT's own binning draws: with them our tokens are exactly the ones it fed its model. */
const draws = JSON.parse(readFileSync(fixturePath('tiny', 'expected', 'binning.json'), 'utf8')).rands_per_cell as number[][];
const scgptDraws = (cell: number) => {
  let i = 0;
  return () => draws[cell][i++];
};
const CKPT = fixturePath('tiny', 'checkpoint');

let model: LoadedModel;
let ds: Dataset;

beforeAll(async () => {
  model = await loadModelDir(CKPT);
  ds = await openPaths([CELLS]);
  await tf.setBackend('cpu');
});

const params = (extra: Partial<HeadParams> = {}): HeadParams => ({ ...DEFAULT_HEAD_PARAMS, labelColumn: 'bulk_labels', epochs: 3, lr: 1e-3, batchSize: 4, holdout: 0.25, minConfidence: 0.2, seed: 1, ...extra });

describe('scGPT head annotation (tiny checkpoint, 16 real cells)', () => {
  it('is the head trained on PyTorch <cls> outputs: same split, order and probabilities; columns follow them', async () => {
    const epochs: number[] = [];
    const fractions: number[] = [];
    const r = await headAcross(ds, ds, model, cpuEncoder(model), params(), { uniformFor: scgptDraws, onProgress: (f, _m, e) => (fractions.push(f), e && epochs.push(e.epoch)) });
    expect(epochs).toEqual([1, 2, 3]);
    expect(fractions.every((f, i) => f >= 0 && f <= 1 && (i === 0 || f >= fractions[i - 1] - 1e-12))).toBe(true);

    // The same training from the fixture's <cls> outputs (scGPT's, PyTorch) by the model-level API.
    const col = labelColumn(ds, 'bulk_labels');
    const C = col.categories.length;
    const held = stratifiedHoldout(col.codes, 0.25, 1);
    const rows = (v: number) => Int32Array.from(col.codes.keys()).filter((i) => held[i] === v);
    const cls = expected('tiny', 'cls_embedding').data as Float32Array;
    const d = 64;
    const pick = (idx: Int32Array) => ({ kind: 'cls' as const, n: idx.length, x: Float32Array.from({ length: idx.length * d }, (_, k) => cls[idx[Math.floor(k / d)] * d + (k % d)]) });
    const head = ClsHead.create(model.weights, C, { ...SCGPT_HEAD_DEFAULTS, epochs: 3, lr: 1e-3, batchSize: 4, seed: 1 });
    const [fit, hold] = [rows(0), rows(1)];
    const history = await trainHead(head, pick(fit), Int32Array.from(fit, (i) => col.codes[i]), { features: pick(hold), labels: Int32Array.from(hold, (i) => col.codes[i]) });
    const direct = await predictHead(head, { kind: 'cls', n: 16, x: cls });
    head.dispose();
    expect(r.report.nRef).toBe(16);
    expect(r.report.heldOut?.n).toBe(hold.length);
    expect(hold.length).toBeGreaterThan(0);
    r.report.history.forEach((h, e) => expect(Math.abs(h.trainLoss - history[e].trainLoss)).toBeLessThan(1e-5));
    expect(Array.from(r.queryCells)).toEqual(Array.from({ length: 16 }, (_, i) => i));
    let worst = 0;
    for (let i = 0; i < direct.length; i++) worst = Math.max(worst, Math.abs(direct[i] - r.probabilities[i]));
    expect(worst).toBeLessThan(1e-5);

    const [pred, conf] = r.columns as [CategoricalColumn, NumericColumn];
    expect(pred.name).toBe('predicted_bulk_labels');
    expect(pred.categories).toEqual([...col.categories, 'unassigned']);
    let unassigned = 0;
    for (let i = 0; i < 16; i++) {
      const p = r.probabilities.subarray(i * C, (i + 1) * C);
      expect(Math.abs(p.reduce((s, v) => s + v, 0) - 1)).toBeLessThan(1e-5);
      const best = p.indexOf(Math.max(...p));
      expect(conf.values[i]).toBeCloseTo(p[best], 6);
      if (p[best] >= 0.2) expect(pred.codes[i]).toBe(best);
      else {
        expect(pred.codes[i]).toBe(C);
        unassigned++;
      }
    }
    expect(r.report.summary.unassigned).toBe(unassigned);
  }, 120_000);

  it('same seed, same bits; the last layer trained from cached or recomputed inputs alike', async () => {
    const a = await headAcross(ds, ds, model, cpuEncoder(model), params({ epochs: 2 }));
    const b = await headAcross(ds, ds, model, cpuEncoder(model), params({ epochs: 2 }));
    expect(Array.from(b.probabilities)).toEqual(Array.from(a.probabilities));
    const u1 = await headAcross(ds, ds, model, cpuEncoder(model), params({ epochs: 2, unfreezeLast: true }));
    const u2 = await headAcross(ds, ds, model, cpuEncoder(model), params({ epochs: 2, unfreezeLast: true }), { cacheBytes: 0 });
    expect(Array.from(u2.probabilities)).toEqual(Array.from(u1.probabilities));
    expect(u1.report.unfreezeLast).toBe(true);
    // The last layer moved: predictions differ from the frozen run's.
    let diff = 0;
    for (let i = 0; i < a.probabilities.length; i++) diff = Math.max(diff, Math.abs(a.probabilities[i] - u1.probabilities[i]));
    expect(diff).toBeGreaterThan(1e-4);
  }, 180_000);

  it('within one dataset: a stratified half annotates the other, with accuracy and macro-F1; the labelled cells keep theirs', async () => {
    const r = await headWithin(ds, model, cpuEncoder(model), params({ reference: 'half', holdout: 0 }));
    const col = labelColumn(ds, 'bulk_labels');
    expect(r.report.nRef + r.report.nQuery).toBe(16);
    expect(r.report.heldOut).toBeNull();
    expect(r.report.accuracy).toBeGreaterThanOrEqual(0);
    expect(r.report.macroF1).toBeGreaterThanOrEqual(0);
    const pred = r.columns[0] as CategoricalColumn;
    const queried = new Set(r.queryCells);
    for (let i = 0; i < 16; i++) if (!queried.has(i)) expect(pred.codes[i]).toBe(col.codes[i]);
  }, 120_000);

  it('on the WASM encoder and tfjs wasm backend too', async () => {
    await initNodeWasm(1);
    const enc = new WasmEncoder(model.weights);
    try {
      const r = await headAcross(ds, ds, model, wasmEncoder(enc, 1), params({ epochs: 2, unfreezeLast: true }));
      expect(r.report.backend).toBe('wasm');
      const c = await headAcross(ds, ds, model, cpuEncoder(model), params({ epochs: 2, unfreezeLast: true }));
      let worst = 0;
      for (let i = 0; i < r.probabilities.length; i++) worst = Math.max(worst, Math.abs(r.probabilities[i] - c.probabilities[i]));
      expect(worst).toBeLessThan(1e-4);
    } finally {
      enc.dispose();
      await tf.setBackend('cpu');
    }
  }, 120_000);

  it('cancels between batches without leaking tensors; refuses what it cannot do', async () => {
    const before = tf.memory().numTensors;
    const ctrl = new AbortController();
    const run = headAcross(ds, ds, model, cpuEncoder(model), params({ epochs: 50 }), { signal: ctrl.signal, onProgress: (_f, _m, e) => e?.epoch === 1 && ctrl.abort() });
    await expect(run).rejects.toBeInstanceOf(CancelledError);
    expect(tf.memory().numTensors).toBe(before);
    await expect(headAcross(ds, ds, model, cpuEncoder(model), params({ labelColumn: 'phase', epochs: 1 }))).resolves.toBeTruthy();
    await expect(headAcross(ds, ds, model, cpuEncoder(model), params({ labelColumn: 'nope' }))).rejects.toThrow(/no obs column "nope"/);
    await expect(headWithin(ds, model, cpuEncoder(model), params())).rejects.toThrow(/every cell has a "bulk_labels" label/);
    await expect(headAcross(ds, ds, model, cpuEncoder(model), params({ lr: 0 }))).rejects.toThrow(/learning rate/);
  }, 120_000);
});

describe('scweb annotate --method scgpt-head', () => {
  it('writes the predictions (and with --probabilities one column per label) as CSV and .h5ad', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'scweb-head-'));
    const csv = join(dir, 'pred.csv');
    const common = [CELLS, '--reference', CELLS, '--label-col', 'bulk_labels', '--method', 'scgpt-head', '--model', CKPT, '--epochs', '2', '--lr', '1e-3', '--backend', 'cpu', '--threads', '1'];
    expect(await main(['annotate', ...common, '--out', csv, '--probabilities', '--min-confidence', '0'])).toBe(0);
    const rows = readFileSync(csv, 'utf8').trim().split('\n');
    const col = labelColumn(ds, 'bulk_labels');
    expect(rows[0]).toBe(['cell_id', 'predicted_bulk_labels', 'predicted_bulk_labels_confidence', ...col.categories.map((c) => `predicted_bulk_labels_prob_${c}`)].map((h) => (h.includes(',') ? `"${h}"` : h)).join(','));
    expect(rows.length).toBe(17);
    const out = join(dir, 'pred.h5ad');
    expect(await main(['annotate', ...common, '--unfreeze-last', '--out', out])).toBe(0);
    const back = await openPaths([out]);
    const pred = back.obs.columns.find((c) => c.name === 'predicted_bulk_labels') as CategoricalColumn;
    expect(pred.categories.at(-1)).toBe('unassigned');
    expect(back.obs.columns.find((c) => c.name === 'predicted_bulk_labels_confidence')?.kind).toBe('numeric');
    back.close();
  }, 180_000);

  it("--majority-voting: 16 cells are too few for CellTypist's rule (a warning, no vote); the evaluation against the query's labels is printed; a missing over-clustering column stops it first", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'scweb-head-'));
    const csv = join(dir, 'pred.csv');
    const common = [CELLS, '--reference', CELLS, '--label-col', 'bulk_labels', '--method', 'scgpt-head', '--model', CKPT, '--epochs', '1', '--lr', '1e-3', '--backend', 'cpu', '--threads', '1', '--majority-voting'];
    let err = '';
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
    const spy2 = vi.spyOn(console, 'error').mockImplementation((s) => void (err += `${String(s)}\n`));
    try {
      expect(await main(['annotate', ...common, '--out', csv])).toBe(0);
      expect(err).toMatch(/against the query's "bulk_labels" \(16 cells\): accuracy [01]\.\d+, macro-F1 [01]\.\d+/);
      expect(err).toContain("warning: 16 cells are too few to over-cluster properly; no majority voting was done (CellTypist's rule: more than 50 cells)");
      expect(readFileSync(csv, 'utf8').split('\n')[0]).toBe('cell_id,predicted_bulk_labels,predicted_bulk_labels_confidence');
      err = '';
      expect(await main(['annotate', ...common, '--over-clustering', 'clusters', '--out', join(dir, 'never.csv')])).toBe(1);
      expect(err).toMatch(/--over-clustering "clusters": cells\.h5ad has no such obs column/);
      expect(err).not.toMatch(/training/);
    } finally {
      spy.mockRestore();
      spy2.mockRestore();
    }
  }, 120_000);

  it('--head-out saves the trained head; --head annotates with it, no training, the same file; another checkpoint or a non-head refused', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'scweb-head-'));
    const [trained, reused, head] = [join(dir, 'trained.csv'), join(dir, 'reused.csv'), join(dir, 'head.pt')];
    const common = ['--method', 'scgpt-head', '--model', CKPT, '--backend', 'cpu', '--threads', '1', '--probabilities'];
    expect(await main(['annotate', CELLS, '--reference', CELLS, '--label-col', 'bulk_labels', ...common, '--epochs', '2', '--lr', '1e-3', '--unfreeze-last', '--out', trained, '--head-out', head])).toBe(0);
    const errors: string[] = [];
    const spy = vi.spyOn(console, 'error').mockImplementation((m: string) => void errors.push(m));
    const logs: string[] = [];
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation((m: string | Uint8Array) => (logs.push(String(m)), true));
    try {
      expect(await main(['annotate', CELLS, ...common, '--head', head, '--out', reused])).toBe(0);
      expect(logs.join('')).not.toMatch(/epoch/);
      expect(logs.join('')).toContain(`annotated by ${head}`);
      expect(readFileSync(reused, 'utf8')).toBe(readFileSync(trained, 'utf8'));
      // A head of another encoder (its fingerprints changed), on this checkpoint.
      const foreign = await readHeadFile(readFileSync(head), head);
      const otherHead = join(dir, 'other.pt');
      writeFileSync(otherHead, writeHeadFile({ ...foreign, encoder: { ...foreign.encoder, name: 'other-model', sha256: 'f'.repeat(64), sha256F16: 'e'.repeat(64) } }));
      expect(await main(['annotate', CELLS, '--method', 'scgpt-head', '--model', CKPT, '--head', otherHead, '--out', join(dir, 'x.csv')])).toBe(1);
      expect(errors.at(-1)).toMatch(new RegExp(`${otherHead}: this head was trained on the encoder "other-model" .* but the model loaded is "${CKPT}" .* Pass the checkpoint it was trained on with --model \\("other-model"\\)`));
      expect(await main(['annotate', CELLS, '--method', 'scgpt-head', '--model', CKPT, '--head', join(CKPT, 'best_model.pt'), '--out', join(dir, 'x.csv')])).toBe(1);
      expect(errors.at(-1)).toMatch(/best_model\.pt: it holds a bare state dict \(a model checkpoint\?\), not a head/);
      expect(await main(['annotate', CELLS, '--method', 'scgpt-head', '--model', CKPT, '--head', join(dir, 'none.pt'), '--out', join(dir, 'x.csv')])).toBe(1);
      expect(errors.at(-1)).toMatch(/none\.pt: no such file/);
      // Training flags with --head, and a --head-out that is not a .pt.
      expect(await main(['annotate', CELLS, '--method', 'scgpt-head', '--model', CKPT, '--head', head, '--label-col', 'bulk_labels', '--epochs', '3', '--out', join(dir, 'x.csv')])).toBe(2);
      expect(errors.at(-1)).toMatch(/drop --label-col, --epochs/);
      expect(await main(['annotate', CELLS, '--reference', CELLS, '--label-col', 'bulk_labels', '--method', 'scgpt-head', '--model', CKPT, '--out', join(dir, 'x.csv'), '--head-out', join(dir, 'head.csv')])).toBe(2);
    } finally {
      spy.mockRestore();
      stderr.mockRestore();
    }
  }, 180_000);

  it('usage errors: missing --model, kNN-only options, bad numbers, unknown method', async () => {
    const base = ['annotate', CELLS, '--reference', CELLS, '--label-col', 'bulk_labels', '--out', join(tmpdir(), 'x.csv')];
    expect(await main([...base, '--method', 'scgpt-head'])).toBe(2);
    expect(await main([...base, '--method', 'scgpt-head', '--model', CKPT, '--k', '5'])).toBe(2);
    expect(await main([...base, '--method', 'scgpt-head', '--model', CKPT, '--lr', 'fast'])).toBe(2);
    expect(await main([...base, '--method', 'scgpt-head', '--model', CKPT, '--epochs', '0'])).toBe(2);
    expect(await main([...base, '--method', 'magic'])).toBe(2);
    expect(await main([...base, '--epochs', '3'])).toBe(2);
  });
});
