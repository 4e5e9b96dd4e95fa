// Saving and reusing scGPT's classifier head at scGPT_human's shape (bench/random-model.ts: d 512,
// 12 layers, vocabulary 60,697): the encoder's fingerprints (computed once per loaded model, when a
// head is saved or used), and writing and reading a head of 30 labels, frozen encoder and with
// its last layer. Run: node --import tsx bench/head-file.ts
import { cellUniform } from '../src/model/random.ts';
import { initClsDecoder } from '../src/model/cls-decoder.ts';
import { encoderFingerprint, encoderIdentity, readHeadFile, writeHeadFile, type SavedHead } from '../src/model/head-file.ts';
import { randomWeights } from './random-model.ts';

const w = randomWeights(1);
const time = async <T>(f: () => Promise<T> | T): Promise<[T, number]> => {
  const t = performance.now();
  const v = await f();
  return [v, (performance.now() - t) / 1000];
};
const [, f32] = await time(() => encoderFingerprint(w));
const [, f16] = await time(() => encoderFingerprint(w, 'f16'));
const rows = [`| encoder fingerprint, float32 (sha256) | ${f32.toFixed(2)} s |`, `| encoder fingerprint, float16 (sha256_f16) | ${f16.toFixed(2)} s |`];
const classes = Array.from({ length: 30 }, (_, i) => `type ${i}`);
for (const layer of [false, true]) {
  const saved: SavedHead = {
    head: initClsDecoder(512, 30, 3, cellUniform(0, 0)),
    lastLayer: layer ? { index: 11, weights: w.layers[11] } : null,
    classes,
    labelColumn: 'cell_type',
    encoder: await encoderIdentity(w, 'random scGPT_human shape'),
    tokenization: { maxLength: 1200, nBins: 51, padValue: -2, seed: 0, matrix: 'layers/counts', geneSource: 'var/feature_name' },
    training: { reference: 'ref.h5ad', nTrain: 1000, epochs: 10, lr: 1e-4, batchSize: 32, seed: 0, holdout: 0.1, heldOut: null, backend: 'wasm', createdBy: 'bench' },
  };
  const [bytes, write] = await time(() => writeHeadFile(saved));
  const [, read] = await time(() => readHeadFile(bytes, 'head.pt'));
  const what = layer ? 'head + last layer' : 'head (encoder frozen)';
  rows.push(`| ${what}: write ${(bytes.length / 2 ** 20).toFixed(1)} MiB | ${write.toFixed(3)} s |`, `| ${what}: read and check | ${read.toFixed(3)} s |`);
}
console.log(['| step (scGPT_human shape, 30 labels) | time |', '|---|---:|', ...rows].join('\n'));
