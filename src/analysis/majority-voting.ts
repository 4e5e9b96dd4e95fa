// Majority voting over an over-clustering, as CellTypist's Classifier.majority_vote: every cluster
// takes the label most of its cells were given, and a cluster whose top label holds less than
// `minProp` of its cells is 'Heterogeneous'. Ties go to the label that sorts first: CellTypist
// tabulates with pandas' crosstab, whose rows are the predicted labels' categories in sorted order,
// and idxmax takes the first maximum. Any annotator's per-cell labels can be voted this way.

export const HETEROGENEOUS = 'Heterogeneous';

export interface Categorical {
  /** Per cell: index into `categories`, -1 for none. */
  codes: Int32Array;
  categories: string[];
}

export interface ClusterVote {
  cluster: string;
  label: string;
  /** The winning label's share of the cluster's labelled cells. */
  share: number;
  cells: number;
}

export interface MajorityVote extends Categorical {
  perCluster: ClusterVote[];
}

/** Python's str ordering (by code point), which pandas uses to sort categories. */
export function compareCodePoints(a: string, b: string): number {
  const ia = a[Symbol.iterator]();
  const ib = b[Symbol.iterator]();
  for (;;) {
    const x = ia.next();
    const y = ib.next();
    if (x.done || y.done) return x.done && y.done ? 0 : x.done ? -1 : 1;
    const d = x.value.codePointAt(0)! - y.value.codePointAt(0)!;
    if (d !== 0) return d;
  }
}

/** Categories of strings as pandas makes them (`astype('category')`): the sorted distinct values. */
export function sortedCategorical(values: readonly string[]): Categorical {
  const categories = [...new Set(values)].sort(compareCodePoints);
  const index = new Map(categories.map((c, i) => [c, i]));
  return { codes: Int32Array.from(values, (v) => index.get(v)!), categories };
}

/**
 * `labels` and `clusters` per cell. Cells without a label do not vote (crosstab drops them); a cell
 * without a cluster is an error, as it is in CellTypist (its cluster has no majority to take). A
 * cluster none of whose cells voted is `noVotes` (CellTypist, where every cell votes, never has one).
 */
export function majorityVote(labels: Categorical, clusters: Categorical, minProp = 0, clusterColumn = 'over-clustering', noVotes = HETEROGENEOUS): MajorityVote {
  const n = labels.codes.length;
  if (clusters.codes.length !== n) throw new Error(`${clusterColumn} has ${clusters.codes.length} cells but the predictions ${n}`);
  const L = labels.categories.length;
  const K = clusters.categories.length;
  // Labels in sorted order: the first with the largest count wins a tie, as idxmax does.
  const order = labels.categories.map((_, i) => i).sort((a, b) => compareCodePoints(labels.categories[a], labels.categories[b]));
  const counts = new Float64Array(K * L);
  const totals = new Float64Array(K);
  const members = new Float64Array(K);
  for (let i = 0; i < n; i++) {
    const k = clusters.codes[i];
    if (k < 0 || k >= K) throw new Error(`cell ${i} has no value in ${clusterColumn}: every cell needs a cluster for majority voting`);
    members[k]++;
    const l = labels.codes[i];
    if (l < 0) continue;
    counts[k * L + l]++;
    totals[k]++;
  }
  const winner = new Array<string>(K);
  const perCluster: ClusterVote[] = [];
  for (let k = 0; k < K; k++) {
    if (members[k] === 0) continue;
    let best = -1;
    for (const l of order) if (best < 0 || counts[k * L + l] > counts[k * L + best]) best = l;
    const share = totals[k] > 0 ? counts[k * L + best] / totals[k] : 0;
    const label = totals[k] === 0 ? noVotes : share < minProp ? HETEROGENEOUS : labels.categories[best];
    winner[k] = label;
    perCluster.push({ cluster: clusters.categories[k], label, share, cells: members[k] });
  }
  const out = sortedCategorical(Array.from(clusters.codes, (k) => winner[k]));
  return { ...out, perCluster };
}
