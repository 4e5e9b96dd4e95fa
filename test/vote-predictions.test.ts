// The voting step every annotation method shares (vote-predictions.ts), on pbmc68k_reduced: the
// vote of some query cells over an obs column checked against CellTypist's own pandas code
// (crosstab, idxmax, min_prop) with 'unassigned' left out of the vote; cells outside the query
// keep their prediction; the over-clustering of only the query's cells; the evaluation of the voted
// labels; CellTypist's 50-cell rule; bad input refused before anything is computed; and voting
// after a within-dataset label transfer (the held-out half over-clustered on its own).
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluatePredictions } from '../src/analysis/evaluation.ts';
import { HETEROGENEOUS } from '../src/analysis/majority-voting.ts';
import { DEFAULT_MAP_PARAMS, mapWithin, UNASSIGNED } from '../src/analysis/mapping.ts';
import { inducedSubgraph, overCluster } from '../src/analysis/over-cluster.ts';
import { checkVoting, DEFAULT_VOTING, votePredictions, type VotingParams } from '../src/analysis/vote-predictions.ts';
import { CancelledError } from '../src/io/errors.ts';
import { openPaths } from '../src/io/node.ts';
import type { CategoricalColumn, Dataset } from '../src/io/types.ts';
import { mulberry32 } from '../src/model/random.ts';
import { hasShared, shared } from './helpers.ts';

const PYTHON = '/usr/bin/python3';
const hasPandas = spawnSync(PYTHON, ['-c', 'import pandas'], { encoding: 'utf8' }).status === 0;
const PBMC = shared('data/pbmc68k_reduced_with_counts.h5ad');
const ON: VotingParams = { majorityVoting: true, overClustering: null, minProp: 0 };

