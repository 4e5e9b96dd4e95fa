// Majority voting after label transfer, on the labelled datasets in ../shared/data: a stratified
// 50/50 split (mapWithin's 'half' mode, seed 0), logistic regression (multinomial) and kNN (PCA)
// at min confidence 0 (every cell its best label) and 0.5 ('unassigned' cells do not vote); the
// held-out half over-clustered by CellTypist's Leiden over-clustering (on X_pca when the file has
// it, else CellTypist's graph) and voted by the shared step (voteAfter). Accuracy and macro-F1 of
// the per-cell and the voted labels on the same cells, and the seconds the vote took.
// Run: node --import tsx bench/majority-voting.ts [--only pbmc,Compocyte]
import { join } from 'node:path';
import { labelColumn, mapWithin, DEFAULT_MAP_PARAMS, voteAfter, type MapParams } from '../src/analysis/mapping.ts';
import { checkVoting, type VotingParams } from '../src/analysis/vote-predictions.ts';
import { openPaths } from '../src/io/node.ts';
import type { CategoricalColumn } from '../src/io/types.ts';
import { LABELLED_SETS, SHARED_DATA } from './labelled-sets.ts';

const arg = (name: string, d: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : d;
};
const SHARED = SHARED_DATA;
const DATASETS = LABELLED_SETS;
const only = arg('only', '').split(',').filter(Boolean);
const VOTE: VotingParams = { majorityVoting: true, overClustering: null, minProp: 0 };

console.log('| dataset | method | min conf. | query cells | over-clusters | per-cell acc. / macro-F1 | voted acc. / macro-F1 | vote s | over-clustering on |');
console.log('|---|---|---|---|---|---|---|---|---|');
for (const [name, file, label] of DATASETS) {
  if (only.length && !only.some((o) => name.toLowerCase().includes(o.toLowerCase()))) continue;
  for (const method of ['logreg', 'knn'] as const) {
    for (const minConfidence of [0, 0.5]) {
      const ds = await openPaths([join(SHARED, file)]);
      try {
        const p: MapParams = { ...DEFAULT_MAP_PARAMS, method, labelColumn: label, reference: 'half', minConfidence, seed: 0, logreg: { ...DEFAULT_MAP_PARAMS.logreg, multiClass: 'multinomial' } };
        let mapped;
        try {
          mapped = await mapWithin(ds, p);
        } catch (err) {
          console.log(`| ${name} | ${method} | ${minConfidence} | | | ${(err as Error).message.slice(0, 80)}… | | | |`);
          continue;
        }
        const { columns, report } = mapped;
        const split = columns.find((c) => c.name.endsWith('_split')) as CategoricalColumn;
        const cells = Uint8Array.from(split.codes, (c) => (c === 1 ? 1 : 0));
        const t = performance.now();
        await voteAfter(ds, columns, report, VOTE, checkVoting(ds, VOTE, cells), { cells, truth: labelColumn(ds, label) }, {});
        const seconds = (performance.now() - t) / 1000;
        const e = report.evaluation!;
        const v = report.voting!;
        const graph = v.overClustering.replace(/^Leiden at resolution (\d+).* on (.*) of the [\d,]+ query cells$/, 'r $1, $2');
        console.log(`| ${name} | ${method} | ${minConfidence} | ${v.nCells} | ${v.nClusters} | ${e.accuracy.toFixed(3)} / ${e.macroF1.toFixed(3)} | ${v.evaluation!.accuracy.toFixed(3)} / ${v.evaluation!.macroF1.toFixed(3)} | ${seconds.toFixed(2)} | ${graph} |`);
      } finally {
        ds.close();
      }
    }
  }
}
