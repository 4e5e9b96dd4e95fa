// A trained scGPT classifier head saved as a .pt and used again (model/head-file.ts): ours -> file
// -> ours gives the same probabilities, bit for bit; PyTorch (Debian's python3-torch) loads the
// file into scGPT's ClsDecoder and encoder layer and computes our logits; files that are not a
// head, damaged or edited ones, and heads of another encoder are refused with their message.
// On the parity fixture's tiny checkpoint and its 16 real cells (tfjs cpu backend).
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import type { HeadParams, HeadResult } from '../src/analysis/scgpt-head.ts';
import { DEFAULT_HEAD_PARAMS, headAcross, headFromFile } from '../src/analysis/scgpt-head.ts';
import { CancelledError } from '../src/io/errors.ts';
import { encodeNpy } from '../src/io/npy.ts';
import type { PyOut } from '../src/io/pickle/pickler.ts';
import { int } from '../src/io/pickle/pickler.ts';
import { openPaths } from '../src/io/node.ts';
import type { Dataset } from '../src/io/types.ts';
import type { LoadedModel } from '../src/model/bundle.ts';
import { clsDecoderLogits, clsDecoderTensors } from '../src/model/cls-decoder.ts';
import { torchSave } from '../src/model/checkpoint/torch-save.ts';
import { writeStoredZip } from '../src/model/checkpoint/zip.ts';
import { cpuEncoder } from '../src/model/embed.ts';
import type { SavedHead } from '../src/model/head-file.ts';
import { HeadFileError, encoderFingerprint, headFileValue, readHeadFile, writeHeadFile } from '../src/model/head-file.ts';
import { lastLayerCls, lastLayerTensors } from '../src/model/last-layer-tfjs.ts';
import { loadModelDir } from '../src/model/node-model.ts';
import type { LayerWeights } from '../src/model/weights.ts';
import { expected, fixturePath } from './model-fixtures.ts';
import { fixtureLayerInputs } from './scgpt-head-fixture.ts';

const CELLS = fixturePath('tiny', 'cells.h5ad');
const CKPT = fixturePath('tiny', 'checkpoint');
const PYTHON = '/usr/bin/python3';

let model: LoadedModel;
let ds: Dataset;
let frozen: HeadResult;
let unfrozen: HeadResult;

const params = (extra: Partial<HeadParams> = {}): HeadParams => ({ ...DEFAULT_HEAD_PARAMS, labelColumn: 'bulk_labels', epochs: 3, lr: 1e-3, batchSize: 4, holdout: 0.25, minConfidence: 0.2, seed: 1, ...extra });
const fix = 'load the checkpoint it was trained on';

beforeAll(async () => {
  await tf.setBackend('cpu');
  model = await loadModelDir(CKPT);
  ds = await openPaths([CELLS]);
  frozen = await headAcross(ds, ds, model, cpuEncoder(model), params(), { modelName: 'tiny' });
  unfrozen = await headAcross(ds, ds, model, cpuEncoder(model), params({ epochs: 2, unfreezeLast: true }), { modelName: 'tiny' });
}, 180_000);

const same = (a: Float32Array, b: Float32Array) => a.length === b.length && a.every((v, i) => Object.is(v, b[i]));

