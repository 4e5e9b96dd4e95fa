import { openPaths } from './src/io/node.ts';
import { cpuEncoder } from './src/model/embed.ts';
import { loadModelDir } from './src/model/node-model.ts';
import { headAcross, DEFAULT_HEAD_PARAMS } from './src/analysis/scgpt-head.ts';
const model = await loadModelDir('/work/shared/fixtures/scgpt-parity/tiny/checkpoint');
const ds = await openPaths(['/work/shared/fixtures/scgpt-parity/tiny/cells.h5ad']);
const col = ds.obs.columns.find((c) => c.name === 'bulk_labels')!;
console.log(col.kind === 'categorical' ? [col.categories, Array.from(col.codes)] : '');
for (const unfreezeLast of [false, true]) for (const lr of [1e-4, 1e-3, 1e-2]) {
  const t0 = performance.now();
  const r = await headAcross(ds, ds, model, cpuEncoder(model), { ...DEFAULT_HEAD_PARAMS, labelColumn: 'bulk_labels', lr, epochs: 20, unfreezeLast, holdout: 0, batchSize: 4 });
  console.log(unfreezeLast, lr, ((performance.now() - t0) / 1000).toFixed(1), r.report.history[0].trainLoss.toFixed(3), r.report.history.at(-1)!.trainLoss.toFixed(3), r.report.summary.perLabel.map((l) => `${l.label}:${l.count}`).join(' '));
}
