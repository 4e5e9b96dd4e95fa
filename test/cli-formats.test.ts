// The CLI takes every format the reader takes (10x .h5, mtx folders), prints its usage text only for
// usage errors, and on a machine without a Vulkan driver says in one line that the CPU is used
// instead of letting Dawn print its failed probes.
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openPaths } from '../src/io/node.ts';
import type { CategoricalColumn } from '../src/io/types.ts';
import { shared } from './helpers.ts';
import { hasPythonAnndata, readWithAnndata } from './python-anndata.ts';

const dir = mkdtempSync(join(tmpdir(), 'scweb-formats-'));
const CLI = join(__dirname, '../bin/scweb.mjs');
const PBMC = shared('data/pbmc68k_reduced_with_counts.h5ad');
const TENX_H5 = shared('data/10x/v3_filtered_feature_bc_matrix.h5');
const TENX_MTX = shared('data/10x/v3_filtered_feature_bc_matrix');

/** The CLI as a user runs it, with no Vulkan driver configured (a CPU-only machine). */
function scweb(...args: string[]) {
  const env = { ...process.env };
  for (const k of ['VK_ICD_FILENAMES', 'VK_DRIVER_FILES', 'VK_ADD_DRIVER_FILES', 'LD_LIBRARY_PATH']) delete env[k];
  return spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env });
}

/** Lines on stderr that scweb did not write itself (Dawn's, Vulkan's, Node's warnings). */
function foreignLines(stderr: string): string[] {
  return stderr.split('\n').filter((l) => l.trim() && !l.startsWith('scweb: '));
}

describe('scweb on 10x inputs', () => {
  it.each([
    ['10x .h5', TENX_H5],
    ['mtx folder', TENX_MTX],
  ])('analyze %s writes a fresh .h5ad', async (_, input) => {
    const out = join(dir, `${_.replace(/\W/g, '')}.h5ad`);
    const r = scweb('analyze', input, '--out', out, '--backend', 'auto', '--min-cells', '1');
    expect(r.status, r.stderr).toBe(0);
    expect(foreignLines(r.stderr)).toEqual([]);
    expect(r.stderr).toMatch(/^scweb: no WebGPU \(no Vulkan driver found.*neighbours and UMAP on the CPU$/m);
    const ds = await openPaths([out]);
    expect(ds.nObs).toBe(1107);
    expect((ds.obs.columns.find((c) => c.name === 'leiden') as CategoricalColumn).categories.length).toBeGreaterThan(1);
    expect(ds.embeddings.map((e) => e.key).sort()).toEqual(['X_pca', 'X_umap']);
    ds.close();
    if (hasPythonAnndata()) expect(readWithAnndata(out).rank_genes_groups?.params.groupby).toBe('leiden');
  }, 180_000);

  it('inspect names an mtx folder by its folder, not by its matrix file', () => {
    const r = scweb('inspect', TENX_MTX);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).file).toBe('v3_filtered_feature_bc_matrix/matrix.mtx.gz');
  });

  it('annotate takes an mtx-folder query and writes CSV and .h5ad', () => {
    // A labelled reference with the query's genes: the 10x .h5 clustered by analyze.
    const ref = join(dir, 'tenx-ref.h5ad');
    expect(scweb('analyze', TENX_H5, '--out', ref, '--backend', 'cpu', '--min-cells', '1').status).toBe(0);
    for (const out of [join(dir, 'tenx.csv'), join(dir, 'tenx-annotated.h5ad')]) {
      const r = scweb('annotate', TENX_MTX, '--reference', ref, '--label-col', 'leiden', '--out', out);
      expect(r.status, r.stderr).toBe(0);
      expect(foreignLines(r.stderr)).toEqual([]);
    }
    if (hasPythonAnndata()) expect(readWithAnndata(join(dir, 'tenx-annotated.h5ad')).obs.predicted_leiden).toBe('category');
  }, 180_000);
});

describe('usage text and GPU messages', () => {
  it('prints usage for a usage error only', () => {
    const usage = scweb('analyze', PBMC);
    expect(usage.status).toBe(2);
    expect(usage.stderr).toContain('Usage:');
    const runtime = scweb('analyze', PBMC, '--out', join(dir, 'x.h5ad'), '--embedding', 'X_nope', '--backend', 'cpu');
    expect(runtime.status).toBe(1);
    expect(runtime.stderr).toContain('no obsm/X_nope');
    expect(runtime.stderr).not.toContain('Usage:');
    const missing = scweb('analyze', join(dir, 'nope.h5ad'), '--out', join(dir, 'y.h5ad'), '--backend', 'cpu');
    expect(missing.status).toBe(1);
    expect(missing.stderr).not.toContain('Usage:');
  });

  it('embed without a Vulkan driver: one line says the CPU is used, nothing from Dawn', () => {
    const tiny = shared('fixtures/scgpt-parity/tiny');
    const r = scweb('embed', join(tiny, 'cells.h5ad'), '--model', join(tiny, 'checkpoint_flash'), '--out', join(dir, 'e.npy'));
    expect(r.status, r.stderr).toBe(0);
    expect(foreignLines(r.stderr)).toEqual([]);
    expect(r.stderr.match(/on the CPU/g)).toHaveLength(1);
  }, 120_000);
});
