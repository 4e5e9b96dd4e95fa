// Several files opened as one dataset, compared with anndata.concat(label='sample',
// index_unique='-') of the same files in Python: obs names, obs/sample, var names and the counts,
// for the inner and the outer join, for two parts of pbmc68k and for the 10x v3 .h5 beside its own
// MatrixMarket folder. Bad inputs are refused naming the files.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { geneSums } from '../src/analysis/expression.ts';
import { nodePool } from '../src/analysis/pool-node.ts';
import { qcMetrics } from '../src/analysis/qc.ts';
import { JOINED_COUNTS_KEY } from '../src/io/concat.ts';
import { DatasetError } from '../src/io/errors.ts';
import { openInputs, openPaths } from '../src/io/node.ts';
import { nodeH5Runtime } from '../src/io/h5/node-runtime.ts';
import { writeSnapshot } from '../src/io/h5ad/snapshot.ts';
import { summarize } from '../src/io/summary.ts';
import { AnalysisSession, type SessionResources } from '../src/workers/analysis-session.ts';
import type { CategoricalColumn, Column, Dataset } from '../src/io/types.ts';
import { hasShared, shared } from './helpers.ts';
import { hasPythonAnndata } from './python-anndata.ts';

const dir = mkdtempSync(join(tmpdir(), 'scweb-concat-'));
const run = hasShared && hasPythonAnndata();
const pool = nodePool(2);
afterAll(() => {
  pool?.terminate();
  rmSync(dir, { recursive: true, force: true });
});

interface Expected {
  obs_names: string[];
  sample: string[];
  var_names: string[];
  X: { indptr: number[]; indices: number[]; data: number[] };
  obs: Record<string, (string | null)[]>;
}

const expected = (name: string) => JSON.parse(readFileSync(join(dir, `expected_${name}.json`), 'utf8')) as Expected;
const f = (name: string) => join(dir, name);

/** The whole matrix as CSR with each row's entries sorted by gene (float64 values). */
function sortedCsr(ds: Dataset, key: string) {
  const c = ds.readRows(key, 0, ds.nObs);
  const indptr = [0];
  const indices: number[] = [];
  const data: number[] = [];
  for (let r = 0; r < ds.nObs; r++) {
    const row: [number, number][] = [];
    for (let e = c.indptr[r]; e < c.indptr[r + 1]; e++) row.push([c.indices[e], c.data[e]]);
    row.sort((x, y) => x[0] - y[0]);
    for (const [j, v] of row) {
      indices.push(j);
      data.push(v);
    }
    indptr.push(indices.length);
  }
  return { indptr, indices, data };
}

function text(c: Column | undefined, i: number): string | null {
  if (!c) return null;
  if (c.kind === 'categorical') return c.codes[i] < 0 ? null : c.categories[c.codes[i]];
  if (c.kind === 'string') return c.values[i];
  return Number.isNaN(c.values[i]) ? null : String(c.values[i]);
}

function expectLikeAnndata(ds: Dataset, exp: Expected): void {
  expect(ds.obs.index).toEqual(exp.obs_names);
  const sample = ds.obs.columns.find((c) => c.name === 'sample') as CategoricalColumn;
  expect(sample.kind).toBe('categorical');
  expect(Array.from(sample.codes, (k) => sample.categories[k])).toEqual(exp.sample);
  expect(ds.var.index).toEqual(exp.var_names);
  expect(sortedCsr(ds, ds.countsKey!)).toEqual(exp.X);
}

