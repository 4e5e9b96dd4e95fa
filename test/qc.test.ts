// QC metrics against the values scanpy stored in anndataR's example (computed from layers/counts),
// and the mitochondrial fraction on pbmc68k's counts.
import { describe, expect, it } from 'vitest';
import { qcMetrics } from '../src/analysis/qc.ts';
import { openPaths } from '../src/io/node.ts';
import type { NumericColumn } from '../src/io/types.ts';
import { shared } from './helpers.ts';

describe('qcMetrics', () => {
  it('reproduces scanpy\'s total_counts, n_genes_by_counts and their log1p', async () => {
    const ds = await openPaths([shared('data/format_variants/anndataR_example_all_encodings.h5ad')]);
    const qc = await qcMetrics(ds, 'layers/counts', ds.var.index);
    const col = (name: string) => (ds.obs.columns.find((c) => c.name === name) as NumericColumn).values;
    for (const name of ['total_counts', 'n_genes_by_counts', 'log1p_total_counts', 'log1p_n_genes_by_counts'] as const) {
      const want = col(name);
      for (let i = 0; i < ds.nObs; i++) expect(qc[name][i], `${name}[${i}]`).toBeCloseTo(want[i], 4);
    }
    expect(qc.pct_counts_mt).toBeNull();
    ds.close();
  });

  it('finds pbmc68k\'s MT- genes and gives percentages between 0 and 100', async () => {
    const ds = await openPaths([shared('data/pbmc68k_reduced_with_counts.h5ad')]);
    const qc = await qcMetrics(ds, 'layers/counts', ds.var.index);
    expect(qc.nMitoGenes).toBe(ds.var.index.filter((g) => g.startsWith('MT-')).length);
    expect(qc.nMitoGenes).toBeGreaterThan(0);
    expect(qc.total_counts[0]).toBe(628);
    expect(qc.total_counts[ds.nObs - 1]).toBe(1169);
    for (const v of qc.pct_counts_mt!) expect(v >= 0 && v <= 100).toBe(true);
    ds.close();
  });
});
