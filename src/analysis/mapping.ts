// Label transfer for the app and the CLI: within one dataset (labelled cells are the reference,
// unlabelled ones, or a held-out stratified half, the query) or from a reference dataset to a
// query dataset. The embedding is an obsm both sides have (X_scGPT) or the reference's PCA with the
// query projected into it. Results become obs columns: predicted_<label> and its confidence.
import { categoricalFromStrings } from '../io/columns.ts';
import { csvLines, csvNumber, csvText } from '../io/csv.ts';
import type { CategoricalColumn, Column, Dataset, NumericColumn } from '../io/types.ts';
import { accuracyF1, knnVote, stratifiedHalf, summarizeMapping, type MappingSummary } from './annotate.ts';
import { referencePcaSpace } from './reference-space.ts';

export interface MapParams {
  labelColumn: string;
  /** 'missing': labelled cells map the unlabelled; 'half': a stratified half maps the other (evaluation). */
  reference: 'missing' | 'half';
  /** 'pca' or an obsm key present on both sides (X_scGPT). */
  embedding: string;
  k: number;
  weighted: boolean;
  minConfidence: number;
  seed: number;
}

export const DEFAULT_MAP_PARAMS: MapParams = { labelColumn: '', reference: 'missing', embedding: 'pca', k: 10, weighted: false, minConfidence: 0.5, seed: 0 };

export interface MapReport {
  labelColumn: string;
  predictedColumn: string;
  confidenceColumn: string;
  embedding: string;
  nRef: number;
  nQuery: number;
  nShared?: number;
  nHvg?: number;
  summary: MappingSummary;
  /** Against the held-out labels ('half' mode only). */
  accuracy?: number;
  macroF1?: number;
}

export const UNASSIGNED = 'unassigned';

type Opts = { signal?: AbortSignal; onProgress?: (f: number, m: string) => void };

/** Labels that mean "no label": what pandas, R and spreadsheets write for a missing value. */
const MISSING_LABELS = new Set(['', 'na', 'nan', 'n/a', 'none', 'null', '<na>']);

export function isMissingLabel(label: string): boolean {
  return MISSING_LABELS.has(label.trim().toLowerCase());
}

/** A label column as categories; missing-value spellings ("", NA, nan, ...) become missing (code -1). */
export function labelColumn(ds: Dataset, name: string): CategoricalColumn {
  const col = ds.obs.columns.find((c) => c.name === name);
  if (!col) throw new Error(`no obs column "${name}"`);
  if (col.kind === 'numeric') throw new Error(`"${name}" holds numbers, not labels; pick a categorical or text column`);
  const cat = col.kind === 'categorical' ? col : categoricalFromStrings(name, col.values);
  const kept = cat.categories.filter((c) => !isMissingLabel(c));
  if (kept.length === cat.categories.length) return cat;
  const recode = cat.categories.map((c) => kept.indexOf(c));
  return { ...cat, codes: cat.codes.map((c) => (c >= 0 ? recode[c] : -1)), categories: kept };
}

function rowsOf(e: { data: Float32Array; shape: [number, number] }, mask: Uint8Array): Float32Array {
  const d = e.shape[1];
  const n = mask.reduce((s, v) => s + v, 0);
  const out = new Float32Array(n * d);
  for (let i = 0, r = 0; i < e.shape[0]; i++) if (mask[i]) out.set(e.data.subarray(i * d, (i + 1) * d), d * r++);
  for (const v of out) if (!Number.isFinite(v)) throw new Error('the embedding has missing values (cells without expressed genes in the model vocabulary); use PCA or filter those cells');
  return out;
}

async function space(refDs: Dataset, refMask: Uint8Array, qDs: Dataset, qMask: Uint8Array, embedding: string, opts: Opts) {
  if (embedding === 'pca') {
    const side = (ds: Dataset, keep: Uint8Array) => {
      if (!ds.countsKey) throw new Error(`${ds.fileName} has no counts matrix; the PCA space needs counts (or use X_scGPT)`);
      return { ds, countsKey: ds.countsKey, keep, genes: ds.varNamesOf(ds.countsKey) };
    };
    return referencePcaSpace(side(refDs, refMask), side(qDs, qMask), 50, 2000, opts);
  }
  for (const ds of [refDs, qDs]) if (!ds.embeddings.some((e) => e.key === embedding)) throw new Error(`${ds.fileName} has no obsm "${embedding}" (embed it with scGPT first)`);
  const r = refDs.readEmbedding(embedding);
  const q = qDs.readEmbedding(embedding);
  if (r.shape[1] !== q.shape[1]) throw new Error(`"${embedding}" has ${r.shape[1]} dimensions in the reference but ${q.shape[1]} in the query (different models?)`);
  return { dim: r.shape[1], ref: rowsOf(r, refMask), query: rowsOf(q, qMask), nShared: undefined, nHvg: undefined };
}

