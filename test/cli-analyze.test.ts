// `scweb analyze` on the demo file: the output is the input plus leiden, QC columns, PCA, UMAP and
// the markers, read back through our own reader; results replace the input's keys of the same name.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_PARAMS } from '../src/analysis/pipeline.ts';
import { main } from '../src/cli/main.ts';
import { openPaths } from '../src/io/node.ts';
import type { CategoricalColumn } from '../src/io/types.ts';
import { shared } from './helpers.ts';

describe('scweb analyze', () => {
  it('writes leiden, QC columns, X_pca, X_umap and rank_genes_groups next to the input\'s content', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'scweb-analyze-'));
    const out = join(dir, 'out.h5ad');
    const csv = join(dir, 'markers.csv');
    const code = await main(['analyze', shared('data/pbmc68k_reduced_with_counts.h5ad'), '--out', out, '--backend', 'cpu', '--resolution', '0.8', '--markers-csv', csv]);
    expect(code).toBe(0);
    const ds = await openPaths([out]);
    const leiden = ds.obs.columns.find((c) => c.name === 'leiden') as CategoricalColumn;
    expect(leiden.kind).toBe('categorical');
    expect(leiden.codes.length).toBe(700);
    expect(Math.min(...leiden.codes)).toBe(0);
    expect(ds.obs.columns.some((c) => c.name === 'louvain')).toBe(true); // the input's own columns stay
    expect(ds.obs.columns.find((c) => c.name === 'total_counts')?.kind).toBe('numeric');
    expect(ds.embeddings.map((e) => e.key).sort()).toEqual(['X_pca', 'X_umap']);
    expect(ds.readEmbedding('X_pca').shape).toEqual([700, 50]);
    const before = await openPaths([shared('data/pbmc68k_reduced_with_counts.h5ad')]);
    // scanpy's X_umap was replaced by ours, not kept next to it.
    expect(Array.from(ds.readEmbedding('X_umap').data.subarray(0, 4))).not.toEqual(Array.from(before.readEmbedding('X_umap').data.subarray(0, 4)));
    before.close();
    ds.close();
    const rows = readFileSync(csv, 'utf8').trim().split('\n');
    expect(rows.length).toBe(1 + leiden.categories.length * 100);
    expect(await main(['analyze', shared('data/pbmc68k_reduced_with_counts.h5ad'), '--out', out, '--embedding', 'X_nope'])).toBe(1);
  }, 120_000);

  it('--threads N gives the same file content as one thread (pool of worker_threads); --threads 0 is refused', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'scweb-threads-'));
    const input = shared('data/pbmc68k_reduced_with_counts.h5ad');
    const runs = [];
    for (const threads of ['1', '3']) {
      const out = join(dir, `t${threads}.h5ad`);
      const csv = join(dir, `t${threads}.csv`);
      expect(await main(['analyze', input, '--out', out, '--backend', 'cpu', '--threads', threads, '--markers-csv', csv])).toBe(0);
      const ds = await openPaths([out]);
      runs.push({ pca: ds.readEmbedding('X_pca').data, umap: ds.readEmbedding('X_umap').data, leiden: (ds.obs.columns.find((c) => c.name === 'leiden') as CategoricalColumn).codes, csv: readFileSync(csv, 'utf8') });
      ds.close();
    }
    const bytes = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
    expect(bytes(runs[1].pca).equals(bytes(runs[0].pca))).toBe(true);
    expect(bytes(runs[1].umap).equals(bytes(runs[0].umap))).toBe(true);
    expect(bytes(runs[1].leiden).equals(bytes(runs[0].leiden))).toBe(true);
    expect(runs[1].csv).toBe(runs[0].csv);
    expect(await main(['analyze', input, '--out', join(dir, 'x.h5ad'), '--threads', '0'])).not.toBe(0);
    expect(await main(['analyze', input, '--out', join(dir, 'x.h5ad'), '--umap-init', 'random'])).not.toBe(0);
  }, 180_000);

  it("--umap-init spectral starts UMAP from the graph's eigenvectors (scanpy's default; ours is PCA)", async () => {
    expect(DEFAULT_PARAMS.umap.init).toBe('pca');
    const dir = mkdtempSync(join(tmpdir(), 'scweb-umap-init-'));
    const input = shared('data/pbmc68k_reduced_with_counts.h5ad');
    const layouts = [];
    for (const flags of [['--umap-init', 'spectral'], []]) {
      const out = join(dir, `${flags.length}.h5ad`);
      expect(await main(['analyze', input, '--out', out, '--backend', 'cpu', '--threads', '1', ...flags])).toBe(0);
      const ds = await openPaths([out]);
      layouts.push(ds.readEmbedding('X_umap').data);
      ds.close();
    }
    const bytes = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
    expect(bytes(layouts[0]).equals(bytes(layouts[1]))).toBe(false);
  }, 180_000);
});
