// `scweb annotate --celltypist`: the fixture's predictions in CSV and .h5ad (read back by anndata),
// CellTypist's to_table matrices, 'prob match', a model by registry name from a local server laid
// out like CellTypist's, and bad input (a foreign global, a pickle that is no model, no shared
// genes): one message naming the file, exit status 1, nothing written.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { writeCelltypistModel } from '../src/analysis/celltypist-model.ts';
import { main } from '../src/cli/main.ts';
import { hasPythonAnndata } from './python-anndata.ts';
import { startMockCelltypist } from './mock-celltypist.ts';
import { hasShared, shared } from './helpers.ts';

const F = (f: string) => shared('fixtures/celltypist', f);

function run(args: string[]): Promise<{ code: number; err: string }> {
  let err = '';
  const spy = vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
  const spy2 = vi.spyOn(console, 'error').mockImplementation((s) => void (err += `${String(s)}\n`));
  return main(args)
    .then((code) => ({ code, err }))
    .finally(() => {
      spy.mockRestore();
      spy2.mockRestore();
    });
}

function expected(): Map<string, string[]> {
  const lines = readFileSync(F('expected_predictions.csv'), 'utf8').trim().split('\n');
  return new Map(lines.slice(1).map((l) => [l.split(',')[0], l.split(',')]));
}

