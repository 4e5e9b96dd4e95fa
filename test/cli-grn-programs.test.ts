// `scweb grn programs` end to end: the demo (counts, the bundled tiny model) and ../shared's
// pbmc68k_reduced (log-normalised raw/X, the tiny checkpoint folder), read back with anndata.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { shared } from './helpers.ts';
import { fixturePath } from './model-fixtures.ts';
import { hasPythonAnndata } from './python-anndata.ts';

const CLI = join(__dirname, '../bin/scweb.mjs');
const DEMO = join(__dirname, '../public/demo/pbmc68k_reduced_with_counts.h5ad');
const BUNDLE = join(__dirname, '../public/weights/scgpt-tiny-fixture');
const dir = mkdtempSync(join(tmpdir(), 'scweb-grn-'));

function scweb(...args: string[]) {
  return spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
}

function readCsv(path: string): { gene: string; program: number }[] {
  const [header, ...rows] = readFileSync(path, 'utf8').trimEnd().split('\n');
  expect(header).toBe('gene,program');
  return rows.map((r) => {
    const [gene, program] = r.split(',');
    return { gene, program: Number(program) };
  });
}

/** obs columns program_*_score of an .h5ad as anndata reads them: dtype, min, max, and the other columns' names. */
function scoredObs(path: string): { scores: Record<string, { dtype: string; min: number; max: number }>; columns: string[]; n: number } {
  const py = `
import anndata, json, sys
a = anndata.read_h5ad(sys.argv[1])
s = {c: {"dtype": str(a.obs[c].dtype), "min": float(a.obs[c].min()), "max": float(a.obs[c].max())} for c in a.obs.columns if c.startswith("program_")}
print(json.dumps({"scores": s, "columns": list(a.obs.columns), "n": a.n_obs}))`;
  const r = spawnSync('/usr/bin/python3', ['-c', py, path], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout);
}

function checkPrograms(rows: { gene: string; program: number }[], minSize: number): number {
  const size = new Map<number, number>();
  for (const r of rows) size.set(r.program, (size.get(r.program) ?? 0) + 1);
  const ids = [...size.keys()].filter((p) => p >= 0).sort((a, b) => a - b);
  expect(ids).toEqual(ids.map((_, i) => i));
  ids.forEach((p, i) => {
    expect(size.get(p)!).toBeGreaterThanOrEqual(minSize);
    if (i > 0) expect(size.get(p)!).toBeLessThanOrEqual(size.get(p - 1)!);
  });
  expect(new Set(rows.map((r) => r.gene)).size).toBe(rows.length);
  return ids.length;
}

describe.runIf(hasPythonAnndata())('scweb grn programs', () => {
  it('on the demo with the bundled model: programs.csv and program_<n>_score columns anndata reads', () => {
    const out = join(dir, 'demo.csv');
    const scored = join(dir, 'demo.h5ad');
    const r = scweb('grn', 'programs', DEMO, '--model', BUNDLE, '--n-hvg', '300', '--resolution', '5', '--out', out, '--scores-out', scored);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/300 highly variable genes in the vocabulary/);
    const rows = readCsv(out);
    expect(rows.length).toBe(300);
    const nPrograms = checkPrograms(rows, 5);
    expect(nPrograms).toBeGreaterThan(5);
    const obs = scoredObs(scored);
    expect(obs.n).toBe(700);
    expect(Object.keys(obs.scores).sort()).toEqual(Array.from({ length: nPrograms }, (_, i) => `program_${i}_score`).sort());
    // sklearn's MinMaxScaler arithmetic (x * scale + min) can land one ulp above 1, as ours does.
    for (const s of Object.values(obs.scores)) {
      expect(s.dtype).toBe('float64');
      expect(s.min).toBe(0);
      expect(s.max).toBeCloseTo(1, 14);
    }
    expect(obs.columns).toContain('bulk_labels');
    // Same seed, same file.
    const again = join(dir, 'demo-again.csv');
    expect(scweb('grn', 'programs', DEMO, '--model', BUNDLE, '--n-hvg', '300', '--resolution', '5', '--out', again).status).toBe(0);
    expect(readFileSync(again, 'utf8')).toBe(readFileSync(out, 'utf8'));
  }, 60_000);

  it('on ../shared pbmc68k_reduced (log-normalised raw/X) with the tiny checkpoint folder', () => {
    const out = join(dir, 'shared.csv');
    const scored = join(dir, 'shared.h5ad');
    const r = scweb('grn', 'programs', shared('data/pbmc68k_reduced.h5ad'), '--model', fixturePath('tiny', 'checkpoint'), '--resolution', '10', '--min-size', '3', '--out', out, '--scores-out', scored);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/raw\/X holds log-normalised values/);
    const rows = readCsv(out);
    // Fewer than 1,200 of its genes are in the tiny vocabulary: all of those are used.
    expect(rows.length).toBeGreaterThan(100);
    const n = checkPrograms(rows, 3);
    expect(Object.keys(scoredObs(scored).scores).length).toBe(n);
  }, 60_000);

  it('seurat_v3 HVGs (the tutorial\'s flavour) from counts; refused on log-normalised input', () => {
    const out = join(dir, 'v3.csv');
    const r = scweb('grn', 'programs', DEMO, '--model', BUNDLE, '--flavor', 'seurat_v3', '--n-hvg', '200', '--resolution', '5', '--out', out);
    expect(r.status, r.stderr).toBe(0);
    expect(readCsv(out).length).toBe(200);
    const bad = scweb('grn', 'programs', shared('data/pbmc68k_reduced.h5ad'), '--model', BUNDLE, '--flavor', 'seurat_v3', '--out', out);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/seurat_v3 needs raw counts/);
  }, 60_000);

  it('usage errors exit 2; no gene in the vocabulary is a clear error', () => {
    expect(scweb('grn', 'programs', DEMO, '--out', join(dir, 'x.csv')).status).toBe(2);
    expect(scweb('grn', 'programs', DEMO, '--model', BUNDLE, '--out', join(dir, 'x.txt')).status).toBe(2);
    expect(scweb('grn', 'nothing').status).toBe(2);
    const r = scweb('grn', 'programs', DEMO, '--model', BUNDLE, '--gene-col', 'n_counts', '--out', join(dir, 'x.csv'));
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/none of the 765 genes .* is in the model's vocabulary/);
  }, 60_000);
});
