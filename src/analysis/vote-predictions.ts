// Majority voting after any annotation method (kNN, logistic regression, scGPT's head, CellTypist
// models), as CellTypist's annotate(majority_voting=True): the query's cells are over-clustered (an
// obs column, or CellTypist's own over-clustering: Leiden at a high resolution on the query's
// graph, over-cluster.ts) and each over-cluster takes the label most of its cells were predicted
// (majority-voting.ts). One naming scheme for every method: <stem>over_clustering and
// <stem>majority_voting, the stem being CellTypist's prefix for its models and "predicted_NAME_"
// for the label-transfer methods. With known labels the voted labels are evaluated as the per-cell
// ones are.
import type { CategoricalColumn, Column, Dataset } from '../io/types.ts';
import type { WorkerPool } from '../parallel/pool.ts';
import type { SparseGraph } from './connectivities.ts';
import { evaluatePredictions, type MappingEvaluation } from './evaluation.ts';
import { compareCodePoints, HETEROGENEOUS, majorityVote, sortedCategorical, type Categorical } from './majority-voting.ts';
import { overCluster, type OverClusterInput } from './over-cluster.ts';

export interface VotingParams {
  majorityVoting: boolean;
  /** obs column holding an over-clustering (categorical); null: CellTypist's Leiden over-clustering. */
  overClustering: string | null;
  /** An over-cluster whose top label holds less than this share of its voting cells is 'Heterogeneous'. */
  minProp: number;
}

export const DEFAULT_VOTING: VotingParams = { majorityVoting: false, overClustering: null, minProp: 0 };

/** CellTypist's rule: a query of 50 cells or fewer is too small to over-cluster; no voting then. */
export const MIN_VOTING_CELLS = 51;

export interface VoteReport {
  /** The per-cell prediction that voted. */
  predictedColumn: string;
  votedColumn: string;
  overClusteringColumn: string;
  /** Where the over-clustering came from (a column, or Leiden at a resolution on a graph). */
  overClustering: string;
  nClusters: number;
  /** Query cells (each got its over-cluster's label) and those whose label voted. */
  nCells: number;
  nVoters: number;
  /** Labels whose cells did not vote (e.g. 'unassigned'). */
  abstain: string[];
  minProp: number;
  /** Over-clusters whose top label held less than minProp of their votes. */
  heterogeneous: number;
  /** Over-clusters without a single vote (all their cells unassigned or without a prediction). */
  noVotes: number;
  /** Query cells whose voted label differs from their own prediction. */
  changed: number;
  perLabel: { label: string; count: number }[];
  /** The voted labels against known ones (the held-out half, or the query's own label column). */
  evaluation?: MappingEvaluation;
}

/** Parameters as a form holds them, to send: the over-clustering chosen is dropped when voting is off (checkVoting refuses one then). */
export function votingRequest<T extends VotingParams>(v: T): T {
  return v.majorityVoting ? v : { ...v, overClustering: null };
}

/** The columns voting adds after a prediction: `${stem}over_clustering` and `${stem}majority_voting`. */
export function votingColumnNames(stem: string): { overClustering: string; voted: string } {
  return { overClustering: `${stem}over_clustering`, voted: `${stem}majority_voting` };
}

/**
 * Checks the voting parameters before anything is computed and returns the given over-clustering
 * (null: the automatic one, or no voting). `what` names the setting in messages ('--over-clustering'
 * on the command line); `cells` are the query's cells, each of which needs a cluster.
 */
