// Issue 23 item 2: QC's gene sets (scanpy's tutorial: mt = MT-, ribo = RPS/RPL, hb = ^HB[^(P)]) are
// found by symbol, so a CELLxGENE-style file (Ensembl ids in the var index, symbols in
// var/feature_name) gets pct_counts_mt, pct_counts_ribo and pct_counts_hb, and mouse files (mt-,
// Rps/Rpl, Hb) too. The files are built by test/reference/cxg_qc.py from scvi-tools' real
// pbmc_10k_protein_v3 counts; the expected values are numpy's on the same matrix.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { DEFAULT_PARAMS, Pipeline } from '../src/analysis/pipeline.ts';
import { qcGeneSummary, qcMetrics, type QcMetrics } from '../src/analysis/qc.ts';
import { proposeQcThresholds } from '../src/analysis/qc-thresholds.ts';
import { analysisReport } from '../src/analysis/report.ts';
import { scanpyResults } from '../src/analysis/scanpy-results.ts';
import { main } from '../src/cli/main.ts';
import { openPaths } from '../src/io/node.ts';
import { loadEnsemblMap } from '../src/model/node-model.ts';
import { shared } from './helpers.ts';
import { hasPythonAnndata } from './python-anndata.ts';

interface SetExpected {
  n: number;
  genes: string[];
  total_counts: number[];
  pct_counts: number[];
}
interface FileExpected {
  total_counts: number[];
  mt: SetExpected;
  ribo: SetExpected;
  hb: SetExpected;
}

const python = hasPythonAnndata();
const dir = mkdtempSync(join(tmpdir(), 'scweb-qc-genes-'));
let expected: { n_genes: number; cxg: FileExpected; mouse: FileExpected };

beforeAll(() => {
  if (!python) return;
  const script = fileURLToPath(new URL('reference/cxg_qc.py', import.meta.url));
  const r = spawnSync('/usr/bin/python3', ['-W', 'ignore', script, shared('data'), dir], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`cxg_qc.py failed:\n${r.stderr}`);
  expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8'));
});

afterEach(() => {
  vi.restoreAllMocks();
});

function expectSetsEqualNumpy(qc: QcMetrics, want: FileExpected) {
  expect(Array.from(qc.total_counts)).toEqual(want.total_counts);
  for (const s of qc.geneSets) {
    const w = want[s.key];
    expect(s.nGenes, s.key).toBe(w.n);
    expect(s.names, s.key).toEqual(w.genes);
    // Sums of integer counts: exact in float64 whatever the order.
    expect(Array.from(s.total_counts!), `total_counts_${s.key}`).toEqual(w.total_counts);
    s.pct_counts!.forEach((v, i) => expect(v, `pct_counts_${s.key}[${i}]`).toBeCloseTo(w.pct_counts[i], 12));
  }
}

