// `scweb analyze` on the demo file: the output is the input plus leiden, QC columns, PCA, UMAP and
// the marker arrays, read back through our own reader (names the input had get a _scweb suffix).
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
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
    expect(ds.readEmbedding('X_pca_scweb').shape).toEqual([700, 50]);
    expect(ds.readEmbedding('X_umap_scweb').shape).toEqual([700, 2]);
    expect(ds.readEmbedding('X_umap').shape).toEqual([700, 2]); // scanpy's original is untouched
    ds.close();
    const rows = readFileSync(csv, 'utf8').trim().split('\n');
    expect(rows.length).toBe(1 + leiden.categories.length * 100);
    expect(await main(['analyze', shared('data/pbmc68k_reduced_with_counts.h5ad'), '--out', out, '--embedding', 'X_nope'])).toBe(2);
  }, 120_000);
});
