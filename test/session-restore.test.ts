// What the browser keeps between visits goes back into a fresh session of the same file, and
// stored results that do not fit the file (another file, an edited store) are refused.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { openPaths } from '../src/io/node.ts';
import { summarize } from '../src/io/summary.ts';
import { AnalysisSession, type SessionResources } from '../src/workers/analysis-session.ts';

const DEMO = new URL('../public/demo/pbmc68k_reduced_with_counts.h5ad', import.meta.url).pathname;
const resources: SessionResources = { ensemblMap: async () => new Map(), markerSets: async () => JSON.parse(readFileSync(new URL('../public/markers/cell-type-markers.json', import.meta.url), 'utf8')).sets };

describe('AnalysisSession results and restore', () => {
  it('round-trips computed columns and embeddings into a new session of the same file', async () => {
    const a = new AnalysisSession(await openPaths([DEMO]), resources);
    const codes = Int32Array.from({ length: 700 }, (_, i) => i % 3);
    a.setColumn({ kind: 'categorical', name: 'user_label', codes, categories: ['T', 'B', 'NK'] });
    const umap = new Float32Array(1400).map((_, i) => i / 7);
    a.ds.addEmbedding({ key: 'X_umap_pca', shape: [700, 2], data: umap });
    a.embeddingChanged('X_umap_pca');
    const saved = structuredClone(a.results());
    expect(saved.columns.map((c) => c.name)).toEqual(['user_label']);
    expect(saved.obsm.map((e) => e.key)).toEqual(['X_umap_pca']);

    const b = new AnalysisSession(await openPaths([DEMO]), resources);
    b.restore(saved);
    const s = summarize(b.ds);
    expect(s.obs.user_label.categories).toEqual({ T: 234, B: 233, NK: 233 });
    expect(s.obsm.X_umap_pca).toEqual([700, 2]);
    expect(Array.from(b.ds.readEmbedding('X_umap_pca').data.subarray(0, 3))).toEqual(Array.from(umap.subarray(0, 3)));
    // Restored results are this session's: they go into the next export and the next save.
    expect(b.results().columns.map((c) => c.name)).toEqual(['user_label']);
  });

  it('results saved before they named the graph\'s UMAP: a Harmony UMAP is the graph\'s, a Leiden column says a run made them', async () => {
    const umap = { shape: [700, 2] as [number, number], data: new Float32Array(1400) };
    const leiden = { kind: 'categorical' as const, name: 'leiden', codes: new Int32Array(700), categories: ['0'], ordered: false, dtype: 'category' };
    const a = new AnalysisSession(await openPaths([DEMO]), resources);
    a.restore({ columns: [leiden], obsm: [{ key: 'X_umap_pca', ...umap }, { key: 'X_umap_pca_harmony', ...umap }] });
    expect([a.results().umap, a.results().fromRun]).toEqual(['X_umap_pca_harmony', true]);
    const b = new AnalysisSession(await openPaths([DEMO]), resources);
    b.restore({ columns: [], obsm: [{ key: 'X_umap_pca', ...umap }] });
    expect([b.results().umap, b.results().fromRun]).toEqual(['X_umap_pca', false]);
  });

  it('refuses results of another shape, naming the column', async () => {
    const b = new AnalysisSession(await openPaths([DEMO]), resources);
    expect(() => b.restore({ columns: [{ kind: 'categorical', name: 'leiden', codes: new Int32Array(699), categories: ['0'], ordered: false, dtype: 'category' }], obsm: [] })).toThrow(/"leiden" has 699 values but the dataset has 700 cells/);
    expect(() => b.restore({ columns: [{ kind: 'categorical', name: 'leiden', codes: new Int32Array(700).fill(4), categories: ['0'], ordered: false, dtype: 'category' }], obsm: [] })).toThrow(/codes outside its 1 categories/);
    expect(() => b.restore({ columns: [], obsm: [{ key: 'X_umap', shape: [700, 2], data: new Float32Array(10) }] })).toThrow(/"X_umap" holds 10 values, not 700 x 2/);
    expect(summarize(b.ds).obs.leiden).toBeUndefined();
  });
});