describe.runIf(run)('several files as one dataset', () => {
  beforeAll(() => {
    const r = spawnSync('/usr/bin/python3', [join(__dirname, 'reference/concat_parts.py'), shared('data'), dir], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`concat_parts.py failed:\n${r.stderr}`);
  });

  it('inner join of two parts of pbmc68k equals anndata.concat: obs names (renamed: they collide), sample, genes in the first file\'s order, counts', async () => {
    const ds = await openInputs([f('a.h5ad'), f('b.h5ad')]);
    try {
      expectLikeAnndata(ds, expected('inner'));
      expect(ds.format).toBe('concat');
      expect(ds.fileName).toBe('a+b');
      expect([ds.nObs, ds.nVars]).toEqual([700, 635]);
      expect(ds.countsKey).toBe('layers/counts');
      // raw/X of each part keeps all 765 genes: not the counts' gene space, so left out.
      expect(ds.matrices.map((m) => m.key).sort()).toEqual(['X', 'layers/counts']);
      expect(ds.matrices.find((m) => m.key === 'X')!.content).toBe('signed');
      // X_pca is in both (50 columns), X_umap only in a.
      expect(ds.embeddings.map((e) => e.key)).toEqual(['X_pca']);
      const [a, b] = [await openPaths([f('a.h5ad')]), await openPaths([f('b.h5ad')])];
      const pca = ds.readEmbedding('X_pca').data;
      expect(Array.from(pca.subarray(0, 300 * 50))).toEqual(Array.from(a.readEmbedding('X_pca').data));
      expect(Array.from(pca.subarray(300 * 50))).toEqual(Array.from(b.readEmbedding('X_pca').data));
      a.close();
      b.close();
      const notes = ds.concat!.notes.join('\n');
      expect(notes).toContain('635 genes (of each file\'s: 635/700, 635/700)');
      expect(notes).toContain('X_umap');
      expect(notes).toContain("index_unique='-'");
      const s = summarize(ds);
      expect(s.samples).toEqual([
        { sample: 'a', file: 'a.h5ad', n_obs: 300, n_vars: 700, counts: 'layers/counts' },
        { sample: 'b', file: 'b.h5ad', n_obs: 400, n_vars: 700, counts: 'layers/counts' },
      ]);
      expect(s.obs.sample.categories).toEqual({ a: 300, b: 400 });
    } finally {
      ds.close();
    }
  });

  it('outer join equals anndata.concat(join="outer"): every gene sorted by name, zeros where a file lacks one; obs columns are the union', async () => {
    const ds = await openInputs([f('a.h5ad'), f('b.h5ad')], { join: 'outer' });
    try {
      const exp = expected('outer');
      expectLikeAnndata(ds, exp);
      expect(ds.nVars).toBe(765);
      for (const name of ['bulk_labels', 'phase', 'louvain', 'note', 'only_a', 'n_genes']) {
        const col = ds.obs.columns.find((c) => c.name === name);
        expect(col, name).toBeDefined();
        const got = Array.from({ length: ds.nObs }, (_, i) => text(col, i));
        // pandas writes floats its own way (1.0 vs 1): compare numbers as numbers.
        if (col!.kind === 'numeric') expect(got.map((v) => (v === null ? null : Number(v)))).toEqual(exp.obs[name].map((v) => (v === null ? null : Number(v))));
        else expect(got, name).toEqual(exp.obs[name]);
      }
      // An integer column that gains missing values becomes float64, as in pandas.
      expect(ds.obs.columns.find((c) => c.name === 'n_genes')!.kind).toBe('numeric');
      expect((ds.obs.columns.find((c) => c.name === 'louvain') as CategoricalColumn).codes[0]).toBe(-1);
    } finally {
      ds.close();
    }
  });

  it('pool workers reopen the joined files and give the same bits as this thread', async () => {
    const ds = await openInputs([f('a.h5ad'), f('b.h5ad')], { join: 'outer' });
    try {
      expect(ds.sources!.map((s) => s.path)).toEqual([f('a.h5ad'), f('b.h5ad')]);
      const key = ds.countsKey!;
      const pass = async (p: typeof pool) => {
        const o = { pool: p, valuesPerChunk: 3000 };
        const qc = await qcMetrics(ds, key, ds.var.index, o);
        const sums = await geneSums(ds, key, { kind: 'moments', keep: new Uint8Array(ds.nObs).fill(1), normalizedBy: qc.total_counts, fromLog: false }, o);
        return [qc.total_counts, qc.n_genes_by_counts, sums.sum, sums.sumSq];
      };
      const here = await pass(null);
      let readsHere = 0;
      const readRows = ds.readRows.bind(ds);
      ds.readRows = (...a) => (readsHere++, readRows(...a));
      const there = await pass(pool);
      expect(readsHere).toBe(0);
      there.forEach((a, i) => expect(Buffer.from(a.buffer).equals(Buffer.from(here[i].buffer)), `array ${i}`).toBe(true));
    } finally {
      ds.close();
    }
  });

  it('files keeping counts under different keys: obs names kept (no collision), each file\'s own counts as one matrix', async () => {
    const ds = await openInputs([f('a.h5ad'), f('c.h5ad')]);
    const [a, c] = [await openPaths([f('a.h5ad')]), await openPaths([f('c.h5ad')])];
    try {
      expect(ds.countsKey).toBe(JOINED_COUNTS_KEY);
      expect(ds.countsReason).toContain('a.h5ad layers/counts, c.h5ad X');
      expect(ds.obs.index).toEqual([...a.obs.index, ...c.obs.index]);
      // Genes in a's order (c has them all): each cell's counts are its file's, gene by gene.
      expect(ds.var.index).toEqual(a.var.index);
      const whole = ds.readRows(JOINED_COUNTS_KEY, 0, ds.nObs);
      const cIndex = new Map(c.var.index.map((g, j) => [g, j]));
      const fromA = a.readRows('layers/counts', 0, a.nObs);
      const fromC = c.readRows('X', 0, c.nObs);
      const dense = (ch: typeof whole, r: number, n: number) => {
        const row = new Float64Array(n);
        for (let e = ch.indptr[r]; e < ch.indptr[r + 1]; e++) row[ch.indices[e]] = ch.data[e];
        return row;
      };
      for (const r of [0, 150, 299]) expect(Array.from(dense(whole, r, ds.nVars))).toEqual(Array.from(dense(fromA, r, a.nVars)));
      for (const r of [0, 99, 199]) {
        const full = dense(fromC, r, c.nVars);
        expect(Array.from(dense(whole, 300 + r, ds.nVars))).toEqual(ds.var.index.map((g) => full[cIndex.get(g)!]));
      }
      // A block across the two files reads as the rows of both.
      const mid = ds.readRows(JOINED_COUNTS_KEY, 290, 310);
      expect(Array.from(dense(mid, 12, ds.nVars))).toEqual(Array.from(dense(whole, 302, ds.nVars)));
      // Choosing X as counts refuses: a's X is scaled.
      expect(() => ds.useCounts('X')).toThrow(/X holds negative values/);
    } finally {
      ds.close();
      a.close();
      c.close();
    }
  });

  it('the 10x v3 .h5 beside its MatrixMarket folder equals anndata.concat of scanpy-style reads (barcodes collide: renamed)', async () => {
    const ds = await openInputs([shared('data', '10x', 'v3_filtered_feature_bc_matrix.h5'), shared('data', '10x', 'v3_filtered_feature_bc_matrix')]);
    try {
      expectLikeAnndata(ds, expected('10x'));
      expect(ds.concat!.matchedBy).toMatch(/Ensembl ids/);
      expect(ds.concat!.parts.map((p) => p.label)).toEqual(['v3_filtered_feature_bc_matrix', 'v3_filtered_feature_bc_matrix-1']);
      // MatrixMarket text is parsed in memory: no pool worker can open it again.
      expect(ds.sources).toBeNull();
      expect(ds.var.columns.find((c) => c.name === 'gene_ids')).toBeDefined();
    } finally {
      ds.close();
    }
  });

  it('a folder of GEO-style samples (GSM1_matrix.mtx.gz, GSM2_...) opens as two samples named by prefix', async () => {
    const geo = f('geo');
    mkdirSync(geo);
    for (const name of ['matrix.mtx.gz', 'features.tsv.gz', 'barcodes.tsv.gz']) {
      for (const gsm of ['GSM1', 'GSM2']) copyFileSync(shared('data', '10x', 'v3_filtered_feature_bc_matrix', name), join(geo, `${gsm}_${name}`));
    }
    const ds = await openInputs([geo]);
    try {
      expect(ds.concat!.parts.map((p) => [p.label, p.fileName, p.nObs])).toEqual([
        ['GSM1', 'geo/GSM1_matrix.mtx.gz', 1107],
        ['GSM2', 'geo/GSM2_matrix.mtx.gz', 1107],
      ]);
      expect([ds.nObs, ds.nVars]).toEqual([2214, 507]);
      expect(ds.obs.index[1107]).toBe(`${ds.obs.index[0].replace(/-GSM1$/, '')}-GSM2`);
    } finally {
      ds.close();
    }
  });

  it('reads one gene alone where every file stores genes (CSC), equal to that gene in the rows', async () => {
    const ds = await openInputs([f('csc_a.h5ad'), f('csc_b.h5ad')], { join: 'outer' });
    try {
      const whole = ds.readRows('X', 0, ds.nObs);
      for (const j of [0, 10, 400, 764]) {
        const col = ds.readColumn!('X', j)!;
        expect(col).not.toBeNull();
        const exp: [number, number][] = [];
        for (let r = 0; r < ds.nObs; r++) for (let e = whole.indptr[r]; e < whole.indptr[r + 1]; e++) if (whole.indices[e] === j) exp.push([r, whole.data[e]]);
        expect(Array.from(col.rows)).toEqual(exp.map((x) => x[0]));
        expect(Array.from(col.values)).toEqual(exp.map((x) => x[1]));
      }
    } finally {
      ds.close();
    }
  });

  it('the app\'s session on a joined dataset: gene values as each file alone gives them (outer join: same totals), a snapshot with obs/sample', async () => {
    const resources: SessionResources = { ensemblMap: async () => new Map(), markerSets: async () => [] };
    const joined = new AnalysisSession(await openInputs([f('a.h5ad'), f('b.h5ad')], { join: 'outer' }), resources);
    const alone = [new AnalysisSession(await openPaths([f('a.h5ad')]), resources), new AnalysisSession(await openPaths([f('b.h5ad')]), resources)];
    try {
      for (const gene of ['CD3E', 'LYZ']) {
        const both = await joined.geneValues(gene);
        expect(Array.from(both.subarray(0, 300))).toEqual(Array.from(await alone[0].geneValues(gene)));
        expect(Array.from(both.subarray(300))).toEqual(Array.from(await alone[1].geneValues(gene)));
      }
      const content = await joined.snapshotContent({ genes: { kind: 'list', names: ['CD3E', 'LYZ'] }, embeddings: ['X_pca'], session: '{"scweb":1}' }, new AbortController().signal, () => {});
      const { lib } = await nodeH5Runtime();
      await writeSnapshot(lib, f('snap.h5ad'), content);
      const snap = await openPaths([f('snap.h5ad')]);
      const sample = snap.obs.columns.find((c) => c.name === 'sample') as CategoricalColumn;
      expect([snap.nObs, snap.nVars, sample.categories]).toEqual([700, 2, ['a', 'b']]);
      snap.close();
    } finally {
      for (const s of [joined, ...alone]) s.ds.close();
    }
  });

  it('refuses counts in one file and none in another, naming both', async () => {
    const err = await openInputs([f('a.h5ad'), f('nocounts.h5ad')]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatasetError);
    expect((err as DatasetError).code).toBe('incompatible');
    expect((err as Error).message).toMatch(/a\.h5ad has raw counts \(layers\/counts\) but .*nocounts\.h5ad has none/);
  });

  it('refuses files with no gene in common, naming both; the outer join of them is allowed', async () => {
    const err = await openInputs([f('a.h5ad'), f('mouse.h5ad')]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatasetError);
    expect((err as Error).message).toMatch(/a\.h5ad and .*mouse\.h5ad share no gene/);
    const outer = await openInputs([f('a.h5ad'), f('mouse.h5ad')], { join: 'outer' });
    expect(outer.nVars).toBe(1400);
    outer.close();
  });

  it('one unreadable file refuses the whole with that file\'s own error', async () => {
    const bytes = readFileSync(f('b.h5ad'));
    writeFileSync(f('cut.h5ad'), bytes.subarray(0, 100_000));
    const err = await openInputs([f('a.h5ad'), f('cut.h5ad')]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatasetError);
    expect((err as DatasetError).code).toBe('truncated');
    expect((err as Error).message).toContain('cut.h5ad');
  });

  it('cancel while opening stops between files', async () => {
    const ctl = new AbortController();
    const seen: string[] = [];
    const err = await openInputs([f('a.h5ad'), f('b.h5ad')], {
      signal: ctl.signal,
      onProgress: (_, m) => {
        seen.push(m);
        if (m.startsWith('b ')) ctl.abort();
      },
    }).catch((e: unknown) => e);
    expect((err as DatasetError).code).toBe('cancelled');
    expect(seen.some((m) => m.startsWith('a (1 of 2)'))).toBe(true);
  });
});