describe('a saved head', () => {
  it.each([
    ['the encoder frozen', () => frozen],
    ['its last layer trained', () => unfrozen],
  ])('%s: ours -> file -> ours gives the same weights and probabilities, bit for bit', async (_name, result) => {
    const r = result();
    const trained = r.trained!;
    const bytes = writeHeadFile(trained);
    const back = await readHeadFile(bytes, 'head.pt');
    expect(back.classes).toEqual(r.categories);
    expect(back.labelColumn).toBe('bulk_labels');
    expect(back.encoder).toEqual(trained.encoder);
    expect(back.tokenization).toEqual(trained.tokenization);
    expect(back.training).toEqual(trained.training);
    expect(back.head.blocks).toHaveLength(2);
    back.head.blocks.forEach((B, i) => (['w', 'b', 'g', 'beta'] as const).forEach((k) => expect(same(B[k], trained.head.blocks[i][k])).toBe(true)));
    expect(same(back.head.outW, trained.head.outW) && same(back.head.outB, trained.head.outB)).toBe(true);
    expect(back.lastLayer?.index ?? null).toBe(trained.lastLayer ? 2 : null);
    if (trained.lastLayer) for (const [k, v] of Object.entries(trained.lastLayer.weights)) expect(same(back.lastLayer!.weights[k as keyof LayerWeights], v)).toBe(true);

    const fractions: number[] = [];
    const again = await headFromFile(ds, model, cpuEncoder(model), back, 'head.pt', { minConfidence: 0.2 }, { modelName: 'tiny', mismatchFix: fix, onProgress: (f) => fractions.push(f) });
    expect(same(again.probabilities, r.probabilities)).toBe(true);
    expect(Array.from(again.queryCells)).toEqual(Array.from(r.queryCells));
    expect(again.columns[0].name).toBe('predicted_bulk_labels');
    expect(Array.from((again.columns[0] as { codes: Int32Array }).codes)).toEqual(Array.from((r.columns[0] as { codes: Int32Array }).codes));
    expect(again.report.savedHead).toMatchObject({ file: 'head.pt', reference: 'cells.h5ad', classes: r.categories.length, encoder: 'tiny' });
    expect(again.report.history).toEqual([]);
    // Evaluated against the query's own bulk_labels, as the training run was.
    expect(again.report.accuracy).toBeDefined();
    expect(again.report.accuracy).toBe(r.report.accuracy);
    expect(again.report.macroF1).toBe(r.report.macroF1);
    expect(fractions.length).toBeGreaterThan(1);
    expect(fractions.every((f, i) => f >= 0 && f <= 1 && (i === 0 || f >= fractions[i - 1]))).toBe(true);
  }, 60_000);

  it('PyTorch loads it into scGPT ClsDecoder and encoder layer: the same logits within 1e-5', async () => {
    const torch = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;
    if (!torch && process.env.CI) throw new Error(`${PYTHON} cannot import torch: CI needs python3-torch (make pydeps)`);
    if (!torch) return;
    const trained = unfrozen.trained!;
    const dir = mkdtempSync(join(tmpdir(), 'scweb-head-py-'));
    const headPath = join(dir, 'head.pt');
    writeFileSync(headPath, writeHeadFile(trained));
    const d = 64;
    const emb = expected('tiny', 'cls_embedding');
    writeFileSync(join(dir, 'cls.npy'), encodeNpy(emb.data as Float32Array, emb.shape));
    const cells = [0, 3, 5, 9];
    const inputs = fixtureLayerInputs(model.weights);
    const L = Math.max(...cells.map((c) => inputs[c].length / d));
    const x = new Float32Array(cells.length * L * d);
    cells.forEach((c, k) => x.set(inputs[c], k * L * d));
    const lengths = Float32Array.from(cells, (c) => inputs[c].length / d);
    writeFileSync(join(dir, 'layer_in.npy'), encodeNpy(x, [cells.length, L, d]));
    writeFileSync(join(dir, 'lengths.npy'), encodeNpy(lengths, [cells.length]));
    const py = spawnSync(PYTHON, [fileURLToPath(new URL('reference/scgpt_head_torch.py', import.meta.url)), headPath, dir, CKPT], { encoding: 'utf8', maxBuffer: 16 << 20 });
    expect(py.status, py.stderr).toBe(0);
    const out = JSON.parse(py.stdout) as { zip_ok: boolean; unsupported_ops: string[]; unexpected_globals: string[]; unexpected_keys: string[]; placed: boolean; classes: string[]; label_column: string; format: string; fingerprint: string; fingerprint_f16: string; logits_cls: number[]; logits_layer: number[]; layer_differs_from_checkpoint: boolean; encoder: { sha256: string; sha256_f16: string }; tokenization: { max_length: number } };
    expect(out.zip_ok).toBe(true);
    expect(out.unsupported_ops).toEqual([]);
    expect(out.unexpected_globals).toEqual([]);
    expect(out.unexpected_keys).toEqual([]);
    expect(out.placed).toBe(true);
    expect(out.layer_differs_from_checkpoint).toBe(true);
    expect(out.classes).toEqual(unfrozen.categories);
    expect(out.label_column).toBe('bulk_labels');
    expect(out.format).toBe('scweb-scgpt-cls-head');
    expect(out.tokenization.max_length).toBe(1200);
    // The documented fingerprints, recomputed by Python from the checkpoint file.
    expect(out.fingerprint).toBe(await encoderFingerprint(model.weights));
    expect(out.encoder.sha256).toBe(out.fingerprint);
    expect(out.fingerprint_f16).toBe(await encoderFingerprint(model.weights, 'f16'));
    expect(out.encoder.sha256_f16).toBe(out.fingerprint_f16);

    const head = clsDecoderTensors(trained.head);
    const layer = lastLayerTensors(trained.lastLayer!.weights, model.weights.config);
    const ours = tf.tidy(() => clsDecoderLogits(tf.tensor2d(emb.data as Float32Array, [16, d]), head));
    const oursLayer = tf.tidy(() => clsDecoderLogits(lastLayerCls(tf.tensor2d(x, [cells.length * L, d]), tf.tensor1d(lengths, 'int32'), L, layer, model.weights.config), head, true));
    const [a, b] = [(await ours.data()) as Float32Array, (await oursLayer.data()) as Float32Array];
    tf.dispose([ours, oursLayer, ...head, ...layer]);
    const C = unfrozen.categories.length;
    expect(out.logits_cls).toHaveLength(16 * C);
    expect(out.logits_layer).toHaveLength(cells.length * C);
    let worst = 0;
    out.logits_cls.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - a[i]))));
    out.logits_layer.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - b[i]))));
    expect(worst).toBeLessThan(1e-5);
    // The logits spread far wider than the tolerance: the comparison has teeth.
    expect(Math.max(...a) - Math.min(...a)).toBeGreaterThan(0.1);
  }, 60_000);
});