export function checkVoting(ds: Dataset, v: VotingParams, cells: Uint8Array | null = null, what = { overClustering: 'the over-clustering', minProp: 'the minimum proportion (min_prop)', voting: 'majority voting' }): Categorical | null {
  if (!(v.minProp >= 0 && v.minProp <= 1)) throw new RangeError(`${what.minProp} must be between 0 and 1, got ${v.minProp}: it is the share of an over-cluster's votes its top label needs`);
  if (v.overClustering !== null && !v.majorityVoting) throw new Error(`${what.overClustering} ("${v.overClustering}") is only used by ${what.voting}: turn ${what.voting} on, or leave ${what.overClustering} out`);
  if (!v.majorityVoting || v.overClustering === null) return null;
  const name = v.overClustering;
  const col = ds.obs.columns.find((c) => c.name === name);
  const choices = ds.obs.columns.filter((c) => c.kind !== 'numeric').map((c) => c.name).slice(0, 8);
  const fix = `give a categorical obs column${choices.length ? ` (${ds.fileName} has ${choices.join(', ')})` : ''}, or leave ${what.overClustering} out for CellTypist's over-clustering (Leiden on the query's graph)`;
  if (!col) throw new Error(`${what.overClustering} "${name}": ${ds.fileName} has no such obs column; ${fix}`);
  if (col.kind === 'numeric') throw new Error(`${what.overClustering} "${name}": this obs column of ${ds.fileName} holds numbers, not clusters; ${fix}`);
  const clusters: Categorical = col.kind === 'categorical' ? { codes: col.codes, categories: col.categories } : sortedCategorical(col.values);
  for (let i = 0; i < clusters.codes.length; i++) {
    if (cells && !cells[i]) continue;
    if (clusters.codes[i] < 0 || (col.kind === 'string' && col.values[i] === '')) {
      throw new Error(`${what.overClustering} "${name}": cell ${ds.obs.index[i] ?? i} of ${ds.fileName} has no value in it, and every query cell needs a cluster to take its vote; ${fix}`);
    }
  }
  return clusters;
}

export interface VoteOptions {
  /** The query's cells (null: every cell); outside them the voted column repeats the prediction. */
  cells?: Uint8Array | null;
  /** Column names' stem (see votingColumnNames). */
  stem: string;
  /** Labels that do not vote (the label-transfer methods' 'unassigned'); their cells still take their cluster's label. */
  abstain?: readonly string[];
  /** The label of an over-cluster none of whose cells voted (default 'Heterogeneous'). */
  noVotes?: string;
  /**
   * The voted column's categories: 'prediction' (default): the prediction's, in its order (the same
   * colours in both columns), then any new one ('Heterogeneous'); 'sorted': the labels it holds,
   * sorted, as pandas' astype('category') makes CellTypist's majority_voting.
   */
  categories?: 'prediction' | 'sorted';
  /** checkVoting's answer. */
  given: Categorical | null;
  /** The query's expression, for the automatic over-clustering when there is neither a graph nor X_pca. */
  input: () => OverClusterInput;
  /** The dataset's neighbourhood graph over all its cells (the pipeline's), when it has one. */
  graph?: SparseGraph | null;
  /** Known labels to evaluate the voted ones against, and `evaluateCells` (null: every query cell with a label). */
  truth?: Pick<CategoricalColumn, 'name' | 'codes' | 'categories'> | null;
  evaluateCells?: Uint8Array | null;
  /** The label evaluation counts as no prediction. */
  unassigned?: string;
  signal?: AbortSignal;
  onProgress?: (fraction: number, message: string) => void;
  pool?: WorkerPool | null;
}

export type VoteResult = { columns: Column[]; report: VoteReport; warning: null } | { columns: []; report: null; warning: string };

/**
 * Votes `predicted` (per cell) over the over-clustering of the query's cells. Returns the over-
 * clustering and voted columns (not yet added), or, for a query of 50 cells or fewer, a warning.
 */
