import { readFileSync } from 'node:fs';
import { openPaths } from '../src/io/node.ts';
import { datasetTokenizer, embedBatches } from '../src/model/embed.ts';
import { parseVocab } from '../src/model/vocab.ts';
const vocabJson = JSON.parse(readFileSync('../shared/data/scgpt/vocab.json', 'utf8'));
const model = { weights: { config: { nLayers: 1, dModel: 8, nHeads: 1, dHid: 8, vocabSize: 60697, padId: vocabJson['<pad>'], clsId: vocabJson['<cls>'], padValue: -2, maxValue: 512, layerNormEps: 1e-5 } }, vocab: parseVocab(vocabJson), vocabJson, args: {}, description: '' } as never;
for (const f of ['scvijl_pbmc_7480x200_counts.h5ad', 'pbmc68k_reduced_with_counts.h5ad', 'compocyte_tcells_861x1011_counts.h5ad', 'scimilarity_test_1000x1000_counts_nolabels.h5ad', 'scllm_breast_100x18082_int64counts.h5ad']) {
  const ds = await openPaths(['../shared/data/' + f]);
  const cols: string[] = [];
  for (const step of [32, 16, 8, 1]) {
    for (const budget of [16384]) {
      let real = 0, slots = 0, n = 0; const shapes = new Set<string>(); const Ls = new Set<number>();
      for (const b of embedBatches(datasetTokenizer(ds, model), 0, ds.nObs, { maxLength: 1200, maxBatch: 64, tokenBudget: budget, bucketStep: step, padId: 0, padValue: -2 })) {
        if (!b.batch) continue; n++; slots += b.batch.batch * b.batch.seqLen; shapes.add(`${b.batch.batch}x${b.batch.seqLen}`); Ls.add(b.batch.seqLen);
        for (const l of b.batch.lengths) real += l;
      }
      cols.push(`step ${step}: ${((1 - real / slots) * 100).toFixed(1)}% padding, ${n} batches, ${Ls.size} lengths, ${shapes.size} shapes`);
    }
  }
  console.log(f, ds.nObs, '|', cols.join(' | '));
  ds.close();
}