describe.skipIf(!hasShared)('scweb annotate --celltypist', () => {
  const env = { ...process.env };
  afterEach(() => {
    process.env = { ...env };
  });

  it('writes CellTypist\'s columns (CSV, .h5ad) and to_table matrices matching celltypist.annotate', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'scweb-ct-'));
    const csv = join(dir, 'pred.csv');
    const r = await run(['annotate', F('query.h5ad'), '--celltypist', F('model.pkl'), '--majority-voting', '--over-clustering', 'over_cluster', '--out', csv, '--matrices', join(dir, 'tables')]);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/725 of the model's 765 genes in the query/);
    const rows = readFileSync(csv, 'utf8').trim().split('\n');
    expect(rows[0]).toBe('cell_id,predicted_labels,over_clustering,majority_voting,conf_score');
    const want = expected();
    expect(rows.length).toBe(want.size + 1);
    for (const row of rows.slice(1)) {
      const [id, label, , majority] = row.split(',');
      expect([label, majority]).toEqual([want.get(id)![1], want.get(id)![2]]);
    }
    const dec = readFileSync(join(dir, 'tables', 'decision_matrix.csv'), 'utf8').trim().split('\n');
    expect(dec[0].split(',').slice(1)).toEqual(JSON.parse(readFileSync(F('manifest.json'), 'utf8')).classes);
    const first = dec[1].split(',');
    const w = want.get(first[0])!;
    // expected_predictions.csv: index, predicted_labels, majority_voting, 10 prob_, 10 decision_.
    for (let c = 1; c <= 10; c++) expect(Math.abs(Number(first[c]) - Number(w[12 + c]))).toBeLessThan(1e-6);

    const h5 = join(dir, 'out.h5ad');
    expect((await run(['annotate', F('query.h5ad'), '--celltypist', F('model.pkl'), '--majority-voting', '--over-clustering', 'over_cluster', '--prefix', 'ct_', '--out', h5])).code).toBe(0);
    if (hasPythonAnndata()) {
      const py = spawnSync('/usr/bin/python3', ['-c', 'import anndata,sys,json; a=anndata.read_h5ad(sys.argv[1]); print(json.dumps({c: str(a.obs[c].dtype) for c in a.obs}))', h5], { encoding: 'utf8' });
      expect(py.status, py.stderr).toBe(0);
      expect(JSON.parse(py.stdout)).toEqual({ over_cluster: 'category', ct_predicted_labels: 'category', ct_over_clustering: 'category', ct_majority_voting: 'category', ct_conf_score: 'float64' });
    }
  }, 120_000);

  it("'prob match' with --p-thres, and majority voting over a Leiden over-clustering when no column is given", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'scweb-ct-'));
    const csv = join(dir, 'prob.csv');
    const r = await run(['annotate', F('query.h5ad'), '--celltypist', F('model.pkl'), '--mode', 'prob', '--p-thres', '0.9', '--majority-voting', '--out', csv]);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/majority voting over \d+ clusters \(Leiden at resolution 5 \(CellTypist's for 347 cells\)/);
    const labels = readFileSync(csv, 'utf8').trim().split('\n').slice(1).map((l) => l.split(',')[1]);
    expect(labels).toContain('Unassigned');
    const want = expected();
    const header = readFileSync(F('expected_predictions.csv'), 'utf8').split('\n')[0].split(',');
    const classes = header.filter((h) => h.startsWith('prob_')).map((h) => h.slice(5));
    [...want.values()].forEach((w, i) => {
      const hits = classes.filter((_, c) => Number(w[3 + c]) > 0.9);
      expect(labels[i]).toBe(hits.length ? hits.join('|') : 'Unassigned');
    });
  }, 120_000);

  it('takes a registry name, downloaded once from a server laid out like CellTypist\'s', async () => {
    const bytes = new Uint8Array(readFileSync(F('model.pkl')));
    const srv = await startMockCelltypist([{ path: 'COVID19_PBMC_Wilk/v1/Adult_COVID19_PBMC.pkl', bytes }]);
    process.env.CELLTYPIST_ENDPOINT = srv.endpoint;
    process.env.SCWEB_CACHE = mkdtempSync(join(tmpdir(), 'scweb-ctcache-'));
    try {
      const csv = join(mkdtempSync(join(tmpdir(), 'scweb-ct-')), 'p.csv');
      const r = await run(['annotate', F('query.h5ad'), '--celltypist', 'Adult_COVID19_PBMC.pkl', '--out', csv]);
      expect(r.code, r.err).toBe(0);
      expect(r.err).toMatch(/downloading http:\/\/127\.0\.0\.1:\d+\/models\/COVID19_PBMC_Wilk\/v1\/Adult_COVID19_PBMC\.pkl/);
      expect(r.err).toMatch(/Adult_COVID19_PBMC\.pkl: CellTypist model/);
      expect(srv.state.log.filter((l) => l.startsWith('GET'))).toHaveLength(1);
      const again = await run(['annotate', F('query.h5ad'), '--celltypist', 'Adult_COVID19_PBMC', '--out', csv]);
      expect(again.err).toMatch(/cached in/);
      expect(srv.state.log.filter((l) => l.startsWith('GET'))).toHaveLength(1);
      const unknown = await run(['annotate', F('query.h5ad'), '--celltypist', 'No_Such_Model', '--out', csv]);
      expect(unknown.code).toBe(2);
      expect(unknown.err).toMatch(/"No_Such_Model" is neither a \.pkl file nor a registry model \(Immune_All_Low, /);
    } finally {
      await srv.close();
    }
  }, 120_000);

  it('bad input: a foreign global, a pickle that is no model, no shared genes: one message naming the file, nothing written', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'scweb-ct-'));
    const out = join(dir, 'never.csv');
    // pickle.dumps of an object whose __reduce__ is (os.system, ('echo pwned',)), protocol 4.
    const evil = Buffer.from('80049525000000000000008c05706f736978948c0673797374656d9493948c0a6563686f2070776e656494859452942e', 'hex');
    writeFileSync(join(dir, 'evil.pkl'), evil);
    let r = await run(['annotate', F('query.h5ad'), '--celltypist', join(dir, 'evil.pkl'), '--out', out]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^scweb: error: evil\.pkl: refused the Python global posix\.system/m);
    expect(r.err).not.toMatch(/pwned\n/);

    writeFileSync(join(dir, 'notes.pkl'), Buffer.from('8004950a000000000000007d948c0161944b01732e', 'hex'));
    r = await run(['annotate', F('query.h5ad'), '--celltypist', join(dir, 'notes.pkl'), '--out', out]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/notes\.pkl: not a CellTypist model: 'Model' is nothing/);

    const mouse = writeCelltypistModel(
      { features: ['Cd3e', 'Ms4a1'], classes: ['T', 'B'], coef: Float64Array.of(-1, 1, 1, -1), intercept: Float64Array.of(0, 0), scalerMean: new Float64Array(2), scalerScale: Float64Array.of(1, 1), clip: 10, multiClass: 'ovr', temperature: 1, description: {} },
      { sklearnVersion: '1.2.1' },
    );
    writeFileSync(join(dir, 'mouse.pkl'), mouse);
    r = await run(['annotate', F('query.h5ad'), '--celltypist', join(dir, 'mouse.pkl'), '--out', out]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/mouse\.pkl: none of the model's 2 genes \(Cd3e, Ms4a1, \.\.\.\) is among the 725 genes of query\.h5ad/);
    expect(existsSync(out)).toBe(false);
  }, 60_000);
});