/** predicted_<name> (query cells; reference cells keep theirs; 'unassigned' for -1) and its confidence, for a dataset of `n` cells. */
export function predictedColumns(name: string, n: number, categories: string[], qMask: Uint8Array, refMask: Uint8Array | null, refCodes: Int32Array | null, m: { predicted: Int32Array; confidence: Float32Array }): [CategoricalColumn, NumericColumn] {
  const U = categories.length;
  const codes = new Int32Array(n).fill(-1);
  const conf = new Float64Array(n).fill(NaN);
  for (let i = 0, q = 0; i < n; i++) {
    if (qMask[i]) {
      codes[i] = m.predicted[q] >= 0 ? m.predicted[q] : U;
      conf[i] = m.confidence[q++];
    } else if (refMask?.[i] && refCodes) codes[i] = refCodes[i]; // reference cells keep their label, confidence NaN
  }
  return [
    { kind: 'categorical', name: `predicted_${name}`, codes, categories: [...categories, UNASSIGNED], ordered: false, dtype: 'category' },
    // Vote shares are computed in float32; saying so keeps exports at float32's precision.
    { kind: 'numeric', name: `predicted_${name}_confidence`, values: conf, dtype: 'float32' },
  ];
}

/** Within one dataset. Returns the new columns (not yet added) and the report. */
export async function mapWithin(ds: Dataset, p: MapParams, opts: Opts = {}): Promise<{ columns: Column[]; report: MapReport }> {
  const col = labelColumn(ds, p.labelColumn);
  const refMask = p.reference === 'half' ? stratifiedHalf(col.codes, p.seed) : Uint8Array.from(col.codes, (c) => (c >= 0 ? 1 : 0));
  const qMask = p.reference === 'half' ? Uint8Array.from(refMask, (v, i) => (v || col.codes[i] < 0 ? 0 : 1)) : Uint8Array.from(col.codes, (c) => (c < 0 ? 1 : 0));
  const nRef = refMask.reduce((s, v) => s + v, 0);
  const nQuery = qMask.reduce((s, v) => s + v, 0);
  if (nQuery === 0) throw new Error(`every cell has a "${p.labelColumn}" label: nothing to map (choose "a stratified half" to evaluate, or load a query)`);
  if (nRef < p.k) throw new Error(`only ${nRef} labelled cells: need at least k = ${p.k}`);
  const sp = await space(ds, refMask, ds, qMask, p.embedding, opts);
  const refCodes = Int32Array.from(col.codes.filter((_, i) => refMask[i]));
  const m = await knnVote(sp.ref, refCodes, col.categories.length, sp.query, sp.dim, { ...p, ...opts });
  const columns = predictedColumns(p.labelColumn, ds.nObs, col.categories, qMask, refMask, col.codes, m);
  const report: MapReport = {
    labelColumn: p.labelColumn,
    predictedColumn: columns[0].name,
    confidenceColumn: columns[1].name,
    embedding: p.embedding,
    nRef,
    nQuery,
    nShared: sp.nShared,
    nHvg: sp.nHvg,
    summary: summarizeMapping(m, col.categories),
  };
  if (p.reference === 'half') Object.assign(report, accuracyF1(Int32Array.from(col.codes.filter((_, i) => qMask[i])), m.predicted, col.categories.length));
  return { columns, report };
}

/** From a labelled reference dataset to every cell of a query dataset. */
export async function mapAcross(ref: Dataset, query: Dataset, p: MapParams, opts: Opts = {}): Promise<{ columns: Column[]; report: MapReport }> {
  const col = labelColumn(ref, p.labelColumn);
  const refMask = Uint8Array.from(col.codes, (c) => (c >= 0 ? 1 : 0));
  const qMask = new Uint8Array(query.nObs).fill(1);
  const sp = await space(ref, refMask, query, qMask, p.embedding, opts);
  const refCodes = Int32Array.from(col.codes.filter((c) => c >= 0));
  const m = await knnVote(sp.ref, refCodes, col.categories.length, sp.query, sp.dim, { ...p, ...opts });
  const columns = predictedColumns(p.labelColumn, query.nObs, col.categories, qMask, null, null, m);
  return {
    columns,
    report: { labelColumn: p.labelColumn, predictedColumn: columns[0].name, confidenceColumn: columns[1].name, embedding: p.embedding, nRef: refCodes.length, nQuery: query.nObs, nShared: sp.nShared, nHvg: sp.nHvg, summary: summarizeMapping(m, col.categories) },
  };
}

/** CSV of per-cell annotations: cell id, then the named obs columns (categories as text). */
export function annotationCsv(ds: Dataset, names: string[]): string {
  const cols = names.map((n) => ds.obs.columns.find((c) => c.name === n)).filter((c): c is Column => !!c);
  function* rows() {
    for (let i = 0; i < ds.nObs; i++) {
      const cells = cols.map((c) => {
        if (c.kind === 'categorical') return c.codes[i] >= 0 ? csvText(c.categories[c.codes[i]]) : '';
        if (c.kind === 'numeric') return csvNumber(c.values[i], c.dtype);
        return csvText(c.values[i]);
      });
      yield [csvText(ds.obs.index[i]), ...cells];
    }
  }
  return csvLines(['cell_id', ...cols.map((c) => c.name)], rows());
}
