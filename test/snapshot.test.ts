// A shared snapshot: the chosen genes' log-normalised values stored by gene, read back one gene at
// a time (what a viewer over HTTP does) equal to the values the full file gives; anndata opens it.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nodeH5Runtime } from '../src/io/h5/node-runtime.ts';
import { csrToCsc, writeSnapshot } from '../src/io/h5ad/snapshot.ts';
import { openPaths } from '../src/io/node.ts';
import { summarize } from '../src/io/summary.ts';
import { AnalysisSession, type SessionResources } from '../src/workers/analysis-session.ts';
import { hasPythonAnndata } from './python-anndata.ts';
import { spawnSync } from 'node:child_process';

const DEMO = new URL('../public/demo/pbmc68k_reduced_with_counts.h5ad', import.meta.url).pathname;
const resources: SessionResources = { ensemblMap: async () => new Map(), markerSets: async () => [] };
const noSignal = new AbortController().signal;

describe('csrToCsc', () => {
  it('reorders entries by column, each column in row order', () => {
    // [[1, 0, 2], [0, 3, 0], [4, 5, 0]]
    const m = csrToCsc(3, 3, [0, 2, 3, 5], [0, 2, 1, 0, 1], [1, 2, 3, 4, 5]);
    expect(Array.from(m.indptr)).toEqual([0, 2, 4, 5]);
    expect(Array.from(m.indices)).toEqual([0, 2, 1, 2, 0]);
    expect(Array.from(m.data)).toEqual([1, 4, 3, 5, 2]);
  });
});

describe('snapshot', () => {
  it('holds the chosen genes by column; one gene read alone equals the source file\'s values', async () => {
    const session = new AnalysisSession(await openPaths([DEMO]), resources);
    const content = await session.snapshotContent({ genes: { kind: 'list', names: ['CD79A', 'cd3e', 'NOT_A_GENE', 'LYZ'] }, embeddings: ['X_umap'], session: '{"scweb":1}', provenance: '{"source":"demo"}' }, noSignal, () => {});
    expect(content.genes.ids).toEqual(['CD3E', 'LYZ', 'CD79A'].sort((a, b) => session.ds.var.index.indexOf(a) - session.ds.var.index.indexOf(b)));
    const { lib } = await nodeH5Runtime();
    const path = join(mkdtempSync(join(tmpdir(), 'scweb-snap-')), 'snap.h5ad');
    await writeSnapshot(lib, path, content);

    const snap = await openPaths([path]);
    const s = summarize(snap);
    expect([s.n_obs, s.n_vars]).toEqual([700, 3]);
    expect(s.matrices[0]).toMatchObject({ key: 'X', encoding: 'csc' });
    expect(Object.keys(s.obs)).toEqual(Object.keys(summarize(session.ds).obs));
    expect(s.obsm.X_umap).toEqual([700, 2]);
    expect(s.saved_session).toBe('{"scweb":1}');
    const viewer = new AnalysisSession(snap, resources);
    for (const gene of ['CD79A', 'CD3E', 'LYZ']) {
      const j = snap.var.index.indexOf(gene);
      expect(snap.readColumn!('X', j)).not.toBeNull();
      const want = await session.geneValues(gene);
      const got = await viewer.geneValues(gene);
      // Stored as float32, computed in float64.
      for (let i = 0; i < 700; i++) expect(got[i]).toBeCloseTo(want[i], 5);
    }
    if (hasPythonAnndata()) {
      const r = spawnSync('/usr/bin/python3', ['-c', 'import anndata, sys, scipy.sparse as sp; a = anndata.read_h5ad(sys.argv[1]); print(type(a.X).__name__, a.shape, sorted(a.uns.keys()), a.obsm["X_umap"].shape)', path], { encoding: 'utf8' });
      expect(r.stderr).toBe('');
      expect(r.stdout.trim()).toBe("csc_matrix (700, 3) ['bulk_labels_colors', 'louvain_colors', 'phase_colors', 'scweb_provenance', 'scweb_session'] (700, 2)");
    }
    snap.close();
  });

  it('"none" carries no expression; "hvg+markers" without a run carries the file\'s HVG flags and the markers', async () => {
    const session = new AnalysisSession(await openPaths([DEMO]), resources);
    expect((await session.snapshotGenes({ kind: 'none' })).length).toBe(0);
    expect((await session.snapshotGenes({ kind: 'all' })).length).toBe(765);
    // No run in this session: the file's own HVG flags (var/highly_variable) and the markers.
    const flags = session.ds.var.columns.find((c) => c.name === 'highly_variable');
    expect(flags?.kind).toBe('categorical');
    const hvg = flags!.kind === 'categorical' ? session.ds.var.index.filter((_, g) => flags!.categories[flags!.codes[g]] === 'True') : [];
    expect(hvg.length).toBeGreaterThan(100);
    const picked = Array.from(await session.snapshotGenes({ kind: 'hvg+markers', markers: ['LYZ', 'CD79A'] }), (g) => session.ds.var.index[g]);
    expect(new Set(picked)).toEqual(new Set([...hvg, 'LYZ', 'CD79A']));
    const content = await session.snapshotContent({ genes: { kind: 'none' }, embeddings: [] }, noSignal, () => {});
    expect(content.X.shape).toEqual([700, 0]);
  });
});

describe('stored markers', () => {
  it("reads scanpy's uns/rank_genes_groups record arrays (the demo's t-test on bulk_labels)", async () => {
    const session = new AnalysisSession(await openPaths([DEMO]), resources);
    const t = (await session.storedMarkers())!;
    expect(t.stored).toBe(true);
    expect(t.groupBy).toBe('bulk_labels');
    expect(t.groups.map((g) => g.group)).toHaveLength(10);
    const treg = t.groups[0];
    expect(treg.group).toBe('CD4+/CD25 T Reg');
    expect(treg.nCells).toBe(68);
    expect(treg.genes).toHaveLength(100);
    expect(treg.genes[0]).toBe('RGS19');
    expect(treg.scores[0]).toBeCloseTo(0.36708045, 6);
    expect(t.groups[6].genes[0]).toBe('CD79A');
    expect(Number.isNaN(treg.pctIn[0])).toBe(true);
  });

  it('a file without them has none', async () => {
    const session = new AnalysisSession(await openPaths([new URL('../../shared/data/format_variants/cellxgene_example_with_labels.h5ad', import.meta.url).pathname]), resources);
    expect(await session.storedMarkers()).toBeNull();
  });
});

describe('sha256OfBlob', () => {
  it("streams a file's SHA-256 (the demo, against node:crypto)", async () => {
    const { sha256OfBlob } = await import('../src/io/file-digest.ts');
    const { openAsBlob, readFileSync } = await import('node:fs');
    const { createHash } = await import('node:crypto');
    const want = createHash('sha256').update(readFileSync(DEMO)).digest('hex');
    expect(await sha256OfBlob(await openAsBlob(DEMO))).toBe(want);
  });
});
