// score_genes against a numpy/pandas restatement of scanpy's code (test/reference/
// score_genes_reference.py, run by the system python), and our numpy legacy generator against numpy.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { CsrArrays } from '../src/io/csr.ts';
import { encodeNpy } from '../src/io/npy.ts';
import { LegacyRandomState } from '../src/analysis/numpy-random.ts';
import { programGroupMeans, programScores } from '../src/analysis/program-scores.ts';
import { minMaxScale, scoreGenes } from '../src/analysis/score-genes.ts';
import { mulberry32 } from '../src/model/random.ts';
import { hasPythonAnndata } from './python-anndata.ts';

/** Cells x genes log-like values: per-gene detection rates from 0 (all-zero columns, tied means) to 0.9. */
function synthetic(nRows: number, nCols: number, seed: number): CsrArrays {
  const rng = mulberry32(seed);
  const rate = Float64Array.from({ length: nCols }, (_, g) => (g % 37 === 0 ? 0 : rng() ** 2 * 0.9));
  const scale = Float64Array.from({ length: nCols }, () => 0.5 + 3 * rng());
  const indptr = new Float64Array(nRows + 1);
  const idx: number[] = [];
  const val: number[] = [];
  for (let r = 0; r < nRows; r++) {
    for (let g = 0; g < nCols; g++) {
      if (rng() < rate[g]) {
        idx.push(g);
        val.push(Math.log1p(scale[g] * (1 + 10 * rng())));
      }
    }
    indptr[r + 1] = idx.length;
  }
  return { nRows, nCols, indptr, indices: Uint32Array.from(idx), data: Float32Array.from(val) };
}

interface Case {
  genes: number[];
  pool: number[] | null;
  ctrl_size: number;
  n_bins: number;
  seed: number;
}

const CASES: Case[] = [
  { genes: Array.from({ length: 20 }, (_, i) => 7 + i * 29), pool: null, ctrl_size: 50, n_bins: 25, seed: 0 },
  // An all-zero gene (column 0) in the set: its bin is the tied-at-zero bin.
  { genes: [0, 5, 11, 300, 399], pool: Array.from({ length: 400 }, (_, i) => i), ctrl_size: 10, n_bins: 25, seed: 3 },
  // A pool of 10 genes: round(10 / 24) = 0 items per bin, every gene in one bin (pandas divides by zero).
  { genes: [1, 2], pool: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], ctrl_size: 50, n_bins: 25, seed: 0 },
  // Fewer bins, larger controls, the seed scanpy users also pass.
  { genes: [40, 41, 42, 43, 44, 45, 46, 47], pool: null, ctrl_size: 100, n_bins: 10, seed: 42 },
];

const PERMUTATIONS = [
  { seed: 0, sizes: [1, 2, 10, 97, 1000] },
  { seed: 42, sizes: [50, 3000] },
  { seed: 4294967295, sizes: [5, 624, 625] },
];

function runReference(m: CsrArrays): { cases: { control: number[]; scores: number[] }[]; permutations: number[][][] } {
  const dir = mkdtempSync(join(tmpdir(), 'scweb-score-genes-'));
  writeFileSync(join(dir, 'indptr.json'), JSON.stringify(Array.from(m.indptr)));
  writeFileSync(join(dir, 'indices.json'), JSON.stringify(Array.from(m.indices)));
  writeFileSync(join(dir, 'data.npy'), encodeNpy(Float32Array.from(m.data), [m.data.length]));
  writeFileSync(join(dir, 'shape.json'), JSON.stringify([m.nRows, m.nCols]));
  writeFileSync(join(dir, 'cases.json'), JSON.stringify({ score: CASES, permutations: PERMUTATIONS }));
  const script = fileURLToPath(new URL('reference/score_genes_reference.py', import.meta.url));
  const r = spawnSync('/usr/bin/python3', [script, dir], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`score_genes reference failed:\n${r.stderr}`);
  return JSON.parse(r.stdout);
}

