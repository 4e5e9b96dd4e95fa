// Several files opened as one dataset, as anndata.concat(..., label='sample', keys=<file names>)
// joins them, without copying a matrix: each file stays open as its own Dataset, and a block of
// cells is read from the files that hold it, its gene columns renumbered into the joined genes.
// Cells come file after file; obs/sample names each cell's file. Genes: the inner join (genes every
// file has) or the outer join (every gene; a file lacking one reads zeros). obs names that repeat
// across files get anndata's index_unique='-' suffix (name-sample) on every cell, as anndata does
// when asked to. obs columns are the union (missing values where a file lacks a column); obsm
// entries only those every file has with the same width.
import { gatherColumn, columnNames, type Gather } from './concat-columns.ts';
import { joinGenes, type JoinedGenes, type PartGenes } from './concat-genes.ts';
import { ComputedResults } from './computed-results.ts';
import { DatasetError, throwIfAborted } from './errors.ts';
import { expressionInput } from './expression-input.ts';
import type { OpenOptions } from './open.ts';
import type { SourceFile } from './source.ts';
import type { CategoricalColumn, Column, ConcatLayout, CsrChunk, DataFrame, Dataset, Embedding, EmbeddingInfo, GeneJoin, MatrixContent, MatrixInfo, MatrixValues } from './types.ts';

/** The obs column naming each cell's file (anndata.concat's `label`). */
export const SAMPLE_COLUMN = 'sample';
/** The matrix key for "each file's own counts matrix" when the files keep counts under different keys. */
export const JOINED_COUNTS_KEY = 'counts';

export interface ConcatPart {
  label: string;
  ds: Dataset;
}

export interface ConcatOptions {
  join?: GeneJoin;
  /** Ensembl id -> symbol, for matching an Ensembl-indexed file without symbols to symbol-indexed ones. */
  ensemblToSymbol?: Map<string, string>;
  /** The genes as the dataset this one reopens had them (a pool worker's copy): no matching again. */
  layout?: ConcatLayout;
}

interface JoinedMatrix {
  info: MatrixInfo;
  /** The key of this matrix in each part. */
  partKeys: string[];
}

export class ConcatDataset implements Dataset {
  readonly fileName: string;
  readonly format = 'concat' as const;
  readonly formatDetail: string;
  readonly nObs: number;
  readonly nVars: number;
  readonly obs: DataFrame;
  readonly var: DataFrame;
  readonly matrices: MatrixInfo[];
  countsKey: string | null;
  countsReason: string;
  readonly embeddings: EmbeddingInfo[];
  readonly savedSession = null;
  readonly sources: SourceFile[] | null;
  readonly concat: ConcatLayout;
  private readonly offsets: number[];
  private readonly joined = new Map<string, JoinedMatrix>();
  private readonly computed = new ComputedResults(this);
  /** Per part: whether its genes keep their order in the joined genes (no sorting within rows needed). */
  private readonly inOrder: boolean[];
  /** Per part: whether its genes are the joined genes, in order (its chunks serve as they are). */
  private readonly identity: boolean[];
  /** Per part, the part's column of each joined gene (-1: the part lacks it). */
  private inverse: Int32Array[] | null = null;
  /** Per part, the joined gene of each of its genes (-1: left out). */
  private readonly maps: Int32Array[];

