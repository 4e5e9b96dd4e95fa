// `scweb annotate`: transfer labels from a reference .h5ad to a query by logistic regression on
// the shared genes (CellTypist's recipe) or by kNN vote in the reference's PCA (query projected)
// or in X_scGPT (embedded here with --model when missing).
import { writeFile } from 'node:fs/promises';
import { linearAnnotatorToJson } from '../analysis/linear-annotator-json.ts';
import { DEFAULT_MAP_PARAMS, annotationCsv, mapAcross, type MapParams, type MapReport } from '../analysis/mapping.ts';
import { nodePool } from '../analysis/pool-node.ts';
import { nodeH5Runtime } from '../io/h5/node-runtime.ts';
import { writeWithResults } from '../io/h5ad/results.ts';
import { fileBytes } from '../io/node.ts';
import { openPaths } from '../io/node.ts';
import type { Dataset } from '../io/types.ts';
import { embedDataset } from '../model/embed.ts';
import { resolveModelArg } from '../model/hub/node-cache.ts';
import { loadEnsemblMap, loadModelDir, nodeEncoder } from '../model/node-model.ts';
import { intFlag, parseArgs, threadsFlag, type Parsed } from './args.ts';
import { UsageError } from './usage.ts';

export async function annotateCommand(argv: string[]): Promise<number> {
  const p = parseArgs(argv, ['reference', 'label-col', 'out', 'method', 'embedding', 'model', 'k', 'min-confidence', 'weighted', 'backend', 'multi-class', 'c', 'solver', 'feature-selection', 'top-genes', 'model-out', 'seed', 'threads']);
  const [input] = p.positionals;
  const refPath = p.flags.get('reference');
  const labelColumn = p.flags.get('label-col');
  const out = p.flags.get('out');
  if (!input || !refPath || !labelColumn || !out) throw new UsageError('annotate needs QUERY and --reference REF (each .h5ad, 10x .h5 or an mtx folder), --label-col NAME and --out OUT.csv|OUT.h5ad');
  if (!/\.(csv|h5ad)$/.test(out)) throw new UsageError('--out must end in .csv or .h5ad');
  const embedding = p.flags.get('embedding') ?? 'pca';
  if (embedding !== 'pca' && embedding !== 'scgpt') throw new UsageError('--embedding must be pca or scgpt');
  const minConfidence = Number(p.flags.get('min-confidence') ?? DEFAULT_MAP_PARAMS.minConfidence);
  if (!(minConfidence >= 0 && minConfidence <= 1)) throw new UsageError('--min-confidence must be between 0 and 1');
  const weighted = p.flags.get('weighted');
  const method = methodFlag(p);
  const modelOut = p.flags.get('model-out');
  if (modelOut !== undefined && method !== 'logreg') throw new UsageError('--model-out writes a trained logistic regression: it needs --method logreg');
  if (modelOut !== undefined && !modelOut.endsWith('.json')) throw new UsageError('--model-out must end in .json');
  const params: MapParams = {
    ...DEFAULT_MAP_PARAMS,
    labelColumn,
    reference: 'missing',
    method,
    embedding: embedding === 'pca' ? 'pca' : 'X_scGPT',
    k: intFlag(p, 'k', 10),
    minConfidence,
    weighted: weighted === 'true' || weighted === '1',
    logreg: logregFlags(p),
    seed: intFlag(p, 'seed', 0),
  };
  const log = (m: string) => process.stderr.write(`scweb: ${m}\n`);
  const pool = nodePool(threadsFlag(p));
  const ref = await openPaths([refPath]);
  const query = await openPaths([input]);
  try {
    if (embedding === 'scgpt' && method === 'knn') {
      const modelDir = p.flags.get('model');
      if (!modelDir) throw new UsageError('--embedding scgpt needs --model DIR (a scGPT checkpoint folder or bundle)');
      const model = await loadModelDir(await resolveModelArg(modelDir, log));
      const { encoder, dispose } = await nodeEncoder(model, (p.flags.get('backend') ?? 'auto') as 'auto' | 'cpu' | 'webgpu', log);
      try {
        for (const ds of [ref, query]) await ensureScgpt(ds, model, encoder, log);
      } finally {
        dispose();
      }
    }
    const { columns, report, model } = await mapAcross(ref, query, params, { onProgress: () => {}, pool });
    for (const line of reportLines(report, minConfidence)) log(line);
    if (modelOut && model) {
      await writeFile(modelOut, linearAnnotatorToJson(model));
      log(`wrote the model (${model.classes.length} classes, ${model.features.length} genes) to ${modelOut}`);
    }
    for (const c of columns) query.setColumn(c);
    if (out.endsWith('.csv')) await writeFile(out, annotationCsv(query, columns.map((c) => c.name)));
    else {
      const { lib } = await nodeH5Runtime();
      for (const n of await writeWithResults(lib, input, query, out, { obs: columns }, fileBytes(input))) log(`not copied: ${n}`);
    }
    log(`wrote ${out}`);
  } finally {
    pool?.terminate();
    ref.close();
    query.close();
  }
  return 0;
}

