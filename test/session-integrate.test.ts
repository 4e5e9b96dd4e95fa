// The worker's side of an integrated run (AnalysisSession): X_pca_harmony and its UMAP join the
// dataset, the metrics compare X_pca and X_pca_harmony with progress, the uncorrected UMAP comes on
// request, a share snapshot and the saved session carry the corrected embedding, and a later run
// without Harmony drops what the old X_pca gave.
import { describe, expect, it } from 'vitest';
import { DEFAULT_PARAMS, type PipelineParams } from '../src/analysis/pipeline.ts';
import { openPaths } from '../src/io/node.ts';
import { AnalysisSession, type SessionResources } from '../src/workers/analysis-session.ts';
import { batchFile } from './batch-file.ts';

const resources: SessionResources = { ensemblMap: async () => new Map(), markerSets: async () => [] };
const params: PipelineParams = { ...DEFAULT_PARAMS, device: 'cpu', hvg: { flavor: 'seurat', nTopGenes: 300 }, batch: { ...DEFAULT_PARAMS.batch, keys: ['batch'] } };
const signal = new AbortController().signal;

describe('AnalysisSession with a batch key', () => {
  it('stores X_pca_harmony, compares before/after, computes the uncorrected UMAP, shares and saves the corrected embedding', async () => {
    const ds = await openPaths([batchFile()]);
    const session = new AnalysisSession(ds, resources);
    const report = await session.analyze(params, signal, () => {});
    expect(report.integration).toMatchObject({ rep: 'X_pca', key: 'X_pca_harmony', hvgBatchKey: 'batch', umapKey: 'X_umap_pca_harmony', beforeUmapKey: 'X_umap_pca' });
    expect(report.integration!.nHvgInAllBatches).toBeGreaterThan(0);
    expect(report.umapKey).toBe('X_umap_pca_harmony');
    expect(ds.embeddings.map((e) => e.key)).toEqual(['X_pca', 'X_umap_pca_harmony', 'X_pca_harmony']);

    const progress: number[] = [];
    const m = await session.integrationMetrics('bulk_labels', signal, (f) => progress.push(f));
    expect(progress.length).toBeGreaterThan(4);
    expect(progress[progress.length - 1]).toBe(1);
    expect([m.batchKey, m.labelKey, m.nCells, m.before.key, m.after.key]).toEqual(['batch', 'bulk_labels', 700, 'X_pca', 'X_pca_harmony']);
    expect(m.after.iLisiMedian).toBeGreaterThan(m.before.iLisiMedian);
    expect(m.reading).toMatch(/^batches mix: median iLISI \d\.\d\d -> \d\.\d\d of 3; cell types kept apart: cLISI \d\.\d\d -> \d\.\d\d$/);
    expect(m.iLisi.groups.map((g) => [g.group, g.n])).toEqual([['before: X_pca', 700], ['after: X_pca_harmony', 700]]);
    expect(m.iLisi.groups[1].median).toBeCloseTo(m.after.iLisiMedian, 12);
    expect(m.cLisi!.label).toBe('cLISI (bulk_labels)');
    const noLabel = await session.integrationMetrics(null, signal, () => {});
    expect([noLabel.cLisi, noLabel.after.labelAsw]).toEqual([null, null]);
    await expect(session.integrationMetrics('n_counts_raw', signal, () => {})).rejects.toThrow(/label column "n_counts_raw" is numeric \(float64\)/);

    expect(await session.uncorrectedUmap(signal, () => {})).toBe('X_umap_pca');
    expect(ds.readEmbedding('X_umap_pca').shape).toEqual([700, 2]);

    const snap = await session.snapshotContent({ genes: { kind: 'none' }, embeddings: ['X_umap_pca_harmony', 'X_pca_harmony'] }, signal, () => {});
    expect(Object.keys(snap.obsm)).toEqual(['X_umap_pca_harmony', 'X_pca_harmony']);
    expect(snap.obsm.X_pca_harmony.shape).toEqual([700, 50]);
    const saved = structuredClone(session.results());
    expect(saved.obsm.map((e) => e.key).sort()).toEqual(['X_pca', 'X_pca_harmony', 'X_umap_pca', 'X_umap_pca_harmony']);
    // The browser keeps which UMAP is the graph's (an export names it X_umap), also once restored.
    expect([saved.umap, saved.fromRun]).toEqual(['X_umap_pca_harmony', true]);
    const restored = new AnalysisSession(await openPaths([batchFile()]), resources);
    restored.restore(saved);
    expect([restored.results().umap, restored.results().fromRun]).toEqual(['X_umap_pca_harmony', true]);
    restored.ds.close();

    // A run without Harmony: the corrected PCs of the old X_pca and their UMAP go.
    await session.analyze({ ...params, batch: { ...params.batch, keys: [] } }, signal, () => {});
    expect(ds.embeddings.map((e) => e.key).sort()).toEqual(['X_pca', 'X_umap_pca']);
    expect(session.results().umap).toBe('X_umap_pca');
    await expect(session.integrationMetrics('bulk_labels', signal, () => {})).rejects.toThrow(/run the pipeline with a batch key first/);
    ds.close();
  }, 240_000);
});
