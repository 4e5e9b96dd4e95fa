// What the streamed passes over cells compute from one chunk of rows: QC metrics, per-gene cell
// counts, per-gene moments and the log-normalised matrix restricted to some genes. Each reducer
// sees only its chunk and returns a partial; `foldPartials` combines partials in chunk order. The
// chunk is the unit of work of cell-pass.ts, so this thread and any number of pool workers give the
// same bits.
import { computedFloat32, valuesLike } from '../io/matrix-values.ts';
import type { CsrChunk } from '../io/types.ts';
import { DEFAULT_TARGET_SUM, normalizeLog1pRows } from './normalize.ts';

/** One pass: what to compute per chunk. Arrays indexed by cell cover the whole dataset. */
export type CellPassSpec =
  /**
   * calculate_qc_metrics: per-cell totals and genes, per-cell counts in each gene set (bit s of
   * `sets[gene]`: the gene is in set s, at most 8 sets; `nSets` of them); per-gene cells with a count.
   */
  | { kind: 'qc'; fromLog: boolean; sets: Uint8Array; nSets: number }
  /** Cells with a non-zero value per gene, over the kept cells (filter_genes after filter_cells). */
  | { kind: 'gene-cells'; keep: Uint8Array | null }
  /** Per-gene sum and sum of squares over the kept cells, each cell scaled to 1e4 counts (normalizedBy) or expm1'd (fromLog). */
  | { kind: 'moments'; keep: Uint8Array | null; normalizedBy: Float64Array | null; fromLog: boolean }
  /** seurat_v3's second pass: sums of values clipped per gene. */
  | { kind: 'clipped-moments'; keep: Uint8Array | null; clip: Float64Array }
  /**
   * log1p(normalize_total) of the kept cells, columns mapped through `column` (-1: dropped); totals
   * null keeps values as stored.
   */
  | { kind: 'lognorm'; keep: Uint8Array | null; totals: Float64Array | null; column: Int32Array }
  /**
   * 'moments' per group of cells (highly_variable_genes with a batch_key): group of each cell in
   * `groups` (-1: left out); values clipped per group and gene at clip[group * nGenes + gene] when
   * `clip` is given (seurat_v3's second pass, on counts as stored).
   */
  | { kind: 'group-moments'; keep: Uint8Array | null; groups: Int32Array; nGroups: number; normalizedBy: Float64Array | null; fromLog: boolean; clip: Float64Array | null };

export interface QcPartial {
  total: Float64Array;
  genes: Float64Array;
  /** Counts in gene set s of row r at [s * rows + r]. */
  inSets: Float64Array;
  geneCells: Float64Array;
}
export interface SumsPartial {
  n: number;
  sum: Float64Array;
  sumSq: Float64Array;
}
export interface RowsPartial {
  indptr: Float64Array;
  indices: Uint32Array;
  data: Float32Array;
}
/** Per group g: cells in counts[g], gene sums at sum[g * nGenes + gene] (and sumSq). */
export interface GroupSumsPartial {
  counts: Float64Array;
  sum: Float64Array;
  sumSq: Float64Array;
}
export type CellPartial = QcPartial | SumsPartial | RowsPartial | GroupSumsPartial;

/** The partial for one chunk; `nGenes` is the matrix's var length. */
export function reduceChunk(spec: CellPassSpec, chunk: CsrChunk, nGenes: number): CellPartial {
  switch (spec.kind) {
    case 'qc':
      return qcChunk(chunk, nGenes, spec.fromLog, spec.sets, spec.nSets);
    case 'gene-cells': {
      const sum = new Float64Array(nGenes);
      const n = keptRows(chunk, spec.keep, (r) => {
        for (let k = chunk.indptr[r]; k < chunk.indptr[r + 1]; k++) if (chunk.data[k] !== 0) sum[chunk.indices[k]]++;
      });
      return { n, sum, sumSq: new Float64Array(0) };
    }
    case 'moments': {
      const { normalizedBy, fromLog } = spec;
      return sumsChunk(chunk, nGenes, spec.keep, (cell) => (normalizedBy ? (normalizedBy[cell] > 0 ? DEFAULT_TARGET_SUM / normalizedBy[cell] : 1) : 1), fromLog ? Math.expm1 : null, null);
    }
    case 'clipped-moments':
      return sumsChunk(chunk, nGenes, spec.keep, () => 1, null, spec.clip);
    case 'lognorm':
      return lognormChunk(chunk, spec.keep, spec.totals, spec.column);
    case 'group-moments':
      return groupSumsChunk(chunk, nGenes, spec);
  }
}

/** Calls fn for every kept row index of the chunk; returns how many. */
function keptRows(chunk: CsrChunk, keep: Uint8Array | null, fn: (r: number, cell: number) => void): number {
  let n = 0;
  for (let r = 0; r < chunk.end - chunk.start; r++) {
    const cell = chunk.start + r;
    if (keep && !keep[cell]) continue;
    n++;
    fn(r, cell);
  }
  return n;
}