  constructor(
    private readonly parts: ConcatPart[],
    join: GeneJoin,
    opts: { ensemblToSymbol?: Map<string, string>; layout?: ConcatLayout } = {},
  ) {
    if (parts.length < 2) throw new Error('ConcatDataset needs at least two parts');
    const names = parts.map((p) => p.ds.fileName);
    this.fileName = parts.length <= 3 ? parts.map((p) => p.label).join('+') : `${parts[0].label}+${parts.length - 1}_more`;
    const notes: string[] = [];
    const counts = this.partCounts(names);
    const spaceKeys = geneSpaces(parts);
    const partGenes = parts.map((p, i) => ({ fileName: names[i], names: spaceKeys[i] ? p.ds.varNamesOf(spaceKeys[i]!) : p.ds.var.index, var: p.ds.var }));
    const genes: JoinedGenes = opts.layout ? fromLayout(opts.layout, partGenes) : joinGenes(partGenes, join, opts.ensemblToSymbol);
    this.var = genes.var;
    this.nVars = genes.var.index.length;
    if (this.nVars === 0) throw noSharedGene(partGenes, genes.matchedBy, opts.ensemblToSymbol);
    this.maps = genes.maps;
    this.inOrder = genes.maps.map(increasing);
    this.identity = genes.maps.map((map) => map.length === this.nVars && map.every((j, i) => j === i));
    this.offsets = [0];
    for (const p of parts) this.offsets.push(this.offsets[this.offsets.length - 1] + p.ds.nObs);
    this.nObs = this.offsets[parts.length];
    this.obs = this.joinObs(notes);
    this.matrices = this.joinMatrices(spaceKeys, genes.maps, notes);
    [this.countsKey, this.countsReason] = counts;
    if (counts[0] && !this.joined.has(counts[0])) this.addJoinedCounts();
    this.embeddings = this.joinEmbeddings(notes);
    const kept = genes.maps.map((map) => `${map.reduce((a, j) => a + (j >= 0 ? 1 : 0), 0)}/${map.length}`);
    notes.unshift(
      `genes matched by ${genes.matchedBy}; ${join} join: ${this.nVars.toLocaleString('en-US')} genes${join === 'inner' ? ` (of each file's: ${kept.join(', ')})` : ' (a file lacking a gene reads 0 there)'}`,
    );
    this.formatDetail = `${parts.length} files joined (${[...new Set(parts.map((p) => p.ds.formatDetail))].join('; ')})`;
    // A pool worker can build the same dataset only when it can open every part itself.
    this.sources = parts.every((p) => p.ds.sources?.length) ? parts.flatMap((p) => [...p.ds.sources!]) : null;
    this.concat = {
      join,
      parts: parts.map((p, i) => ({ label: p.label, fileName: names[i], files: p.ds.sources?.length ?? 0, nObs: p.ds.nObs, nVars: genes.maps[i].length, countsKey: p.ds.countsKey })),
      varNames: this.var.index,
      genes: genes.maps,
      matchedBy: genes.matchedBy,
      notes,
    };
  }

  /** Counts in every part or in none: a mix would analyse some cells' counts with others' normalised values. */
  private partCounts(names: string[]): [string | null, string] {
    const withCounts = this.parts.findIndex((p) => p.ds.countsKey);
    const without = this.parts.findIndex((p) => !p.ds.countsKey);
    if (withCounts >= 0 && without >= 0) {
      const [a, b] = [names[withCounts], names[without]];
      throw new DatasetError(
        'incompatible',
        `${a}, ${b}`,
        `${a} has raw counts (${this.parts[withCounts].ds.countsKey}) but ${b} has none (${this.parts[without].ds.countsReason}): files are joined only when each has counts (or none has); open ${b} with its counts (a layers/counts or raw/X of integers)`,
      );
    }
    if (withCounts < 0) return [null, `no file holds integer counts (${this.parts.map((p, i) => `${names[i]}: ${p.ds.countsReason}`).join('; ')})`];
    const keys = new Set(this.parts.map((p) => p.ds.countsKey));
    if (keys.size === 1) return [this.parts[0].ds.countsKey, `${this.parts[0].ds.countsKey} of every file holds non-negative integers`];
    return [JOINED_COUNTS_KEY, `each file's counts: ${this.parts.map((p, i) => `${names[i]} ${p.ds.countsKey}`).join(', ')}`];
  }

  private joinObs(notes: string[]): DataFrame {
    const n = this.nObs;
    const gather: Gather = { part: new Int32Array(n), row: new Int32Array(n) };
    this.parts.forEach((p, k) => {
      for (let i = 0; i < p.ds.nObs; i++) {
        gather.part[this.offsets[k] + i] = k;
        gather.row[this.offsets[k] + i] = i;
      }
    });
    let index = this.parts.flatMap((p) => p.ds.obs.index);
    if (new Set(index).size < n) {
      // anndata.concat(index_unique='-') renames every cell, not only the repeated ones.
      index = index.map((name, i) => `${name}-${this.parts[gather.part[i]].label}`);
      notes.push(`obs names repeat across files: every cell is named name-sample, as anndata.concat(index_unique='-') does`);
    }
    const frames = this.parts.map((p) => p.ds.obs);
    const replaced = frames.some((f) => f.columns.some((c) => c.name === SAMPLE_COLUMN));
    if (replaced) notes.push(`obs/${SAMPLE_COLUMN} of the files is replaced by the file names, as anndata.concat(label='${SAMPLE_COLUMN}') does`);
    const columns: Column[] = columnNames(frames)
      .filter((name) => name !== SAMPLE_COLUMN)
      .map((name) => gatherColumn(name, frames.map((f) => f.columns.find((c) => c.name === name)), gather));
    const sample: CategoricalColumn = { kind: 'categorical', name: SAMPLE_COLUMN, codes: gather.part.slice(), categories: this.parts.map((p) => p.label), ordered: false, dtype: 'category' };
    columns.push(sample);
    return { index, columns };
  }

  /** Matrices every part has over its gene space, joined; a matrix with other genes (raw/X beside a var subset) is left out. */
  private joinMatrices(spaceKeys: (string | null)[], maps: Int32Array[], notes: string[]): MatrixInfo[] {
    const out: MatrixInfo[] = [];
    const inSpace = this.parts.map((p, i) => {
      const names = spaceKeys[i] ? p.ds.varNamesOf(spaceKeys[i]!) : p.ds.var.index;
      return new Set(p.ds.matrices.filter((m) => sameNames(p.ds.varNamesOf(m.key), names)).map((m) => m.key));
    });
    const everyKey = new Set(this.parts.flatMap((p) => p.ds.matrices.map((m) => m.key)));
    const left: string[] = [];
    for (const key of everyKey) {
      if (!inSpace.every((s) => s.has(key))) {
        left.push(key);
        continue;
      }
      const infos = this.parts.map((p) => p.ds.matrices.find((m) => m.key === key)!);
      const m: JoinedMatrix = { info: this.describe(key, infos, maps), partKeys: this.parts.map(() => key) };
      this.joined.set(key, m);
      out.push(m.info);
    }
    if (left.length) notes.push(`not joined (missing from a file, or over other genes than its counts): ${left.join(', ')}`);
    return out;
  }

  private addJoinedCounts(): void {
    const partKeys = this.parts.map((p) => p.ds.countsKey!);
    const infos = this.parts.map((p, i) => p.ds.matrices.find((m) => m.key === partKeys[i])!);
    const info = this.describe(JOINED_COUNTS_KEY, infos, this.maps);
    info.notes.unshift(`each file's counts: ${this.parts.map((p, i) => `${p.label}: ${partKeys[i]}`).join(', ')}`);
    this.joined.set(JOINED_COUNTS_KEY, { info, partKeys });
    this.matrices.unshift(info);
  }

  private describe(key: string, infos: MatrixInfo[], maps: Int32Array[]): MatrixInfo {
    const one = <T>(xs: T[]): T | null => (xs.every((x) => x === xs[0]) ? xs[0] : null);
    const contents = infos.map((m) => m.content);
    const content: MatrixContent = contents.includes('signed') ? 'signed' : contents.every((c) => c === 'counts' || c === 'empty') && contents.includes('counts') ? 'counts' : contents.every((c) => c === 'empty') ? 'empty' : 'non-negative';
    const dtypes = infos.map((m) => m.dtype);
    // Stored entries stay countable without a pass only when no file loses a gene to the join.
    const whole = maps.every((m) => m.every((j) => j >= 0));
    const nnz = whole && infos.every((m) => m.nnz !== null) ? infos.reduce((a, m) => a + m.nnz!, 0) : null;
    return {
      key,
      encoding: one(infos.map((m) => m.encoding)) ?? 'csr',
      dtype: one(dtypes) ?? (dtypes.includes('float64') ? 'float64' : [...new Set(dtypes)].join('/')),
      nRows: this.nObs,
      nCols: this.nVars,
      nnz,
      varKey: 'var',
      content,
      notes: [...new Set(infos.flatMap((m) => m.notes))],
    };
  }

  private joinEmbeddings(notes: string[]): EmbeddingInfo[] {
    const first = this.parts[0].ds.embeddings;
    const kept = first.filter((e) => this.parts.every((p) => p.ds.embeddings.some((x) => x.key === e.key && x.shape[1] === e.shape[1])));
    const dropped = [...new Set(this.parts.flatMap((p) => p.ds.embeddings.map((e) => e.key)))].filter((k) => !kept.some((e) => e.key === k));
    if (dropped.length) notes.push(`obsm left out (not in every file with the same width): ${dropped.join(', ')}`);
    return kept.map((e) => ({ key: e.key, shape: [this.nObs, e.shape[1]] }));
  }

  useCounts(matrixKey: string): void {
    const m = this.matrix(matrixKey);
    if (m.info.content === 'signed') {
      const bad = this.parts.find((p, i) => p.ds.matrices.find((x) => x.key === m.partKeys[i])?.content === 'signed');
      throw new DatasetError('bad-counts', bad?.ds.fileName ?? this.fileName, `${matrixKey} holds negative values (scaled data?) and cannot serve as counts`);
    }
    this.parts.forEach((p, i) => p.ds.useCounts(m.partKeys[i]));
    this.countsKey = matrixKey;
    this.countsReason = m.info.content === 'counts' ? `${matrixKey} of every file, chosen by the user` : `${matrixKey} of every file, chosen by the user (its values are not integers: normalised data?)`;
  }

  varNamesOf(matrixKey: string): string[] {
    this.matrix(matrixKey);
    return this.var.index;
  }

  readRows(matrixKey: string, start: number, end: number): CsrChunk {
    if (start < 0 || end > this.nObs || start > end) {
      throw new DatasetError('unknown-key', this.fileName, `rows [${start}, ${end}) are outside 0..${this.nObs}`);
    }
    const m = this.matrix(matrixKey);
    const maps = this.maps;
    const blocks: { chunk: CsrChunk; part: number }[] = [];
    for (let k = 0; k < this.parts.length; k++) {
      const [a, b] = [Math.max(start, this.offsets[k]), Math.min(end, this.offsets[k + 1])];
      if (a < b) blocks.push({ chunk: this.parts[k].ds.readRows(m.partKeys[k], a - this.offsets[k], b - this.offsets[k]), part: k });
    }
    // One file's rows over exactly the joined genes: its chunk is the answer, renumbered rows only.
    if (blocks.length === 1 && this.identity[blocks[0].part]) return { ...blocks[0].chunk, start, end, nCols: this.nVars };
    // Each row's entries the joined genes keep: the output's row pointers.
    const indptr = new Float64Array(end - start + 1);
    let row = 0;
    for (const { chunk, part } of blocks) {
      const map = maps[part];
      for (let r = 0; r < chunk.end - chunk.start; r++) {
        let kept = 0;
        for (let e = chunk.indptr[r]; e < chunk.indptr[r + 1]; e++) if (map[chunk.indices[e]] >= 0) kept++;
        indptr[row + 1] = indptr[row] + kept;
        row++;
      }
    }
    const nnz = indptr[end - start];
    const wide = blocks.some((b) => b.chunk.data instanceof Float64Array);
    const indices = new Uint32Array(nnz);
    const data: MatrixValues = wide ? new Float64Array(nnz) : new Float32Array(nnz);
    row = 0;
    for (const { chunk, part } of blocks) {
      if (this.inOrder[part]) copyInOrder(chunk, maps[part], indptr[row], indices, data);
      else copySorted(chunk, maps[part], this.nVars, indptr, row, indices, data);
      row += chunk.end - chunk.start;
    }
    return { start, end, nCols: this.nVars, indptr, indices, data };
  }

  readColumn(matrixKey: string, j: number): { rows: Uint32Array; values: MatrixValues } | null {
    const m = this.matrix(matrixKey);
    if (!(j >= 0 && j < this.nVars && Number.isInteger(j))) throw new DatasetError('unknown-key', this.fileName, `gene column ${j} is outside 0..${this.nVars}`);
    if (!this.parts.every((p) => p.ds.readColumn)) return null;
    this.inverse ??= this.maps.map((map) => {
      const inv = new Int32Array(this.nVars).fill(-1);
      map.forEach((jj, i) => jj >= 0 && (inv[jj] = i));
      return inv;
    });
    const cols: { rows: Uint32Array; values: MatrixValues; offset: number }[] = [];
    for (let k = 0; k < this.parts.length; k++) {
      const local = this.inverse[k][j];
      if (local < 0) continue;
      const c = this.parts[k].ds.readColumn!(m.partKeys[k], local);
      if (!c) return null;
      cols.push({ ...c, offset: this.offsets[k] });
    }
    const n = cols.reduce((a, c) => a + c.rows.length, 0);
    const rows = new Uint32Array(n);
    const values: MatrixValues = cols.some((c) => c.values instanceof Float64Array) ? new Float64Array(n) : new Float32Array(n);
    let t = 0;
    for (const c of cols) {
      for (let e = 0; e < c.rows.length; e++) {
        rows[t] = c.rows[e] + c.offset;
        values[t++] = c.values[e];
      }
    }
    return { rows, values };
  }

  readEmbedding(key: string): Embedding {
    const computed = this.computed.embedding(key);
    if (computed) return computed;
    const info = this.embeddings.find((e) => e.key === key);
    if (!info) throw new DatasetError('unknown-key', this.fileName, `no embedding "${key}" (have: ${this.embeddings.map((e) => e.key).join(', ') || 'none'})`);
    const dim = info.shape[1];
    const data = new Float32Array(this.nObs * dim);
    this.parts.forEach((p, k) => data.set(p.ds.readEmbedding(key).data, this.offsets[k] * dim));
    return { key, shape: [this.nObs, dim], data };
  }

  addEmbedding(e: Embedding): void {
    this.computed.addEmbedding(e);
  }

  setColumn(c: Column): void {
    this.computed.setColumn(c);
  }

  close(): void {
    for (const p of this.parts) p.ds.close();
  }

  private matrix(key: string): JoinedMatrix {
    const m = this.joined.get(key);
    if (!m) throw new DatasetError('unknown-key', this.fileName, `no matrix "${key}" (have: ${[...this.joined.keys()].join(', ') || 'none'})`);
    return m;
  }
}

/**
 * Each part's gene space: the genes of its counts matrix (raw/X may have more than var); without
 * counts, of the matrix every part's analysis would read (a log-normalised raw/X); else var's.
 */
function geneSpaces(parts: ConcatPart[]): (string | null)[] {
  if (parts.every((p) => p.ds.countsKey)) return parts.map((p) => p.ds.countsKey);
  const keys = parts.map((p) => expressionInput(p.ds)?.key ?? null);
  return keys.every((k) => k && k === keys[0]) ? keys : parts.map(() => null);
}

function sameNames(a: string[], b: string[]): boolean {
  return a === b || (a.length === b.length && a.every((x, i) => x === b[i]));
}

function increasing(map: Int32Array): boolean {
  let last = -1;
  for (const j of map) {
    if (j < 0) continue;
    if (j < last) return false;
    last = j;
  }
  return true;
}

/** A block whose genes keep their order: entries copied row by row, renumbered, left-out genes skipped. */
function copyInOrder(chunk: CsrChunk, map: Int32Array, at: number, indices: Uint32Array, data: MatrixValues): void {
  let t = at;
  for (let e = 0; e < chunk.indices.length; e++) {
    const j = map[chunk.indices[e]];
    if (j < 0) continue;
    indices[t] = j;
    data[t++] = chunk.data[e];
  }
}

/**
 * A block whose genes come in another order: entries bucketed by joined gene (a counting sort,
 * stable in row order), then dealt back to their rows gene by gene, so every row ends up sorted by
 * gene in O(entries + genes) with no comparison sort.
 */
function copySorted(chunk: CsrChunk, map: Int32Array, nGenes: number, indptr: Float64Array, row0: number, indices: Uint32Array, data: MatrixValues): void {
  const nRows = chunk.end - chunk.start;
  const n = indptr[row0 + nRows] - indptr[row0];
  const byGene = new Int32Array(nGenes + 1);
  for (let e = 0; e < chunk.indices.length; e++) {
    const j = map[chunk.indices[e]];
    if (j >= 0) byGene[j + 1]++;
  }
  for (let j = 0; j < nGenes; j++) byGene[j + 1] += byGene[j];
  const rowOf = new Int32Array(n);
  const valueOf = data instanceof Float64Array ? new Float64Array(n) : new Float32Array(n);
  for (let r = 0; r < nRows; r++) {
    for (let e = chunk.indptr[r]; e < chunk.indptr[r + 1]; e++) {
      const j = map[chunk.indices[e]];
      if (j < 0) continue;
      const at = byGene[j]++;
      rowOf[at] = r;
      valueOf[at] = chunk.data[e];
    }
  }
  const next = Float64Array.from({ length: nRows }, (_, r) => indptr[row0 + r]);
  // byGene[j] now ends gene j's bucket: buckets are walked from 0 in gene order.
  let from = 0;
  for (let j = 0; j < nGenes; j++) {
    for (let at = from; at < byGene[j]; at++) {
      const t = next[rowOf[at]]++;
      indices[t] = j;
      data[t] = valueOf[at];
    }
    from = byGene[j];
  }
}

/** The refusal when the inner join is empty, naming the first two files with no gene in common. */
function noSharedGene(parts: PartGenes[], matchedBy: string, ensemblToSymbol?: Map<string, string>): DatasetError {
  const eg = (p: PartGenes) => p.names.slice(0, 3).join(', ');
  for (let a = 0; a < parts.length; a++) {
    for (let b = a + 1; b < parts.length; b++) {
      const pair = joinGenes([parts[a], parts[b]], 'inner', ensemblToSymbol);
      if (pair.var.index.length > 0) continue;
      const [x, y] = [parts[a], parts[b]];
      return new DatasetError(
        'incompatible',
        `${x.fileName}, ${y.fileName}`,
        `${x.fileName} and ${y.fileName} share no gene (matched by ${pair.matchedBy}; ${x.fileName} has e.g. ${eg(x)}, ${y.fileName} ${eg(y)}): they cannot be joined; check that both are of one species and name genes alike`,
      );
    }
  }
  const names = parts.map((p) => p.fileName);
  return new DatasetError('incompatible', names.join(', '), `no gene is in every one of ${names.join(', ')} (matched by ${matchedBy}), though each two share some: join them with --join outer, or leave one out`);
}

/** The genes as a layout recorded them (a pool worker reopening the dataset), after checking the files still have those genes. */
function fromLayout(layout: ConcatLayout, parts: PartGenes[]): JoinedGenes {
  parts.forEach((p, i) => {
    if (p.names.length !== layout.parts[i].nVars) {
      throw new DatasetError('shape-mismatch', p.fileName, `has ${p.names.length} genes but had ${layout.parts[i].nVars} when the files were joined: was it replaced?`);
    }
  });
  return { var: { index: layout.varNames, columns: [] }, maps: layout.genes, matchedBy: layout.matchedBy };
}

/**
 * Opens each group of files as a part (a failing part refuses the whole, with its own error, and
 * the parts already open are closed) and joins them. Progress runs over the parts in turn.
 */
export async function openConcat(groups: { label: string; files: SourceFile[] }[], openOne: (files: SourceFile[], opts: OpenOptions) => Promise<Dataset>, opts: OpenOptions & ConcatOptions = {}): Promise<ConcatDataset> {
  const parts: ConcatPart[] = [];
  try {
    for (let k = 0; k < groups.length; k++) {
      const g = groups[k];
      throwIfAborted(opts.signal, g.files[0]?.name ?? g.label);
      const ds = await openOne(g.files, {
        ...opts,
        onProgress: (f, message) => opts.onProgress?.((k + f) / groups.length, `${g.label} (${k + 1} of ${groups.length}): ${message}`),
      });
      parts.push({ label: g.label, ds });
    }
    throwIfAborted(opts.signal, groups[0]?.label ?? '');
    opts.onProgress?.(1, `joining ${groups.length} files`);
    const joined = new ConcatDataset(parts, opts.join ?? 'inner', { ensemblToSymbol: opts.ensemblToSymbol, layout: opts.layout });
    const lost = joinLoss(joined);
    if (lost) opts.onWarning?.(lost);
    return joined;
  } catch (err) {
    for (const p of parts) p.ds.close();
    throw err;
  }
}

/** Below this share of a file's genes kept by the inner join, the user is told (files measuring different genes). */
const JOIN_KEEPS_WARN = 0.5;

/** A sentence when the inner join keeps few of some file's genes (a gene panel, another species, other gene ids), else null. */
function joinLoss(ds: ConcatDataset): string | null {
  if (ds.concat.join !== 'inner') return null;
  const low = ds.concat.parts.filter((p) => p.nVars > 0 && ds.nVars / p.nVars < JOIN_KEEPS_WARN);
  if (!low.length) return null;
  const pct = (p: { nVars: number }) => `${Math.round((100 * ds.nVars) / p.nVars)}% of ${p.nVars.toLocaleString('en-US')}`;
  return `the files share only ${ds.nVars.toLocaleString('en-US')} genes (the join keeps ${low.map((p) => `${pct(p)} in ${p.fileName}`).join(', ')}); the outer join keeps every gene, 0 where a file lacks one (the app: Genes in the Dataset panel; scweb: --join outer), or check that the files measure the same genes (one species, one kind of gene id)`;
}

/** A pool worker's copy of a joined dataset: the same files, split as the layout says, joined the same way. */
export function reopenConcat(files: SourceFile[], layout: ConcatLayout, openOne: (files: SourceFile[], opts: OpenOptions) => Promise<Dataset>, opts: OpenOptions = {}): Promise<ConcatDataset> {
  let at = 0;
  const groups = layout.parts.map((p) => {
    const g = { label: p.label, files: files.slice(at, at + p.files) };
    at += p.files;
    return g;
  });
  if (at !== files.length) throw new Error(`the joined dataset has ${at} files but ${files.length} were given`);
  return openConcat(groups, openOne, { ...opts, join: layout.join, layout });
}