describe('refusals and cancel', () => {
  /** A head file edited the way a hand or a bug might: the dict's entries changed before writing. */
  const edited = (h: SavedHead, edit: (entries: [PyOut, PyOut][]) => void) =>
    torchSave((tensor) => {
      const v = headFileValue(h, tensor) as { t: 'dict'; entries: [PyOut, PyOut][] };
      edit(v.entries);
      return v;
    });
  const refused = async (bytes: Uint8Array, message: RegExp) => {
    const err = await readHeadFile(bytes, 'x.pt').then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(HeadFileError);
    expect((err as Error).message).toMatch(/^x\.pt: /);
    expect((err as Error).message).toMatch(message);
  };

  it('files that are not a head: another format, a model checkpoint, a truncated or hostile archive', async () => {
    await refused(readFileSync(CELLS), /not a ZIP archive.*not an scGPT head saved by scWeb/);
    await refused(readFileSync(join(CKPT, 'best_model.pt')), /bare state dict \(a model checkpoint\?\)/);
    const good = writeHeadFile(frozen.trained!);
    await refused(good.subarray(0, good.length - 200), /not an scGPT head|damaged|truncated/);
    // A pickle that declares a 4 GiB string in a few bytes, and one of 5 million Nones.
    const pkl = (body: number[]) => writeStoredZip([{ name: 'archive/data.pkl', bytes: Uint8Array.from([0x80, 2, ...body, 0x2e]) }]);
    await refused(pkl([0x58, 0xff, 0xff, 0xff, 0xff, 0x41]), /declares 4294967295 bytes but 2 remain/);
    await refused(writeStoredZip([{ name: 'archive/data.pkl', bytes: new Uint8Array(5_000_002).fill(0x4e) }]), /more than 4,194,304 values/);
    await refused(pkl([0x7d, 0x8c, 0x01, 0x61, 0x4e, 0x73]), /not an scGPT head saved by scWeb/);
  });

  it('damaged or edited heads: newer version, missing or extra or misshapen tensors, non-finite values, duplicate labels', async () => {
    const h = frozen.trained!;
    const set = (key: string, value: PyOut) => (e: [PyOut, PyOut][]) => {
      const at = e.findIndex(([k]) => k === key);
      e[at] = [key, value];
    };
    await refused(edited(h, set('version', int(2))), /format version 2, newer than this scWeb reads \(1\): update scWeb/);
    await refused(edited(h, set('classes', { t: 'list', items: ['a', 'a', ...h.classes.slice(2)] })), /"classes" repeat a name/);
    await refused(edited(h, set('n_cls', int(h.classes.length + 1))), /"classes" are not \d+ names/);
    const sd = (edit: (sd: [PyOut, PyOut][], tensor: (d: Float32Array, s: number[]) => PyOut) => void) =>
      torchSave((tensor) => {
        const v = headFileValue(h, tensor) as { t: 'dict'; entries: [PyOut, PyOut][] };
        edit((v.entries.find(([k]) => k === 'state_dict')![1] as { entries: [PyOut, PyOut][] }).entries, tensor);
        return v;
      });
    await refused(sd((e) => e.splice(0, 1)), /lacks "cls_decoder\._decoder\.0\.weight"/);
    await refused(sd((e, t) => e.push(['decoder.fc.weight', t(new Float32Array(4), [2, 2])])), /holds "decoder\.fc\.weight", which is not part of a 3-layer head/);
    await refused(sd((e, t) => (e[e.length - 1] = ['cls_decoder.out_layer.bias', t(new Float32Array(3), [3])])), /"cls_decoder\.out_layer\.bias" has shape \[3\], not \[\d+\]/);
    const nan = { ...h, head: { ...h.head, outB: Float32Array.from(h.head.outB, (v, i) => (i === 1 ? NaN : v)) } };
    await refused(writeHeadFile(nan), /"cls_decoder\.out_layer\.bias" holds values that are not finite/);
    const wrongLayer = { ...unfrozen.trained!, lastLayer: { ...unfrozen.trained!.lastLayer!, index: 0 } };
    await refused(writeHeadFile(wrongLayer), /"unfrozen_layer" is 0, not the encoder's last layer \(2\)/);
  });

  it('a head of another encoder checkpoint is refused naming both and the fix; the dataset keeps its columns', async () => {
    // The tiny encoder with one weight changed (as fine-tuning would): another checkpoint.
    const other: LoadedModel = { ...model, weights: { ...model.weights, encNormB: Float32Array.from(model.weights.encNormB, (v, i) => (i === 0 ? v + 0.01 : v)) } };
    const before = ds.obs.columns.map((c) => c.name);
    const err = await headFromFile(ds, other, cpuEncoder(other), frozen.trained!, 'head.pt', { minConfidence: 0.5 }, { modelName: 'other', mismatchFix: fix }).then(
      () => null,
      (e: unknown) => e as Error,
    );
    expect(err).toBeInstanceOf(HeadFileError);
    expect(err!.message).toMatch(/^head\.pt: this head was trained on the encoder "tiny" \(sha256 [0-9a-f]{12}…, vocab 698, d_model 64, 3 layers\), but the model loaded is "other" \(sha256 [0-9a-f]{12}…/);
    expect(err!.message).toContain(fix);
    expect(ds.obs.columns.map((c) => c.name)).toEqual(before);
    // The same numbers under flash-attn key names are the same encoder.
    const flash = await loadModelDir(fixturePath('tiny', 'checkpoint_flash'));
    expect(await encoderFingerprint(flash.weights)).toBe(await encoderFingerprint(model.weights));
  }, 60_000);

  it('a cancelled run stops with CancelledError and sets no column', async () => {
    const ctrl = new AbortController();
    const before = ds.obs.columns.map((c) => c.name);
    const run = headFromFile(ds, model, cpuEncoder(model), unfrozen.trained!, 'head.pt', { minConfidence: 0.5 }, { modelName: 'tiny', mismatchFix: fix, signal: ctrl.signal, onProgress: (f) => f > 0 && ctrl.abort() });
    await expect(run).rejects.toBeInstanceOf(CancelledError);
    expect(ds.obs.columns.map((c) => c.name)).toEqual(before);
  }, 60_000);

  it('an fp16 copy of the encoder (the hub cache, an fp16 checkpoint) is taken with a note; its probabilities agree within fp16 rounding', async () => {
    const fp16 = await loadModelDir(fixturePath('tiny', 'checkpoint_fp16'));
    expect(await encoderFingerprint(fp16.weights)).not.toBe(await encoderFingerprint(model.weights));
    expect(await encoderFingerprint(fp16.weights, 'f16')).toBe(await encoderFingerprint(model.weights, 'f16'));
    const r = await headFromFile(ds, fp16, cpuEncoder(fp16), frozen.trained!, 'head.pt', { minConfidence: 0.2 }, { modelName: 'tiny-fp16', mismatchFix: fix });
    expect(r.report.savedHead?.note).toMatch(/"tiny-fp16" .* holds the weights the head was trained on \("tiny" .* at another precision/);
    let worst = 0;
    r.probabilities.forEach((p, i) => (worst = Math.max(worst, Math.abs(p - frozen.probabilities[i]))));
    expect(worst).toBeLessThan(2e-3);
    expect(worst).toBeGreaterThan(0);
  }, 60_000);
});