function qcChunk(chunk: CsrChunk, nGenes: number, fromLog: boolean, sets: Uint8Array, nSets: number): QcPartial {
  const rows = chunk.end - chunk.start;
  const out = { total: new Float64Array(rows), genes: new Float64Array(rows), inSets: new Float64Array(nSets * rows), geneCells: new Float64Array(nGenes) };
  for (let r = 0; r < rows; r++) {
    let s = 0;
    let g = 0;
    for (let k = chunk.indptr[r]; k < chunk.indptr[r + 1]; k++) {
      const v = fromLog ? Math.expm1(chunk.data[k]) : chunk.data[k];
      if (v === 0) continue;
      s += v;
      g++;
      const gene = chunk.indices[k];
      out.geneCells[gene]++;
      const bits = sets[gene];
      if (bits) for (let t = 0; t < nSets; t++) if (bits & (1 << t)) out.inSets[t * rows + r] += v;
    }
    out.total[r] = s;
    out.genes[r] = g;
  }
  return out;
}

function sumsChunk(chunk: CsrChunk, nGenes: number, keep: Uint8Array | null, scale: (cell: number) => number, map: ((v: number) => number) | null, clip: Float64Array | null): SumsPartial {
  const sum = new Float64Array(nGenes);
  const sumSq = new Float64Array(nGenes);
  const n = keptRows(chunk, keep, (r, cell) => {
    const f = scale(cell);
    for (let k = chunk.indptr[r]; k < chunk.indptr[r + 1]; k++) {
      const g = chunk.indices[k];
      let v = map ? map(chunk.data[k]) : chunk.data[k] * f;
      if (clip) v = Math.min(v, clip[g]);
      sum[g] += v;
      sumSq[g] += v * v;
    }
  });
  return { n, sum, sumSq };
}

/** sumsChunk's arithmetic per group: a group's sums are the bits 'moments' gives over its cells alone. */
function groupSumsChunk(chunk: CsrChunk, nGenes: number, spec: CellPassSpec & { kind: 'group-moments' }): GroupSumsPartial {
  const { groups, nGroups, normalizedBy, fromLog, clip } = spec;
  const counts = new Float64Array(nGroups);
  const sum = new Float64Array(nGroups * nGenes);
  const sumSq = new Float64Array(nGroups * nGenes);
  keptRows(chunk, spec.keep, (r, cell) => {
    const b = groups[cell];
    if (b < 0) return;
    counts[b]++;
    const f = normalizedBy ? (normalizedBy[cell] > 0 ? DEFAULT_TARGET_SUM / normalizedBy[cell] : 1) : 1;
    const o = b * nGenes;
    for (let k = chunk.indptr[r]; k < chunk.indptr[r + 1]; k++) {
      const g = o + chunk.indices[k];
      let v = fromLog ? Math.expm1(chunk.data[k]) : chunk.data[k] * f;
      if (clip) v = Math.min(v, clip[g]);
      sum[g] += v;
      sumSq[g] += v * v;
    }
  });
  return { counts, sum, sumSq };
}

function lognormChunk(chunk: CsrChunk, keep: Uint8Array | null, totals: Float64Array | null, column: Int32Array): RowsPartial {
  let nRows = 0;
  let nnz = 0;
  keptRows(chunk, keep, (r) => {
    nRows++;
    for (let k = chunk.indptr[r]; k < chunk.indptr[r + 1]; k++) if (column[chunk.indices[k]] >= 0 && chunk.data[k] !== 0) nnz++;
  });
  // Normalised from the values as stored (float64 when float32 would change them, e.g. 1e-40
  // counts), then narrowed: the result is in the pipeline's float32, the inputs were not rounded.
  const indptr = new Float64Array(nRows + 1);
  const indices = new Uint32Array(nnz);
  const data = totals && chunk.data instanceof Float64Array ? valuesLike(chunk.data, nnz) : new Float32Array(nnz);
  const rowTotals = new Float64Array(totals ? nRows : 0);
  let row = 0;
  let at = 0;
  keptRows(chunk, keep, (r, cell) => {
    for (let k = chunk.indptr[r]; k < chunk.indptr[r + 1]; k++) {
      const j = column[chunk.indices[k]];
      if (j >= 0 && chunk.data[k] !== 0) {
        indices[at] = j;
        data[at++] = chunk.data[k];
      }
    }
    if (totals) rowTotals[row] = totals[cell];
    indptr[++row] = at;
  });
  // Each row is normalised by its own total, so doing it per chunk gives the same bits as after.
  if (totals) normalizeLog1pRows(indptr, data, rowTotals);
  const out = computedFloat32(data);
  return { indptr, indices, data: out };
}

/** The arrays a partial's message can hand over instead of copying (shared ones travel as they are). */
export function partialBuffers(p: CellPartial): ArrayBuffer[] {
  return Object.values(p)
    .filter((v): v is Float64Array | Uint32Array | Float32Array => ArrayBuffer.isView(v) && !(v.buffer instanceof SharedArrayBuffer))
    .map((v) => v.buffer as ArrayBuffer);
}

/** Adds b into a (same-length arrays), element by element: the fixed-order fold of per-gene partials. */
export function addInto(a: Float64Array, b: Float64Array): void {
  for (let i = 0; i < a.length; i++) a[i] += b[i];
}