export async function votePredictions(ds: Dataset, predicted: Pick<CategoricalColumn, 'name' | 'codes' | 'categories'>, v: VotingParams, o: VoteOptions): Promise<VoteResult> {
  const cells = o.cells ?? null;
  const rows = cells ? Int32Array.from(cells.keys()).filter((i) => cells[i] === 1) : Int32Array.from(ds.obs.index.keys());
  const n = rows.length;
  if (n < MIN_VOTING_CELLS) return { columns: [], report: null, warning: `${n} cells are too few to over-cluster properly; no majority voting was done (CellTypist's rule: more than 50 cells)` };
  let clusters: Categorical;
  let source: string;
  if (o.given) {
    clusters = o.given;
    source = `obs column ${v.overClustering}`;
  } else {
    o.onProgress?.(0, 'over-clustering the query');
    const oc = await overCluster(ds, o.input, { graph: o.graph, cells, signal: o.signal, pool: o.pool, onProgress: o.onProgress });
    clusters = { codes: oc.codes, categories: Array.from({ length: oc.nClusters }, (_, i) => String(i)) };
    source = `Leiden at resolution ${oc.resolution} (CellTypist's for ${n.toLocaleString('en-US')} cells) on ${oc.graphSource}`;
  }
  const abstain = new Set(o.abstain ?? []);
  const voteCode = predicted.categories.map((c) => (abstain.has(c) ? -1 : 0));
  const labels: Categorical = { codes: Int32Array.from(rows, (r) => (predicted.codes[r] >= 0 && voteCode[predicted.codes[r]] === 0 ? predicted.codes[r] : -1)), categories: predicted.categories };
  const local: Categorical = { codes: Int32Array.from(rows, (r) => clusters.codes[r]), categories: clusters.categories };
  const vote = majorityVote(labels, local, v.minProp, v.overClustering ?? 'the over-clustering', o.noVotes ?? HETEROGENEOUS);

  // The prediction's categories, in its order (the same colours for both columns), then any new label.
  const categories = [...predicted.categories];
  const index = new Map(categories.map((c, i) => [c, i]));
  const codeOf = (label: string) => {
    let c = index.get(label);
    if (c === undefined) {
      c = categories.push(label) - 1;
      index.set(label, c);
    }
    return c;
  };
  let voted = Int32Array.from(predicted.codes);
  const overCodes = new Int32Array(ds.nObs).fill(-1);
  let changed = 0;
  rows.forEach((r, j) => {
    voted[r] = codeOf(vote.categories[vote.codes[j]]);
    overCodes[r] = clusters.codes[r];
    if (voted[r] !== predicted.codes[r]) changed++;
  });
  if (o.categories === 'sorted') {
    const used = [...new Set(voted)].filter((c) => c >= 0).map((c) => categories[c]).sort(compareCodePoints);
    const at = new Map(used.map((c, i) => [c, i]));
    voted = voted.map((c) => (c >= 0 ? at.get(categories[c])! : -1));
    categories.splice(0, categories.length, ...used);
  }
  const names = votingColumnNames(o.stem);
  const columns: Column[] = [
    { kind: 'categorical', name: names.overClustering, codes: overCodes, categories: [...clusters.categories], ordered: false, dtype: 'category' },
    { kind: 'categorical', name: names.voted, codes: voted, categories, ordered: false, dtype: 'category' },
  ];
  const count = new Float64Array(categories.length);
  for (const r of rows) count[voted[r]]++;
  const report: VoteReport = {
    predictedColumn: predicted.name,
    votedColumn: names.voted,
    overClusteringColumn: names.overClustering,
    overClustering: source,
    nClusters: vote.perCluster.length,
    nCells: n,
    nVoters: labels.codes.reduce((s, c) => s + (c >= 0 ? 1 : 0), 0),
    abstain: [...abstain],
    minProp: v.minProp,
    heterogeneous: vote.perCluster.filter((k) => k.label === HETEROGENEOUS && k.share > 0).length,
    noVotes: vote.perCluster.filter((k) => k.share === 0).length,
    changed,
    perLabel: categories.map((label, c) => ({ label, count: count[c] })).filter((l) => l.count > 0).sort((a, b) => b.count - a.count),
  };
  if (o.truth) report.evaluation = evaluatePredictions(o.truth, columns[1] as CategoricalColumn, o.evaluateCells ?? cells, o.unassigned ?? 'unassigned');
  return { columns, report, warning: null };
}
