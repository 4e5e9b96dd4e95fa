// Fidelity fixes a scanpy user hits within minutes (issue 9): CELLxGENE-style files shown by symbol,
// markers on scanpy's own processed file (X scaled, log data in raw/X), missing-label spellings,
// marker-set suggestions, and CSV exports (float32 decimals, no spreadsheet formulas).
import { readFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_MAP_PARAMS, annotationCsv, mapWithin } from '../src/analysis/mapping.ts';
import type { GroupMarkers } from '../src/analysis/markers.ts';
import { DEFAULT_PARAMS, Pipeline } from '../src/analysis/pipeline.ts';
import { markerTableCsv } from '../src/analysis/report.ts';
import { suggestCellTypes, type MarkerSet } from '../src/analysis/suggest.ts';
import { csvText, float32Text } from '../src/io/csv.ts';
import { expressionInput } from '../src/io/expression-input.ts';
import { findGene, geneLabels } from '../src/io/gene-symbols.ts';
import { nodeH5Runtime } from '../src/io/h5/node-runtime.ts';
import { writeH5ad } from '../src/io/h5ad/write.ts';
import { openPaths } from '../src/io/node.ts';
import { summarize } from '../src/io/summary.ts';
import type { Dataset } from '../src/io/types.ts';
import { geneNames as embedGeneNames } from '../src/model/embed.ts';
import { loadEnsemblMap } from '../src/model/node-model.ts';
import { AnalysisSession, type SessionResources } from '../src/workers/analysis-session.ts';
import { shared } from './helpers.ts';

const markerSets = (): MarkerSet[] => JSON.parse(readFileSync(new URL('../public/markers/cell-type-markers.json', import.meta.url), 'utf8')).sets;
const nodeResources: SessionResources = { ensemblMap: loadEnsemblMap, markerSets: async () => markerSets() };
const noSignal = new AbortController().signal;
const quiet = () => {};
const CXG = () => shared('data/format_variants/cellxgene_example_with_labels.h5ad');

