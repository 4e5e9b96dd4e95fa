// The worker's violin request on the demo: genes as log-normalised counts per bulk_labels group,
// numeric obs columns over all cells, and clear refusals for the wrong kinds of column.
import { describe, expect, it } from 'vitest';
import { violins } from '../src/analysis/violin.ts';
import { openPaths } from '../src/io/node.ts';
import { AnalysisSession, type SessionResources } from '../src/workers/analysis-session.ts';

const resources: SessionResources = { ensemblMap: async () => new Map(), markerSets: async () => [] };
const DEMO = new URL('../public/demo/pbmc68k_reduced_with_counts.h5ad', import.meta.url).pathname;

describe('violin request', () => {
  it('a gene per bulk_labels group, a numeric column over all cells, and refusals', async () => {
    const ds = await openPaths([DEMO]);
    const session = new AnalysisSession(ds, resources);
    const labels = ds.obs.columns.find((c) => c.name === 'bulk_labels')!;
    if (labels.kind !== 'categorical') throw new Error('bulk_labels should be categorical');

    const v = await session.violin('bulk_labels', { kind: 'gene', name: 'CD79A' });
    expect(v.label).toBe('CD79A (log-normalised counts)');
    expect(v.groups.map((g) => g.group)).toEqual(labels.categories);
    expect(v.groups.reduce((s, g) => s + g.n, 0)).toBe(700);
    expect(v.groups).toEqual(violins(await session.geneValues('CD79A'), labels.codes, labels.categories));
    // B cells express CD79A; most T cells do not.
    const b = v.groups.find((g) => /B/.test(g.group) && g.n > 0)!;
    const t = v.groups.find((g) => /CD4/.test(g.group))!;
    expect(b.median).toBeGreaterThan(t.median);
    expect(t.fractionZero).toBeGreaterThan(b.fractionZero);

    const numeric = ds.obs.columns.find((c) => c.kind === 'numeric')!;
    const all = await session.violin(null, { kind: 'column', name: numeric.name });
    expect(all.label).toBe(numeric.name);
    expect(all.groups.length).toBe(1);
    expect(all.groups[0].group).toBe('all cells');
    expect(all.groups[0].width.length).toBe(100);

    await expect(session.violin(null, { kind: 'column', name: 'bulk_labels' })).rejects.toThrow(/"bulk_labels" is a categorical column; a violin shows a numeric column or a gene/);
    await expect(session.violin(numeric.name, { kind: 'gene', name: 'CD79A' })).rejects.toThrow(/is a numeric column; violins are grouped by a categorical obs column/);
    await expect(session.violin(null, { kind: 'gene', name: 'NOT_A_GENE' })).rejects.toThrow(/no gene "NOT_A_GENE"/);
    await expect(session.violin('nope', { kind: 'gene', name: 'CD79A' })).rejects.toThrow(/no obs column "nope"/);
    ds.close();
  });
});