describe.runIf(hasShared)('joined files without counts', () => {
  it('log-normalised raw/X in every file is joined and analysed; files whose analyses read different matrices join over var', async () => {
    const logs = await openInputs([shared('data', 'pbmc68k_reduced.h5ad'), shared('data', 'format_variants', 'pbmc68k_reduced_legacy_anndata_v05.h5ad')]);
    try {
      expect(logs.countsKey).toBeNull();
      expect(summarize(logs).analysis_input?.key).toBe('raw/X');
      expect(logs.matrices.map((m) => [m.key, m.content])).toEqual([
        ['X', 'signed'],
        ['raw/X', 'non-negative'],
      ]);
      expect([logs.nObs, logs.nVars]).toEqual([1400, 765]);
    } finally {
      logs.close();
    }
    // raw/X over 230 genes in one, no raw in the other: only X over var's 20 genes is common to both.
    const mixed = await openInputs([shared('data', 'format_variants', 'soma_pbmc-small.h5ad'), shared('data', 'format_variants', 'soma_pbmc-small-x-csc.h5ad')]);
    try {
      expect(mixed.matrices.map((m) => m.key)).toEqual(['X']);
      expect(mixed.nVars).toBe(20);
    } finally {
      mixed.close();
    }
  });
});

describe('files that share few genes', () => {
  it('the inner join says how little of each file it keeps and how to keep every gene; two files of one gene set say nothing', async () => {
    const warnings: string[] = [];
    const files = ['data/pbmc68k_reduced_with_counts.h5ad', 'data/compocyte_tcells_861x1011_counts.h5ad', 'data/scimilarity_test_1000x1000_counts_nolabels.h5ad'].map((p) => shared(p));
    const ds = await openInputs(files, { onWarning: (m) => warnings.push(m) });
    const n = ds.nVars;
    ds.close();
    expect(n).toBeLessThan(50);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(`the files share only ${n} genes (the join keeps`);
    expect(warnings[0]).toContain(`${Math.round((100 * n) / 765)}% of 765 in pbmc68k_reduced_with_counts.h5ad`);
    expect(warnings[0]).toContain('compocyte_tcells_861x1011_counts.h5ad');
    expect(warnings[0]).toContain('--join outer');
    const quiet: string[] = [];
    (await openInputs([shared('data/pbmc68k_reduced_with_counts.h5ad'), shared('data/pbmc68k_reduced_with_counts.h5ad')], { onWarning: (m) => quiet.push(m) })).close();
    expect(quiet).toEqual([]);
    const outer: string[] = [];
    (await openInputs(files, { join: 'outer', onWarning: (m) => outer.push(m) })).close();
    expect(outer).toEqual([]);
  });
});