function methodFlag(p: Parsed): MapParams['method'] {
  const m = p.flags.get('method') ?? DEFAULT_MAP_PARAMS.method;
  if (m !== 'knn' && m !== 'logreg') throw new UsageError('--method must be knn or logreg');
  const logregOnly = ['multi-class', 'c', 'solver', 'feature-selection', 'top-genes', 'model-out'].filter((f) => p.flags.has(f));
  if (m === 'knn' && logregOnly.length) throw new UsageError(`--${logregOnly[0]} is an option of --method logreg`);
  const knnOnly = ['embedding', 'model', 'k', 'weighted', 'backend'].filter((f) => p.flags.has(f));
  if (m === 'logreg' && knnOnly.length) throw new UsageError(`--${knnOnly[0]} is an option of --method knn`);
  return m;
}

function logregFlags(p: Parsed): MapParams['logreg'] {
  const d = DEFAULT_MAP_PARAMS.logreg;
  const multiClass = p.flags.get('multi-class') ?? d.multiClass;
  if (multiClass !== 'ovr' && multiClass !== 'multinomial') throw new UsageError('--multi-class must be ovr or multinomial');
  const C = Number(p.flags.get('c') ?? d.C);
  if (!(C > 0) || !Number.isFinite(C)) throw new UsageError(`--c must be a positive number, got "${p.flags.get('c')}"`);
  const solver = p.flags.get('solver') ?? d.solver;
  if (solver !== 'auto' && solver !== 'lbfgs' && solver !== 'sgd') throw new UsageError('--solver must be auto, lbfgs or sgd');
  const fs = p.flags.get('feature-selection');
  if (fs !== undefined && !['true', 'false', '1', '0'].includes(fs)) throw new UsageError('--feature-selection must be true or false');
  const topGenes = intFlag(p, 'top-genes', d.topGenes);
  if (topGenes < 1) throw new UsageError('--top-genes must be at least 1');
  return { ...d, multiClass, C, solver, featureSelection: fs === 'true' || fs === '1' || p.flags.has('top-genes'), topGenes };
}

/** What the log says of a mapping: counts, training, calibration and, against known labels, the evaluation. */
export function reportLines(r: MapReport, minConfidence: number): string[] {
  const out: string[] = [];
  const genes = r.method === 'logreg' ? ` on ${r.nShared} shared genes (of the reference's ${r.nRefGenes})` : r.nShared !== undefined ? ` (${r.nShared} of the reference's ${r.nHvg} HVGs shared)` : '';
  out.push(`${r.nQuery} query cells from ${r.nRef} reference cells by ${r.method === 'logreg' ? 'logistic regression' : 'kNN vote'}${genes}; ${(r.summary.confidentShare * 100).toFixed(1)}% at confidence >= ${minConfidence}`);
  if (r.training) {
    const t = r.training;
    out.push(`trained (${t.solver}) on ${t.nCells} cells x ${t.nFeatures} genes in ${t.seconds.toFixed(1)} s: ${t.iterations} ${t.solver === 'lbfgs' ? 'iterations' : 'epochs'}, ${t.converged ? 'converged' : 'NOT converged'} (${t.message})${t.featureSelection ? `; feature selection: ${t.featureSelection}` : ''}`);
  }
  if (r.calibration) {
    const c = r.calibration;
    out.push(`held-back reference cells (${c.nHeldOut}): accuracy ${c.accuracy.toFixed(3)}, macro-F1 ${c.macroF1.toFixed(3)}, ECE ${c.eceBefore.toFixed(3)} -> ${c.eceAfter.toFixed(3)} at temperature ${c.temperature.toFixed(3)}${c.note ? ` (${c.note})` : ''}`);
  }
  for (const l of r.summary.perLabel) out.push(`  ${l.label}: ${l.count} cells, mean confidence ${l.meanConfidence.toFixed(2)}`);
  if (r.summary.unassigned) out.push(`  unassigned: ${r.summary.unassigned}`);
  if (r.evaluation) {
    const e = r.evaluation;
    out.push(`against the query's "${e.truthColumn}" (${e.nCells} cells): accuracy ${e.accuracy.toFixed(3)}, macro-F1 ${e.macroF1.toFixed(3)}`);
    for (const l of e.perLabel) out.push(`  ${l.label}: precision ${l.precision.toFixed(3)}, recall ${l.recall.toFixed(3)} (${l.support} cells)`);
  }
  return out;
}

async function ensureScgpt(ds: Dataset, model: Awaited<ReturnType<typeof loadModelDir>>, encoder: Parameters<typeof embedDataset>[2], log: (m: string) => void): Promise<void> {
  if (ds.embeddings.some((e) => e.key === 'X_scGPT')) return;
  log(`embedding ${ds.fileName} with scGPT (${ds.nObs} cells)`);
  const r = await embedDataset(ds, model, encoder, { ensemblToSymbol: await loadEnsemblMap() });
  ds.addEmbedding({ key: 'X_scGPT', shape: [ds.nObs, r.dim], data: r.embeddings });
}