describe.skipIf(!python)('QC gene sets found by symbol', () => {
  it('CELLxGENE-style file: 13 MT-, 94 RPS/RPL and 6 HB genes from var/feature_name, values equal numpy', async () => {
    const ds = await openPaths([join(dir, 'cxg_pbmc10k.h5ad')]);
    expect(ds.var.index[0]).toMatch(/^ENSG/);
    expect(ds.nVars).toBe(expected.n_genes);
    const r = await new Pipeline(ds).run({ ...DEFAULT_PARAMS, device: 'cpu', pca: { nComps: 20 } });
    expect(r.qc.geneSource).toBe('var/feature_name');
    expect(r.qc.geneSets.map((s) => [s.key, s.nGenes, s.prefixes])).toEqual([
      ['mt', 13, 'MT-'],
      ['ribo', 94, 'RPS/RPL'],
      ['hb', 6, 'HB'],
    ]);
    expect(r.qc.nMitoGenes).toBe(13);
    expectSetsEqualNumpy(r.qc, expected.cxg);
    expect(r.qc.pct_counts_mt).toBe(r.qc.geneSets[0].pct_counts);
    expect(qcGeneSummary(r.qc)).toBe('13 mitochondrial genes (MT-), 94 ribosomal genes (RPS/RPL) and 6 haemoglobin genes (HB) found in var/feature_name');
    // The pct_counts_mt bound is proposed (no "no mitochondrial genes" note) and the report says what was found.
    const report = analysisReport(r, DEFAULT_PARAMS);
    expect(report.qcProposal.maxPctMt).not.toBeNull();
    expect(report.qcProposal.notes.join()).not.toContain('mitochondrial');
    expect(report.qcGenes!.summary).toContain('13 mitochondrial genes (MT-)');
    expect(report.qcGenes!.sets[0].genes).toContain('MT-CO1');
    expect(report.histograms.map((h) => h.name)).toEqual(['total_counts', 'n_genes_by_counts', 'pct_counts_mt', 'pct_counts_ribo', 'pct_counts_hb']);
    // What an export or `scweb analyze` writes: scanpy's obs names, and var/mt, var/ribo, var/hb.
    const res = scanpyResults(ds, r, DEFAULT_PARAMS);
    expect(res.obs.map((c) => c.name)).toEqual(['leiden', 'total_counts', 'n_genes_by_counts', 'total_counts_mt', 'pct_counts_mt', 'total_counts_ribo', 'pct_counts_ribo', 'total_counts_hb', 'pct_counts_hb', 'passes_qc']);
    const mtVar = res.var.find((c) => c.name === 'mt');
    expect(mtVar?.kind === 'categorical' && mtVar.codes.reduce((a, b) => a + b, 0)).toBe(13);
    ds.close();
  }, 120_000);

  it('the max_pct_mt filter removes the cells above it', async () => {
    const ds = await openPaths([join(dir, 'cxg_pbmc10k.h5ad')]);
    const pct = expected.cxg.mt.pct_counts;
    const cut = 8;
    const r = await new Pipeline(ds).run({ ...DEFAULT_PARAMS, device: 'cpu', pca: { nComps: 20 }, filter: { ...DEFAULT_PARAMS.filter, maxPctMt: cut } });
    expect(r.nKept).toBe(pct.filter((p) => p <= cut).length);
    expect(r.nKept).toBeLessThan(200);
    ds.close();
  }, 120_000);

  it('mouse symbols: mt-, Rps/Rpl and Hb (not Hbp) in the var index', async () => {
    const ds = await openPaths([join(dir, 'mouse_symbols.h5ad')]);
    const qc = await qcMetrics(ds, 'X', ds.var.index);
    expect(qc.geneSets.map((s) => [s.key, s.nGenes, s.prefixes])).toEqual([
      ['mt', 13, 'mt-'],
      ['ribo', 94, 'Rps/Rpl'],
      ['hb', 6, 'Hb'],
    ]);
    expect(qc.geneSource).toBe('var_names');
    expectSetsEqualNumpy(qc, expected.mouse);
    ds.close();
  }, 60_000);

  it('no gene of a set: no column, and the summary and the threshold note say where they were looked for', async () => {
    const ds = await openPaths([join(dir, 'mouse_symbols.h5ad')]);
    const qc = await qcMetrics(ds, 'X', ds.var.index.map((g) => g.replace(/^mt-/, 'xx-')), { geneSource: 'var_names' });
    expect(qc.pct_counts_mt).toBeNull();
    expect(qc.geneSets[0].total_counts).toBeNull();
    expect(qcGeneSummary(qc)).toBe('no mitochondrial genes (MT- or mt-), 94 ribosomal genes (Rps/Rpl) and 6 haemoglobin genes (Hb) found in var_names');
    expect(proposeQcThresholds(qc).notes).toContain('no pct_counts_mt bound: no mitochondrial genes (MT- or mt-) in var_names');
    ds.close();
  }, 60_000);

  it('scweb analyze writes scanpy\'s pct_counts_mt, total_counts_mt, pct_counts_ribo, pct_counts_hb and var/mt, and logs what it found', async () => {
    const out = join(dir, 'analyzed.h5ad');
    const lines: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => {
      lines.push(String(s));
      return true;
    });
    const code = await main(['analyze', join(dir, 'cxg_pbmc10k.h5ad'), '--out', out, '--backend', 'cpu', '--threads', '1']);
    vi.restoreAllMocks();
    expect(code, lines.join('')).toBe(0);
    expect(lines.join('')).toContain('scweb: qc: 13 mitochondrial genes (MT-), 94 ribosomal genes (RPS/RPL) and 6 haemoglobin genes (HB) found in var/feature_name\n');
    // Read back with anndata itself.
    const read = `
import sys, json, anndata
a = anndata.read_h5ad(sys.argv[1])
cols = ["total_counts", "total_counts_mt", "pct_counts_mt", "total_counts_ribo", "pct_counts_ribo", "total_counts_hb", "pct_counts_hb"]
print(json.dumps({**{c: a.obs[c].astype(float).tolist() for c in cols}, "var": {k: int(a.var[k].sum()) for k in ("mt", "ribo", "hb")}}))
`;
    const r = spawnSync('/usr/bin/python3', ['-W', 'ignore', '-c', read, out], { encoding: 'utf8', maxBuffer: 64 << 20 });
    expect(r.status, r.stderr).toBe(0);
    const got = JSON.parse(r.stdout) as Record<string, number[]> & { var: Record<string, number> };
    expect(got.var).toEqual({ mt: 13, ribo: 94, hb: 6 });
    expect(got.total_counts).toEqual(expected.cxg.total_counts);
    for (const key of ['mt', 'ribo', 'hb'] as const) {
      expect(got[`total_counts_${key}`]).toEqual(expected.cxg[key].total_counts);
      got[`pct_counts_${key}`].forEach((v, i) => expect(v).toBeCloseTo(expected.cxg[key].pct_counts[i], 12));
    }
  }, 180_000);
});

describe('QC gene sets on Ensembl ids without symbols', () => {
  it('the 2021 CELLxGENE example (feature_name all missing): MT- genes through the bundled GENCODE map, as the gene search finds them', async () => {
    const ds = await openPaths([shared('data/format_variants/cellxgene_example_with_labels.h5ad')]);
    const r = await new Pipeline(ds).run({ ...DEFAULT_PARAMS, device: 'cpu', pca: { nComps: 20 } }, { ensemblToSymbol: await loadEnsemblMap() });
    expect(r.qc.geneSource).toBe('the bundled GENCODE v44 Ensembl map');
    const mt = r.qc.geneSets[0];
    expect(mt.nGenes).toBeGreaterThan(0);
    expect(mt.names.every((g) => g.startsWith('MT-'))).toBe(true);
    expect(r.qc.pct_counts_mt).not.toBeNull();
    ds.close();
  }, 120_000);
});