describe('CELLxGENE-style genes (Ensembl ids in the index)', () => {
  it('symbols come from the bundled map when feature_name is empty; search takes either; markers show symbols with ids kept', async () => {
    const ds = await openPaths([CXG()]);
    const map = await loadEnsemblMap();
    const labels = geneLabels(ds, expressionInput(ds)!.key, map);
    expect(labels.ids[1]).toBe('ENSG00000127603');
    expect(labels.symbols[1]).toBe(map.get('ENSG00000127603'));
    expect(labels.source).toBe('the bundled GENCODE v44 Ensembl map');
    expect(labels.symbols[0]).toBe('ERCC-00002'); // no symbol: the id is shown
    expect(findGene(labels, labels.symbols[1].toLowerCase())).toBe(1);
    expect(findGene(labels, 'ENSG00000127603')).toBe(1);
    expect(findGene(labels, 'NOT_A_GENE')).toBe(-1);
    // The summary does not claim a symbol column whose values are all missing.
    expect(summarize(ds).gene_symbols_column).toBeNull();
    // scGPT's gene names: the index through the map, not the empty feature_name.
    expect(embedGeneNames(ds, 'X').source).toBe('var index');

    const session = new AnalysisSession(ds, nodeResources);
    const byName = await session.geneValues(labels.symbols[1]);
    const byId = await session.geneValues('ENSG00000127603');
    expect(Array.from(byName)).toEqual(Array.from(byId));
    await expect(session.geneValues('NOT_A_GENE')).rejects.toThrow(/no gene "NOT_A_GENE" in this dataset \(124 genes/);
    const table = await session.markers('cell_type', 'wilcoxon', null, noSignal, quiet);
    const g = table.groups[0];
    expect(g.geneIds).toBeDefined();
    expect(g.genes.filter((s) => s.startsWith('ENSG')).length).toBeLessThan(g.genes.length / 2);
    const csv = markerTableCsv(table).split('\n');
    expect(csv[0]).toBe('cell_type,rank,names,gene_ids,scores,logfoldchanges,pvals_adj,pct_nz_group,pct_nz_reference');
    expect(csv[1].split(',')[3]).toMatch(/^(ENSG|ERCC)/);
    ds.close();
  });

  it('a symbol column is used when it has values (raw/var genes found through the index)', async () => {
    const map = await loadEnsemblMap();
    const ids = [...map.keys()].slice(0, 3);
    const { lib } = await nodeH5Runtime();
    const p = join(mkdtempSync(join(tmpdir(), 'scweb-cxg-')), 'cxg.h5ad');
    writeH5ad(lib, p, {
      obs: { index: ['a', 'b'], columns: [] },
      var: { index: ids, columns: [{ kind: 'categorical', name: 'feature_name', codes: new Int32Array([0, 1, 2]), categories: ['GENE_A', 'GENE_B', 'GENE_C'], ordered: false, dtype: 'category' }] },
      X: { kind: 'csr', shape: [2, 3], indptr: [0, 2, 3], indices: new Int32Array([0, 1, 2]), data: new Float32Array([1, 2, 3]) },
    });
    const ds = await openPaths([p]);
    const labels = geneLabels(ds, 'X', map);
    expect(labels.symbols).toEqual(['GENE_A', 'GENE_B', 'GENE_C']);
    expect(labels.source).toBe('var/feature_name');
    expect(summarize(ds).gene_symbols_column).toBe('feature_name');
    ds.close();
  });
});

describe("scanpy's processed pbmc68k_reduced (X scaled, log-normalised raw/X, no counts)", () => {
  it('markers read raw/X: fold changes are finite and % expressing is not 100/100', async () => {
    const ds = await openPaths([shared('data/pbmc68k_reduced.h5ad')]);
    expect(expressionInput(ds)).toMatchObject({ key: 'raw/X', kind: 'log' });
    const session = new AnalysisSession(ds, nodeResources);
    const t = await session.markers('bulk_labels', 'wilcoxon', null, noSignal, quiet);
    const b = t.groups.find((g) => g.group === 'CD19+ B')!;
    expect(b.logFoldChanges.every(Number.isFinite)).toBe(true);
    expect(b.genes.slice(0, 10)).toContain('CD79A');
    expect(b.pctOut.some((v) => v < 1)).toBe(true);
    ds.close();
  });

  it('the pipeline runs from raw/X as log-normalised values and says so; seurat_v3 is refused', async () => {
    const ds = await openPaths([shared('data/pbmc68k_reduced.h5ad')]);
    const params = { ...DEFAULT_PARAMS, device: 'cpu' as const, pca: { nComps: 20 } };
    const r = await new Pipeline(ds).run(params);
    expect(r.input).toMatchObject({ key: 'raw/X', kind: 'log' });
    expect(r.nClusters).toBeGreaterThan(3);
    expect(Array.from(r.umap).some(Number.isNaN)).toBe(false);
    // QC on expm1 of the log values: every cell has expression, none reads as empty.
    expect(r.nKept).toBe(700);
    expect(r.qc.total_counts.every((v) => v > 0 && Number.isFinite(v))).toBe(true);
    await expect(new Pipeline(ds).run({ ...params, hvg: { flavor: 'seurat_v3', nTopGenes: 200 } })).rejects.toThrow(/seurat_v3 needs raw counts.*raw\/X holds log-normalised/);
    ds.close();
  }, 60_000);

  it('scaled values alone are refused for markers with a message, not NaN fold changes', async () => {
    const ds = await openPaths([shared('data/pbmc68k_reduced.h5ad')]);
    // The same file as if it had no raw: only the scaled X is left.
    const scaledOnly = new Proxy(ds, { get: (t, k) => (k === 'matrices' ? t.matrices.filter((m) => m.key === 'X') : Reflect.get(t, k, t)) }) as Dataset;
    expect(expressionInput(scaledOnly)).toMatchObject({ key: 'X', kind: 'scaled' });
    const session = new AnalysisSession(scaledOnly, nodeResources);
    await expect(session.markers('bulk_labels', 'wilcoxon', null, noSignal, quiet)).rejects.toThrow(/Marker genes need log-normalised expression or counts, but X holds scaled values/);
    ds.close();
  });
});

describe('labels and suggestions', () => {
  it('"NA", "nan" and "" are missing labels, not a cell type', async () => {
    const ds = await openPaths([shared('data/pbmc68k_reduced_with_counts.h5ad')]);
    const labels = ['CD4', 'NA', 'CD8', 'nan', '', 'B', 'None'];
    ds.setColumn({ kind: 'string', name: 'lab', values: Array.from({ length: ds.nObs }, (_, i) => (i < 70 ? labels[i % labels.length] : 'CD4')), dtype: 'string' });
    const { columns } = await mapWithin(ds, { ...DEFAULT_MAP_PARAMS, method: 'knn', labelColumn: 'lab', reference: 'missing', embedding: 'pca', k: 5, weighted: false, minConfidence: 0, seed: 0 });
    const pred = columns[0];
    expect(pred.kind === 'categorical' && pred.categories).toEqual(['B', 'CD4', 'CD8', 'unassigned']);
    ds.close();
  });

  it('a plasma-cell cluster (IGJ, MZB1, TNFRSF17 up; B genes mildly up) is called plasma, and sets not up are not offered', () => {
    const genes = ['IGJ', 'MZB1', 'TNFRSF17', 'MS4A1', 'CD79A', 'CD3E', 'CD3D', 'LYZ'];
    const scores = [12, 11, 9, 1, 4, -3, -3, -5];
    const m: GroupMarkers = { group: '7', nCells: 20, scores: Float64Array.from(scores), order: new Int32Array(), logFoldChanges: new Float64Array(8), pvals: new Float64Array(8), pvalsAdj: new Float64Array(8), pctIn: new Float64Array(8), pctOut: new Float64Array(8) } as unknown as GroupMarkers;
    const [s] = suggestCellTypes([m], genes, markerSets(), 5);
    expect(s.suggestions[0].name).toBe('Plasma cell');
    expect(s.suggestions.every((x) => x.score > 0)).toBe(true);
    expect(s.suggestions.map((x) => x.name)).not.toContain('CD8+ T');
  });
});

describe('CSV exports', () => {
  it('neutralise cells that a spreadsheet would run as formulas (OWASP) and keep float32 decimals short', async () => {
    expect(csvText('=HYPERLINK("http://x","y")')).toBe(`"'=HYPERLINK(""http://x"",""y"")"`);
    for (const c of ['+1', '-1+2', '@SUM(A1)', '\tx', '\rx']) expect(csvText(c).replace(/^"/, '')).toMatch(/^'/);
    expect(csvText('CD3E')).toBe('CD3E');
    expect(float32Text(Math.fround(0.9))).toBe('0.9');
    expect(float32Text(Math.fround(1 / 3))).toBe('0.33333334');
    expect(float32Text(1)).toBe('1');

    const ds = await openPaths([shared('data/pbmc68k_reduced_with_counts.h5ad')]);
    ds.setColumn({ kind: 'categorical', name: 'label', codes: Int32Array.from({ length: ds.nObs }, (_, i) => i % 2), categories: ['=HYPERLINK("http://evil")', 'T'], ordered: false, dtype: 'category' });
    ds.setColumn({ kind: 'numeric', name: 'conf', values: Float64Array.from({ length: ds.nObs }, () => Math.fround(0.9)), dtype: 'float32' });
    const lines = annotationCsv(ds, ['label', 'conf']).split('\n');
    expect(lines[1]).toMatch(/,"'=HYPERLINK\(""http:\/\/evil""\)",0\.9$/);
    expect(lines.join('\n')).not.toContain('0.8999999');
    ds.close();
  });
});

describe('dot plot numbers (sc.pl.dotplot: mean with zeros, fraction > 0)', () => {
  it('match numpy on pbmc68k_reduced raw/X by bulk_labels, in the order asked for, by symbol', async () => {
    const { spawnSync } = await import('node:child_process');
    const ds = await openPaths([shared('data/pbmc68k_reduced.h5ad')]);
    const session = new AnalysisSession(ds, nodeResources);
    const genes = ['NKG7', 'CD79A', 'LYZ', 'MS4A1'];
    const s = await session.groupStats('bulk_labels', genes);
    expect(s.genes).toEqual(genes);
    const py = `
import sys, json, warnings
warnings.filterwarnings("ignore")
import anndata, numpy as np
a = anndata.read_h5ad(sys.argv[1]); X = a.raw[:, ${JSON.stringify(genes)}].X
X = X.toarray() if hasattr(X, "toarray") else np.asarray(X)
labs = a.obs["bulk_labels"]; out = {"mean": [], "frac": []}
for c in labs.cat.categories:
    m = (labs == c).values
    out["mean"] += X[m].mean(0).tolist(); out["frac"] += (X[m] > 0).mean(0).tolist()
print(json.dumps(out))`;
    const r = spawnSync('/usr/bin/python3', ['-c', py, shared('data/pbmc68k_reduced.h5ad')], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const want = JSON.parse(r.stdout) as { mean: number[]; frac: number[] };
    want.mean.forEach((v, t) => expect(s.mean[t]).toBeCloseTo(v, 5));
    want.frac.forEach((v, t) => expect(s.fraction[t]).toBeCloseTo(v, 10));
    ds.close();
  });
});