/** CellTypist's Classifier.majority_vote on the query cells, NaN labels dropped; a cluster without votes is 'unassigned'. */
function pandasVote(labels: (string | null)[], clusters: string[], minProp: number): string[] {
  const code = `
import json, sys
import numpy as np, pandas as pd
d = json.load(sys.stdin)
pred = pd.Series(d['labels'], dtype='object').astype('category')
oc = np.array(d['clusters'])
votes = pd.crosstab(pred, oc)
majority = votes.idxmax(axis=0).astype(str)
freqs = (votes / votes.sum(axis=0).values).max(axis=0)
majority[freqs < d['min_prop']] = 'Heterogeneous'
majority = majority.reindex(sorted(set(d['clusters']))).fillna('unassigned')
print(json.dumps([majority[c] for c in d['clusters']]))
`;
  const r = spawnSync(PYTHON, ['-c', code], { input: JSON.stringify({ labels, clusters, min_prop: minProp }), encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout) as string[];
}

const labelOf = (c: Pick<CategoricalColumn, 'codes' | 'categories'>, i: number) => (c.codes[i] >= 0 ? c.categories[c.codes[i]] : null);

describe.skipIf(!hasShared)('votePredictions', () => {
  let ds: Dataset;
  let truth: CategoricalColumn;
  let louvain: CategoricalColumn;
  beforeAll(async () => {
    ds = await openPaths([PBMC]);
    truth = ds.obs.columns.find((c) => c.name === 'bulk_labels') as CategoricalColumn;
    louvain = ds.obs.columns.find((c) => c.name === 'louvain') as CategoricalColumn;
  });
  afterAll(() => ds.close());

  /** bulk_labels with random cells 'unassigned' (and every query cell of louvain 9), as a label transfer's column. */
  function prediction(cells: Uint8Array): CategoricalColumn {
    const rand = mulberry32(3);
    const categories = [...truth.categories, UNASSIGNED];
    const U = categories.length - 1;
    const nine = louvain.categories.indexOf('9');
    const codes = Int32Array.from(truth.codes, (c, i) => (cells[i] && (rand() < 0.25 || louvain.codes[i] === nine) ? U : c));
    return { kind: 'categorical', name: 'predicted_bulk_labels', codes, categories, ordered: false, dtype: 'category' };
  }

  it.skipIf(!hasPandas)("votes the query's cells over an obs column as CellTypist's pandas code does; 'unassigned' does not vote; the rest keep their prediction", async () => {
    const cells = Uint8Array.from({ length: ds.nObs }, (_, i) => (i % 3 === 0 ? 0 : 1));
    const pred = prediction(cells);
    for (const minProp of [0, 0.7]) {
      const v = { ...ON, overClustering: 'louvain', minProp };
      const given = checkVoting(ds, v, cells);
      const r = await votePredictions(ds, pred, v, { cells, stem: 'predicted_bulk_labels_', abstain: [UNASSIGNED], noVotes: UNASSIGNED, given, input: () => ({ key: 'counts', kind: 'counts' }), truth, unassigned: UNASSIGNED });
      expect(r.warning).toBeNull();
      const [over, voted] = r.columns as CategoricalColumn[];
      expect([over.name, voted.name]).toEqual(['predicted_bulk_labels_over_clustering', 'predicted_bulk_labels_majority_voting']);
      const rows = [...cells.keys()].filter((i) => cells[i]);
      const want = pandasVote(
        rows.map((i) => (labelOf(pred, i) === UNASSIGNED ? null : labelOf(pred, i))),
        rows.map((i) => labelOf(louvain, i)!),
        minProp,
      );
      expect(rows.map((i) => labelOf(voted, i))).toEqual(want);
      // Louvain 9's query cells are all unassigned: no vote, the cluster stays unassigned.
      expect(rows.filter((i) => labelOf(louvain, i) === '9').every((i) => labelOf(voted, i) === UNASSIGNED)).toBe(true);
      // Outside the query: the prediction as it was, and no over-cluster.
      for (let i = 0; i < ds.nObs; i++) {
        if (cells[i]) expect(labelOf(over, i)).toBe(labelOf(louvain, i));
        else {
          expect(labelOf(voted, i)).toBe(labelOf(pred, i));
          expect(over.codes[i]).toBe(-1);
        }
      }
      // The prediction's categories in its order (its colours), 'Heterogeneous' after them when used.
      expect(voted.categories.slice(0, pred.categories.length)).toEqual(pred.categories);
      expect(voted.categories.length).toBe(pred.categories.length + (want.includes(HETEROGENEOUS) ? 1 : 0));
      const rep = r.report!;
      expect(rep.nCells).toBe(rows.length);
      expect(rep.nVoters).toBe(rows.filter((i) => labelOf(pred, i) !== UNASSIGNED).length);
      expect(rep.nClusters).toBe(11);
      expect(rep.noVotes).toBe(1);
      expect(rep.heterogeneous).toBe(new Set(rows.filter((_, j) => want[j] === HETEROGENEOUS).map((i) => louvain.codes[i])).size);
      expect(rep.changed).toBe(rows.filter((i) => labelOf(voted, i) !== labelOf(pred, i)).length);
      expect(rep.overClustering).toBe('obs column louvain');
      // The voted labels' evaluation: over the query's cells, against bulk_labels.
      const ok = rows.filter((i) => labelOf(voted, i) === labelOf(truth, i)).length;
      expect(rep.evaluation!.nCells).toBe(rows.length);
      expect(rep.evaluation!.accuracy).toBeCloseTo(ok / rows.length, 12);
      expect(rep.evaluation).toEqual(evaluatePredictions(truth, voted, cells, UNASSIGNED));
    }
  }, 60_000);

  it("CellTypist's over-clustering of the query's cells only: Leiden at the resolution for their number, the other cells in no cluster", async () => {
    const cells = Uint8Array.from({ length: ds.nObs }, (_, i) => (i < 400 ? 1 : 0));
    const messages: string[] = [];
    const r = await votePredictions(ds, prediction(cells), ON, { cells, stem: 'p_', abstain: [UNASSIGNED], noVotes: UNASSIGNED, given: null, input: () => ({ key: 'counts', kind: 'counts' }), onProgress: (_f, m) => messages.push(m) });
    const over = r.columns[0] as CategoricalColumn;
    expect(r.report!.overClustering).toBe("Leiden at resolution 5 (CellTypist's for 400 cells) on 10 nearest neighbours in obsm X_pca (50 components) of the 400 query cells");
    expect(messages.some((m) => m.startsWith('over-clustering'))).toBe(true);
    expect(Array.from(over.codes.subarray(400)).every((c) => c === -1)).toBe(true);
    expect(Array.from(over.codes.subarray(0, 400)).every((c) => c >= 0)).toBe(true);
    expect(r.report!.nClusters).toBeGreaterThan(11);
    // The same over-clustering as the query's cells alone would get: run it on them directly.
    const alone = await overCluster(ds, { key: 'counts', kind: 'counts' }, { cells });
    expect(Array.from(over.codes)).toEqual(Array.from(alone.codes));
    // Same input, same seed: the same clusters.
    const again = await votePredictions(ds, prediction(cells), ON, { cells, stem: 'p_', abstain: [UNASSIGNED], noVotes: UNASSIGNED, given: null, input: () => ({ key: 'counts', kind: 'counts' }) });
    expect(Array.from((again.columns[1] as CategoricalColumn).codes)).toEqual(Array.from((r.columns[1] as CategoricalColumn).codes));
  }, 60_000);

  it("the query's graph restricted to its cells: only edges among them, renumbered", () => {
    // 0-1, 1-2, 2-3, 0-3 (symmetric); keep 0, 2, 3.
    const g = { n: 4, indptr: Int32Array.of(0, 2, 4, 6, 8), indices: Int32Array.of(1, 3, 0, 2, 1, 3, 0, 2), data: Float32Array.of(1, 4, 1, 2, 2, 3, 4, 3) };
    const s = inducedSubgraph(g, Int32Array.of(0, 2, 3));
    expect(s.n).toBe(3);
    expect(Array.from(s.indptr)).toEqual([0, 1, 2, 4]);
    expect(Array.from(s.indices)).toEqual([2, 2, 0, 1]);
    expect(Array.from(s.data)).toEqual([4, 3, 4, 3]);
  });

  it("50 query cells or fewer: no vote, CellTypist's warning", async () => {
    const cells = Uint8Array.from({ length: ds.nObs }, (_, i) => (i < 50 ? 1 : 0));
    const r = await votePredictions(ds, prediction(cells), ON, { cells, stem: 'p_', given: null, input: () => ({ key: 'counts', kind: 'counts' }) });
    expect(r.columns).toEqual([]);
    expect(r.warning).toBe("50 cells are too few to over-cluster properly; no majority voting was done (CellTypist's rule: more than 50 cells)");
  });

  it('refuses bad input with one message naming the column or setting and the fix', () => {
    expect(() => checkVoting(ds, { ...ON, overClustering: 'clusters' })).toThrow(/the over-clustering "clusters": pbmc68k_reduced_with_counts\.h5ad has no such obs column; give a categorical obs column \(pbmc68k_reduced_with_counts\.h5ad has bulk_labels, phase, louvain\), or leave the over-clustering out/);
    expect(() => checkVoting(ds, { ...ON, overClustering: 'n_counts' })).toThrow(/"n_counts": this obs column of pbmc68k_reduced_with_counts\.h5ad holds numbers, not clusters; give a categorical obs column/);
    expect(() => checkVoting(ds, { ...ON, minProp: 1.5 })).toThrow(/min_prop\) must be between 0 and 1, got 1\.5/);
    expect(() => checkVoting(ds, { ...ON, minProp: Number.NaN })).toThrow(/between 0 and 1/);
    expect(() => checkVoting(ds, { ...DEFAULT_VOTING, overClustering: 'louvain' })).toThrow(/the over-clustering \("louvain"\) is only used by majority voting: turn majority voting on, or leave the over-clustering out/);
    // A query cell with no cluster: refused; the same hole outside the query is no matter.
    const holes: CategoricalColumn = { ...louvain, name: 'holes', codes: louvain.codes.map((c, i) => (i === 5 ? -1 : c)) };
    ds.setColumn(holes);
    expect(() => checkVoting(ds, { ...ON, overClustering: 'holes' })).toThrow(new RegExp(`cell ${ds.obs.index[5].replace(/[-]/g, '\\-')} of pbmc68k_reduced_with_counts\\.h5ad has no value in it`));
    expect(checkVoting(ds, { ...ON, overClustering: 'holes' }, Uint8Array.from({ length: ds.nObs }, (_, i) => (i === 5 ? 0 : 1)))).not.toBeNull();
    expect(checkVoting(ds, DEFAULT_VOTING)).toBeNull();
  });
});

