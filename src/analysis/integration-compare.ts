// Before and after an integration, side by side: the metrics of integration-metrics.ts on the
// uncorrected embedding (X_pca) and on Harmony's (X_pca_harmony), over the cells the run analysed,
// with the per-cell LISI as violins and a one-line reading. What the app's metrics panel shows.
import type { Column, Dataset, Embedding } from '../io/types.ts';
import type { WorkerPool } from '../parallel/pool.ts';
import { checkBatchKeys } from './batch-keys.ts';
import { integrationMetrics, metricsReading, summarizeMetrics, type Labels, type MetricsSummary } from './integration-metrics.ts';
import { violinOf, type ViolinResult } from './violin.ts';

export interface IntegrationMetricsReport {
  batchKey: string;
  labelKey: string | null;
  nCells: number;
  before: MetricsSummary & { key: string };
  after: MetricsSummary & { key: string };
  reading: string;
  /** Per-cell LISI, before and after, as violins (iLISI on the batch key; cLISI on the labels). */
  iLisi: ViolinResult;
  cLisi: ViolinResult | null;
  seconds: number;
}

/** A label column as Labels over all cells (cells without a value: -1, left out of the label sums). */
export function labelColumn(col: Column | undefined, name: string): Labels {
  if (!col) throw new Error(`label column "${name}": there is no obs column "${name}"`);
  if (col.kind === 'numeric') throw new Error(`label column "${name}" is numeric (${col.dtype}): cLISI and the label ASW need cell-type labels, a categorical column such as leiden or cell_type`);
  if (col.kind === 'categorical') return { codes: col.codes instanceof Int32Array ? col.codes : Int32Array.from(col.codes), categories: col.categories };
  const categories = [...new Set(col.values.filter((v) => v !== null && v !== ''))].sort();
  const index = new Map(categories.map((c, i) => [c, i]));
  return { codes: Int32Array.from(col.values, (v) => index.get(v) ?? -1), categories };
}

function rowsOf(l: Labels, rows: number[]): Labels {
  return { codes: Int32Array.from(rows, (i) => l.codes[i]), categories: l.categories };
}

function pick(e: Embedding, rows: number[]): Float32Array {
  const d = e.shape[1];
  const out = new Float32Array(rows.length * d);
  rows.forEach((i, r) => out.set(e.data.subarray(i * d, (i + 1) * d), r * d));
  return out;
}

function lisiViolins(name: string, before: Float64Array, after: Float64Array, beforeKey: string, afterKey: string): ViolinResult {
  return {
    groupBy: null,
    source: { kind: 'column', name },
    label: name,
    groups: [violinOf(`before: ${beforeKey}`, before), violinOf(`after: ${afterKey}`, after)],
  };
}

export async function compareIntegration(
  ds: Dataset,
  x: { batchKey: string; labelKey: string | null; before: Embedding; after: Embedding; keep: Uint8Array },
  opts: { signal?: AbortSignal; onProgress?: (f: number, m: string) => void; pool?: WorkerPool | null } = {},
): Promise<IntegrationMetricsReport> {
  const t0 = performance.now();
  const [batchLabels] = checkBatchKeys(ds.obs.columns, [x.batchKey], x.keep);
  const batch: Labels = { codes: batchLabels.codes, categories: batchLabels.categories };
  const label = x.labelKey === null ? null : labelColumn(ds.obs.columns.find((c) => c.name === x.labelKey), x.labelKey);
  // The cells the run analysed, with coordinates in both embeddings.
  const finite = (e: Embedding, i: number) => {
    for (let t = 0; t < e.shape[1]; t++) if (!Number.isFinite(e.data[i * e.shape[1] + t])) return false;
    return true;
  };
  const rows: number[] = [];
  for (let i = 0; i < ds.nObs; i++) if (x.keep[i] && finite(x.before, i) && finite(x.after, i)) rows.push(i);
  if (label) {
    const present = new Set(rows.map((i) => label.codes[i]).filter((c) => c >= 0)).size;
    if (present < 2) throw new Error(`label column "${x.labelKey}" has ${present === 0 ? 'no value' : 'one value'} in the ${rows.length} cells analysed: cLISI and the label ASW need at least 2 cell types`);
  }
  const b = rowsOf(batch, rows);
  const l = label ? rowsOf(label, rows) : null;
  const run = (e: Embedding, from: number, what: string) =>
    integrationMetrics(pick(e, rows), rows.length, e.shape[1], b, l, { signal: opts.signal, pool: opts.pool, onProgress: (f, m) => opts.onProgress?.(from + f / 2, `${what}: ${m}`) });
  const before = await run(x.before, 0, `before (${x.before.key})`);
  const after = await run(x.after, 0.5, `after (${x.after.key})`);
  const sb = summarizeMetrics(before);
  const sa = summarizeMetrics(after);
  return {
    batchKey: x.batchKey,
    labelKey: x.labelKey,
    nCells: rows.length,
    before: { key: x.before.key, ...sb },
    after: { key: x.after.key, ...sa },
    reading: metricsReading(sa, sb),
    iLisi: lisiViolins(`iLISI (${x.batchKey})`, before.iLisi, after.iLisi, x.before.key, x.after.key),
    cLisi: before.cLisi && after.cLisi ? lisiViolins(`cLISI (${x.labelKey})`, before.cLisi, after.cLisi, x.before.key, x.after.key) : null,
    seconds: (performance.now() - t0) / 1000,
  };
}
