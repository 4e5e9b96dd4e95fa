// Loads the scGPT parity fixtures (../shared/fixtures/scgpt-parity) for the model tests.
import { readFileSync } from 'node:fs';
import { parseNpy, type NpyArray } from '../src/io/npy.ts';
import { readTorchStateDict } from '../src/model/checkpoint/torch.ts';
import { parseVocab } from '../src/model/vocab.ts';
import { buildWeights, type ScGPTWeights } from '../src/model/weights.ts';
import { shared } from './helpers.ts';

export type FixtureName = 'tiny' | 'wide';

export function fixturePath(name: FixtureName, ...rest: string[]): string {
  return shared('fixtures/scgpt-parity', name, ...rest);
}

export async function loadWeights(name: FixtureName, checkpoint = name === 'tiny' ? 'checkpoint' : 'checkpoint_flash'): Promise<ScGPTWeights> {
  const dir = fixturePath(name, checkpoint);
  const vocab = parseVocab(JSON.parse(readFileSync(`${dir}/vocab.json`, 'utf8')));
  const sd = await readTorchStateDict(readFileSync(`${dir}/best_model.pt`));
  return buildWeights(sd, JSON.parse(readFileSync(`${dir}/args.json`, 'utf8')), vocab);
}

export function expected(name: FixtureName, file: string): NpyArray {
  return parseNpy(readFileSync(fixturePath(name, 'expected', `${file}.npy`)));
}

export interface FixtureTokens {
  ids: Int32Array;
  values: Float32Array;
  lengths: Int32Array;
  nCells: number;
  seqLen: number;
}

export function fixtureTokens(name: FixtureName): FixtureTokens {
  const ids = expected(name, 'gene_ids');
  const values = expected(name, 'values');
  const mask = expected(name, 'padding_mask');
  const [nCells, seqLen] = ids.shape;
  const lengths = Int32Array.from({ length: nCells }, (_, c) => {
    let n = 0;
    while (n < seqLen && !mask.data[c * seqLen + n]) n++;
    return n;
  });
  return { ids: ids.data as Int32Array, values: values.data as Float32Array, lengths, nCells, seqLen };
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>, n = a.length): number {
  let m = 0;
  for (let i = 0; i < n; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