describe.skipIf(!hasShared)('majority voting after a label transfer within one dataset', () => {
  it('the held-out half votes over its own over-clusters; voted and per-cell labels are both evaluated; the reference half gets neither', async () => {
    const ds = await openPaths([PBMC]);
    try {
      const p = { ...DEFAULT_MAP_PARAMS, method: 'knn' as const, labelColumn: 'bulk_labels', reference: 'half' as const, voting: ON };
      const progress: { f: number; m: string }[] = [];
      const { columns, report } = await mapWithin(ds, p, { onProgress: (f, m) => progress.push({ f, m }) });
      expect(columns.map((c) => c.name)).toEqual(['predicted_bulk_labels', 'predicted_bulk_labels_confidence', 'predicted_bulk_labels_split', 'predicted_bulk_labels_over_clustering', 'predicted_bulk_labels_majority_voting']);
      const split = columns[2] as CategoricalColumn;
      const over = columns[3] as CategoricalColumn;
      const voted = columns[4] as CategoricalColumn;
      const query = Uint8Array.from(split.codes, (c) => (c === 1 ? 1 : 0));
      for (let i = 0; i < ds.nObs; i++) {
        if (query[i]) continue;
        expect(over.codes[i]).toBe(-1);
        expect(voted.codes[i]).toBe(-1);
      }
      const v = report.voting!;
      expect(v.nCells).toBe(347);
      expect(v.overClustering).toMatch(/^Leiden at resolution 5 \(CellTypist's for 347 cells\) on 10 nearest neighbours in obsm X_pca \(50 components\) of the 347 query cells$/);
      // Each over-cluster's cells hold one label: the vote.
      const byCluster = new Map<number, Set<number>>();
      for (let i = 0; i < ds.nObs; i++) if (query[i]) byCluster.set(over.codes[i], (byCluster.get(over.codes[i]) ?? new Set()).add(voted.codes[i]));
      expect([...byCluster.values()].every((s) => s.size === 1)).toBe(true);
      expect(byCluster.size).toBe(v.nClusters);
      const truth = ds.obs.columns.find((c) => c.name === 'bulk_labels') as CategoricalColumn;
      expect(report.evaluation!.nCells).toBe(347);
      expect(v.evaluation!.nCells).toBe(347);
      expect(v.evaluation).toEqual(evaluatePredictions(truth, voted, query, UNASSIGNED));
      expect(v.evaluation!.accuracy).toBeGreaterThan(0.5);
      // The over-clustering reports its progress in the last fifth, after the mapping's.
      const oc = progress.filter((x) => x.m.startsWith('over-clustering'));
      expect(oc.length).toBeGreaterThan(0);
      expect(oc.every((x) => x.f >= 0.8 && x.f <= 1)).toBe(true);
      expect(progress.filter((x) => !x.m.startsWith('over-clustering')).every((x) => x.f <= 0.8)).toBe(true);
    } finally {
      ds.close();
    }
  }, 120_000);

  it('cancels during the over-clustering (the first over-clustering progress aborts it): nothing comes back', async () => {
    const ds = await openPaths([PBMC]);
    try {
      const ac = new AbortController();
      const seen: string[] = [];
      const run = mapWithin(ds, { ...DEFAULT_MAP_PARAMS, method: 'knn', labelColumn: 'bulk_labels', reference: 'half', voting: ON }, {
        signal: ac.signal,
        onProgress: (_f, m) => {
          if (m.startsWith('over-clustering')) {
            seen.push(m);
            ac.abort();
          }
        },
      });
      await expect(run).rejects.toBeInstanceOf(CancelledError);
      expect(seen.length).toBeGreaterThan(0);
      expect(ds.obs.columns.some((c) => c.name.startsWith('predicted_'))).toBe(false);
    } finally {
      ds.close();
    }
  }, 120_000);

  it('a missing over-clustering column stops the transfer before anything is computed', async () => {
    const ds = await openPaths([PBMC]);
    try {
      let calls = 0;
      await expect(mapWithin(ds, { ...DEFAULT_MAP_PARAMS, labelColumn: 'bulk_labels', reference: 'half', voting: { ...ON, overClustering: 'leiden' } }, { onProgress: () => calls++ })).rejects.toThrow(/the over-clustering "leiden": .* has no such obs column/);
      expect(calls).toBe(0);
    } finally {
      ds.close();
    }
  });
});
