// Gene networks for the page, in the worker: gene programs (kept, so "genes like this one" and the
// programs-by-group table answer at once) with their scores as obs columns of the dataset, and the
// attention GRN between two groups of cells.
import type { GroupMeans } from '../analysis/group-stats.ts';
import { cosineEdges, similarGenes } from '../analysis/gene-network.ts';
import type { GeneEmbeddingSet } from '../analysis/gene-programs.ts';
import { runGenePrograms } from '../analysis/gene-programs-run.ts';
import { programGroupMeans } from '../analysis/program-scores.ts';
import { DatasetError } from '../io/errors.ts';
import type { NumericColumn } from '../io/types.ts';
import type { LoadedModel } from '../model/bundle.ts';
import { choosePanel } from '../model/grn/panel.ts';
import { groupCells } from '../model/grn/groups.ts';
import { attentionGrn } from '../model/grn/attention-grn.ts';
import type { TfjsEncoder } from '../model/encoder-tfjs.ts';
import type { WasmEncoder } from '../model/encoder-wasm.ts';
import type { AnalysisSession } from './analysis-session.ts';
import type { AttentionParams, AttentionResult, CellGroup, ProgramsParams, ProgramsResult } from './protocol.ts';

const PROGRAM_COLUMN = /^program_\d+_score$/;
/** Edges per gene in the drawing: enough to see a program's shape, few enough to see anything. */
const EDGES_PER_GENE = 10;

/** Where the model runs: the GPU encoder, the float32 WASM one, or the exact float64 CPU path. */
export type ModelDevice = { backend: 'webgpu'; encoder: TfjsEncoder; adapter: string } | { backend: 'wasm'; wasmEncoder: WasmEncoder; threads: number } | { backend: 'cpu' };

type Progress = (fraction: number, message: string, rate?: { cellsPerSecond: number; secondsLeft: number }) => void;

export class GrnSession {
  private genes: GeneEmbeddingSet | null = null;
  private scores: NumericColumn[] = [];

  constructor(
    private readonly session: AnalysisSession,
    private readonly ensemblMap: () => Promise<Map<string, string>>,
  ) {}

  async programs(model: LoadedModel, params: ProgramsParams, signal: AbortSignal, onProgress: Progress): Promise<ProgramsResult> {
    const started = performance.now();
    const ds = this.session.ds;
    const run = await runGenePrograms(ds, model, {
      nHvg: params.nHvg,
      k: params.k,
      resolution: params.resolution,
      minSize: params.minSize,
      seed: params.seed,
      geneColumn: params.geneColumn,
      ensemblToSymbol: await this.ensemblMap(),
      layout: true,
      signal,
      onProgress: (f, m) => onProgress(0.9 * f, m),
    });
    const set = run.embedded.set;
    onProgress(0.9, 'edges of the gene network');
    const edges = await cosineEdges(set, { threshold: params.edgeThreshold, maxPerNode: EDGES_PER_GENE, signal });
    this.genes = set;
    this.scores = run.scores!.columns;
    // A new run's programs replace the last run's columns (their numbers mean other genes now).
    this.session.replaceColumns(this.scores, (name) => PROGRAM_COLUMN.test(name));
    const r = run.programs;
    return {
      genes: r.genes,
      program: r.membership,
      programs: r.programs.map((p) => ({ id: p.id, genes: p.genes, column: `program_${p.id}_score` })),
      layout: r.layout,
      edges: { source: Uint32Array.from(edges.source), target: Uint32Array.from(edges.target), weight: edges.weight },
      model: model.description,
      genesNote: `the ${r.genes.length.toLocaleString('en-US')} most variable of ${run.vocab.matched.toLocaleString('en-US')} genes in the vocabulary, ${run.input.reason}`,
      seconds: (performance.now() - started) / 1000,
    };
  }

  similar(gene: string, k: number): { gene: string; cosine: number }[] {
    if (!this.genes) throw new Error('find gene programs first: similar genes come from their embeddings');
    if (!this.genes.genes.includes(gene)) throw new Error(`${gene} is not among the ${this.genes.genes.length} genes of the programs`);
    return similarGenes(this.genes, gene, k).map((s) => ({ gene: s.gene, cosine: s.cosine }));
  }

  /** Mean program score per category, as the matrix plot draws genes by groups (programs across). */
  heatmap(groupBy: string): GroupMeans {
    if (this.scores.length === 0) throw new Error('find gene programs first');
    const col = this.session.ds.obs.columns.find((c) => c.name === groupBy);
    if (!col || col.kind !== 'categorical') throw new Error(`"${groupBy}" is not a categorical obs column`);
    const t = programGroupMeans(this.scores, col);
    const p = t.programs.length;
    const g = t.groups.length;
    // The table is [programs, groups]; the plot's is [groups, genes].
    const mean = new Float64Array(g * p);
    for (let i = 0; i < p; i++) for (let j = 0; j < g; j++) mean[j * p + i] = t.means[i * g + j];
    return { groups: t.groups, genes: t.programs.map((n) => n.replace(/_score$/, '')), mean };
  }

  async attention(model: LoadedModel, params: AttentionParams, device: ModelDevice, signal: AbortSignal, onProgress: Progress): Promise<AttentionResult> {
    const ds = this.session.ds;
    const a = this.cells(params.a, null);
    const b = this.cells(params.b, a);
    const ensemblToSymbol = await this.ensemblMap();
    onProgress(0, 'choosing the gene panel');
    const panel = await choosePanel(ds, model, { tfs: params.tfs, nHvg: params.nHvg, cellsA: a.cells, cellsB: b.cells, geneColumn: params.geneColumn, ensemblToSymbol, signal });
    const r = await attentionGrn(ds, model, {
      cellsA: a.cells,
      cellsB: b.cells,
      panel,
      layer: params.layer,
      ...device,
      geneColumn: params.geneColumn,
      ensemblToSymbol,
      seed: params.seed,
      signal,
      onProgress: (done, total, cellsPerSec) =>
        onProgress(done / total, `${Math.floor(done).toLocaleString('en-US')} / ${total.toLocaleString('en-US')} cells`, { cellsPerSecond: cellsPerSec, secondsLeft: (total - done) / Math.max(cellsPerSec, 1e-9) }),
    });
    return { panel: r.panel, m: r.m, meanA: r.meanA, meanB: r.meanB, nA: r.nA, nB: r.nB, labelA: a.label, labelB: b.label, layer: r.layer, encoder: r.backend, model: model.description, seconds: r.seconds };
  }

  /** Rows of one side; "rest" is every cell not on the other side. */
  private cells(g: CellGroup, other: { cells: Int32Array } | null): { cells: Int32Array; label: string } {
    const ds = this.session.ds;
    if (g.kind === 'category') return { cells: groupCells(ds, g.column, g.value), label: `${g.column} = ${g.value}` };
    if (g.kind === 'selection') {
      if (g.mask.length !== ds.nObs) throw new DatasetError('shape-mismatch', ds.fileName, `the selection has ${g.mask.length} cells but the dataset ${ds.nObs}: select again`);
      const cells: number[] = [];
      g.mask.forEach((v, i) => v && cells.push(i));
      return { cells: Int32Array.from(cells), label: 'the selection' };
    }
    if (!other) throw new Error('group A cannot be "the rest"');
    const taken = new Uint8Array(ds.nObs);
    for (const c of other.cells) taken[c] = 1;
    const cells: number[] = [];
    taken.forEach((v, i) => v || cells.push(i));
    return { cells: Int32Array.from(cells), label: 'the rest' };
  }
}