describe.runIf(hasPythonAnndata())('score_genes as scanpy computes it', () => {
  const m = synthetic(300, 600, 11);
  const ref = runReference(m);

  it("numpy's legacy permutation, draw for draw", () => {
    PERMUTATIONS.forEach((p, i) => {
      const rs = new LegacyRandomState(p.seed);
      p.sizes.forEach((n, j) => expect(Array.from(rs.permutation(n))).toEqual(ref.permutations[i][j]));
    });
  });

  it('the same control genes and scores as the restatement of scanpy', () => {
    CASES.forEach((c, i) => {
      const ours = scoreGenes(m, c.genes, { ctrlSize: c.ctrl_size, nBins: c.n_bins, seed: c.seed, pool: c.pool ?? undefined });
      expect(Array.from(ours.control), `case ${i} control genes`).toEqual(ref.cases[i].control);
      let worst = 0;
      ours.scores.forEach((v, r) => (worst = Math.max(worst, Math.abs(v - ref.cases[i].scores[r]))));
      expect(worst, `case ${i} scores`).toBeLessThan(1e-12);
    });
    // The first case samples (more than 50 genes per bin), so equal controls mean equal draws.
    expect(ref.cases[0].control.length).toBeGreaterThan(50);
  });

  it('program scores: one score_genes per program, re-seeded, min-max scaled; heatmap means per category', async () => {
    const genes = Array.from({ length: m.nCols }, (_, g) => `G${g}`);
    const programs = [
      { id: 0, genes: CASES[0].genes.map((g) => `G${g}`) },
      { id: 1, genes: CASES[3].genes.map((g) => `G${g}`) },
    ];
    const { columns, details } = await programScores({ matrix: m, genes }, programs, { seed: 0 });
    expect(columns.map((c) => c.name)).toEqual(['program_0_score', 'program_1_score']);
    // One pass for all programs gives each program's own score_genes, bit for bit.
    [CASES[0], CASES[3]].forEach((c, p) => {
      const alone = scoreGenes(m, c.genes, { seed: 0 });
      expect(Array.from(details[p].raw)).toEqual(Array.from(alone.scores));
      expect(details[p].control).toEqual(Array.from(alone.control, (g) => `G${g}`));
      expect(Array.from(columns[p].values)).toEqual(Array.from(minMaxScale(alone.scores)));
    });
    for (const c of columns) {
      expect(Math.min(...c.values)).toBe(0);
      expect(Math.max(...c.values)).toBeCloseTo(1, 12);
    }
    const codes = Int32Array.from({ length: m.nRows }, (_, i) => (i % 7 === 0 ? -1 : i % 3));
    const t = programGroupMeans(columns, { kind: 'categorical', name: 'grp', codes, categories: ['a', 'b', 'c', 'empty'], ordered: false, dtype: 'category' });
    expect(t.groups).toEqual(['a', 'b', 'c', 'empty']);
    let sum = 0;
    let n = 0;
    codes.forEach((c, i) => {
      if (c === 1) {
        sum += columns[1].values[i];
        n++;
      }
    });
    expect(t.counts[1]).toBe(n);
    expect(t.means[1 * 4 + 1]).toBeCloseTo(sum / n, 12);
    expect(Number.isNaN(t.means[3])).toBe(true);
  });

  it('a program whose genes are the whole pool has no controls: 0 everywhere, with the reason', async () => {
    const { columns, details } = await programScores({ matrix: m, genes: Array.from({ length: m.nCols }, (_, g) => `G${g}`) }, [{ id: 3, genes: ['G1', 'G2'] }], { pool: ['G1', 'G2'] });
    expect(details[0].error).toMatch(/no control genes/);
    expect(columns[0].values.every((v) => v === 0)).toBe(true);
  });
});

describe('score_genes input checks', () => {
  it('names the gene that is not a column', async () => {
    const m = synthetic(10, 20, 1);
    await expect(programScores({ matrix: m, genes: Array.from({ length: 20 }, (_, g) => `G${g}`) }, [{ id: 0, genes: ['G1', 'NOPE'] }])).rejects.toThrow(/"NOPE" is not a column/);
  });
  it('min-max scaling of a constant column is 0, as sklearn', () => {
    expect(Array.from(minMaxScale(Float64Array.from([2, 2, 2])))).toEqual([0, 0, 0]);
  });
});
