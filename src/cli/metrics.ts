// `scweb metrics`: batch-integration metrics (LISI, scIB's ASWs and graph connectivity) of one
// embedding in obsm, optionally against another (--before) for a one-line reading.
import { writeFile } from 'node:fs/promises';
import { integrationMetrics, metricsReading, summarizeMetrics, type Labels } from '../analysis/integration-metrics.ts';
import { nodePool } from '../analysis/pool-node.ts';
import { csvLines, csvText } from '../io/csv.ts';
import { openPaths } from '../io/node.ts';
import type { Column, Dataset, Embedding } from '../io/types.ts';
import { parseArgs, threadsFlag } from './args.ts';
import { throttledLog } from './progress-log.ts';
import { UsageError } from './usage.ts';

/** The fewest cells a batch or label category may have (empty categories are ignored). */
export const MIN_CATEGORY_CELLS = 3;

/** An obs column as labels for the metrics, or an error naming the column and what is wrong. */
export function metricLabels(col: Column | undefined, name: string, flag: string, opts: { minDistinct: number }): Labels {
  if (!col) throw new Error(`${flag}: no obs column "${name}"`);
  let labels: Labels;
  if (col.kind === 'categorical') labels = { codes: col.codes, categories: col.categories };
  else if (col.kind === 'string') {
    const categories = [...new Set(col.values)].sort();
    const index = new Map(categories.map((c, i) => [c, i]));
    labels = { codes: Int32Array.from(col.values, (v) => index.get(v)!), categories };
  } else throw new Error(`${flag}: obs column "${name}" is numeric (${col.dtype}); the metrics need a categorical column (batch or cell-type labels)`);
  const counts = new Array<number>(labels.categories.length).fill(0);
  let missing = 0;
  for (const c of labels.codes) {
    if (c < 0) missing++;
    else counts[c]++;
  }
  if (missing) throw new Error(`${flag}: obs column "${name}" has ${missing} cell(s) without a value; every cell needs one`);
  const present = counts.filter((c) => c > 0).length;
  if (present < opts.minDistinct) throw new Error(`${flag}: obs column "${name}" has ${present === 1 ? `one value ("${labels.categories[counts.findIndex((c) => c > 0)]}")` : `${present} values`}; the metrics need at least ${opts.minDistinct}`);
  const small = labels.categories.flatMap((c, i) => (counts[i] > 0 && counts[i] < MIN_CATEGORY_CELLS ? [`"${c}" (${counts[i]})`] : []));
  if (small.length) throw new Error(`${flag}: obs column "${name}" has categories with fewer than ${MIN_CATEGORY_CELLS} cells: ${small.join(', ')}`);
  return labels;
}

/** An obsm embedding, refused when missing or when it holds NaN or infinities. */
export function metricEmbedding(ds: Pick<Dataset, 'embeddings' | 'readEmbedding'>, key: string, flag: string): Embedding {
  if (!ds.embeddings.some((e) => e.key === key)) throw new Error(`${flag}: no obsm/${key} (the file has ${ds.embeddings.map((e) => e.key).join(', ') || 'no obsm'})`);
  const e = ds.readEmbedding(key);
  const [n, d] = e.shape;
  let bad = 0;
  let first = -1;
  for (let i = 0; i < n * d; i++) {
    if (!Number.isFinite(e.data[i])) {
      if (first < 0) first = Math.floor(i / d);
      bad++;
    }
  }
  if (bad) throw new Error(`${flag}: obsm/${key} has ${bad} NaN or infinite value(s) (first in cell ${first}); the metrics need finite coordinates`);
  return e;
}

export async function metricsCommand(argv: string[]): Promise<number> {
  const p = parseArgs(argv, ['basis', 'batch-key', 'label-col', 'out', 'before', 'perplexity', 'threads']);
  const [input] = p.positionals;
  const basis = p.flags.get('basis');
  const batchKey = p.flags.get('batch-key');
  if (!input || !basis || !batchKey) throw new UsageError('metrics needs IN, --basis OBSM_KEY and --batch-key KEY');
  const labelCol = p.flags.get('label-col');
  const before = p.flags.get('before');
  const out = p.flags.get('out');
  const perplexity = Number(p.flags.get('perplexity') ?? 30);
  if (!(perplexity > 0)) throw new UsageError(`--perplexity must be a positive number, got "${p.flags.get('perplexity')}"`);
  const threads = threadsFlag(p);
  const progress = throttledLog((m) => process.stderr.write(`scweb: ${m}\n`), 1000);
  const ds = await openPaths([input]);
  let pool: ReturnType<typeof nodePool> = null;
  try {
    const find = (name: string) => ds.obs.columns.find((c) => c.name === name);
    const batch = metricLabels(find(batchKey), batchKey, '--batch-key', { minDistinct: 2 });
    const label = labelCol ? metricLabels(find(labelCol), labelCol, '--label-col', { minDistinct: 2 }) : null;
    const emb = metricEmbedding(ds, basis, '--basis');
    const embBefore = before ? metricEmbedding(ds, before, '--before') : null;
    const need = Math.round(3 * perplexity);
    if (ds.nObs < need) throw new Error(`LISI with perplexity ${perplexity} needs at least ${need} cells; the file has ${ds.nObs}`);
    pool = nodePool(threads);
    const run = (e: Embedding, what: string) => integrationMetrics(e.data, e.shape[0], e.shape[1], batch, label, { perplexity, pool, onProgress: (f, m) => progress(`obsm/${what}: ${m} (${Math.round(f * 100)}%)`) });
    const m = await run(emb, basis);
    const mb = embBefore ? summarizeMetrics(await run(embBefore, before!)) : null;
    const summary = summarizeMetrics(m);
    const result = {
      input,
      basis,
      batchKey,
      labelCol: labelCol ?? null,
      ...summary,
      ...(mb ? { before: { basis: before, ...mb } } : {}),
      reading: metricsReading(summary, mb),
      seconds: m.seconds,
    };
    if (out) {
      const header = ['cell_id', `lisi_${batchKey}`, ...(labelCol ? [`lisi_${labelCol}`] : [])];
      const rows = ds.obs.index.map((name, i) => [csvText(name), String(m.iLisi[i]), ...(m.cLisi ? [String(m.cLisi[i])] : [])]);
      await writeFile(out, csvLines(header, rows));
    }
    console.log(JSON.stringify(result, null, 2));
  } finally {
    pool?.terminate();
    ds.close();
  }
  return 0;
}
