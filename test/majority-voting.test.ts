// Majority voting as CellTypist's Classifier.majority_vote: the rule itself (ties, min_prop,
// unlabelled cells) and, on random labels with many ties, the same answer as CellTypist's own
// pandas code (crosstab, idxmax, astype(str)) run by Debian's python3.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { compareCodePoints, HETEROGENEOUS, majorityVote, sortedCategorical } from '../src/analysis/majority-voting.ts';
import { mulberry32 } from '../src/model/random.ts';

const PYTHON = '/usr/bin/python3';
const hasPandas = spawnSync(PYTHON, ['-c', 'import pandas'], { encoding: 'utf8' }).status === 0;

describe('majority voting', () => {
  it('each cluster takes its most frequent label; ties go to the label that sorts first', () => {
    const labels = sortedCategorical(['b', 'a', 'b', 'a', 'c', 'c', 'c', 'a']);
    const clusters = { codes: Int32Array.of(0, 0, 0, 0, 1, 1, 2, 2), categories: ['k0', 'k1', 'k2'] };
    const v = majorityVote(labels, clusters);
    // k0: a 2, b 2 -> a; k1: c; k2: c 1, a 1 -> a.
    expect(Array.from(v.codes, (c) => v.categories[c])).toEqual(['a', 'a', 'a', 'a', 'c', 'c', 'a', 'a']);
    expect(v.categories).toEqual(['a', 'c']);
    expect(v.perCluster).toEqual([
      { cluster: 'k0', label: 'a', share: 0.5, cells: 4 },
      { cluster: 'k1', label: 'c', share: 1, cells: 2 },
      { cluster: 'k2', label: 'a', share: 0.5, cells: 2 },
    ]);
  });

  it("the tie rule follows the labels' sorted order, not the order of their categories", () => {
    const labels = { codes: Int32Array.of(0, 1), categories: ['zeta', 'alpha'] };
    const v = majorityVote(labels, { codes: Int32Array.of(0, 0), categories: ['0'] });
    expect(v.categories[v.codes[0]]).toBe('alpha');
  });

  it("min_prop: a cluster whose top label holds less is 'Heterogeneous'; unlabelled cells do not vote", () => {
    const labels = sortedCategorical(['a', 'a', 'b', 'c', 'a', 'b']);
    labels.codes[5] = -1;
    const clusters = { codes: Int32Array.of(0, 0, 0, 0, 1, 1), categories: ['0', '1'] };
    const v = majorityVote(labels, clusters, 0.6);
    expect(Array.from(v.codes, (c) => v.categories[c])).toEqual([HETEROGENEOUS, HETEROGENEOUS, HETEROGENEOUS, HETEROGENEOUS, 'a', 'a']);
    expect(v.perCluster[1]).toEqual({ cluster: '1', label: 'a', share: 1, cells: 2 });
  });

  it('refuses a cell without a cluster, naming the column', () => {
    const labels = sortedCategorical(['a', 'b']);
    expect(() => majorityVote(labels, { codes: Int32Array.of(0, -1), categories: ['0'] }, 0, 'louvain')).toThrow(/cell 1 has no value in louvain/);
  });

  it('sorts as Python does (by code point), not by UTF-16 unit', () => {
    expect(['\u{1F9EC}', '\uFF21', 'B'].sort(compareCodePoints)).toEqual(['B', '\uFF21', '\u{1F9EC}']);
  });

  it.skipIf(!hasPandas)("agrees with CellTypist's pandas code on random labels full of ties", () => {
    const rand = mulberry32(7);
    const names = ['T cell', 'B cell', 'NK', 'Mono', 'DC', 'b cell', 'Ünassigned'];
    const n = 600;
    const lab = Array.from({ length: n }, () => names[Math.floor(rand() * names.length)]);
    const clu = Array.from({ length: n }, () => String(Math.floor(rand() * 150)));
    const code = `
import json, sys
import numpy as np, pandas as pd
d = json.load(sys.stdin)
pred = pd.DataFrame({'predicted_labels': pd.Series(d['labels'], dtype='category')})
oc = np.array(d['clusters'])
votes = pd.crosstab(pred['predicted_labels'], oc)
majority = votes.idxmax(axis=0).astype(str)
freqs = (votes / votes.sum(axis=0).values).max(axis=0)
majority[freqs < d['min_prop']] = 'Heterogeneous'
majority = majority[oc].reset_index()
print(json.dumps(list(majority.iloc[:, 1])))
`;
    for (const minProp of [0, 0.4]) {
      const r = spawnSync(PYTHON, ['-c', code], { input: JSON.stringify({ labels: lab, clusters: clu, min_prop: minProp }), encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      const want = JSON.parse(r.stdout) as string[];
      const clusters = sortedCategorical(clu);
      const v = majorityVote(sortedCategorical(lab), clusters, minProp);
      expect(Array.from(v.codes, (c) => v.categories[c])).toEqual(want);
    }
  });
});
