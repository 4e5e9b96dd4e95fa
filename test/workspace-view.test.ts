// The workspace's pure parts: saved-workspace parsing (untrusted JSON from files and storage),
// cluster label placement, SVG export, marker sorting and the obs filters.
import { describe, expect, it } from 'vitest';
import { DEFAULT_PARAMS } from '../src/analysis/pipeline.ts';
import type { DatasetSummary } from '../src/io/summary.ts';
import { labelPositions } from '../src/ui/plot/label-positions.ts';
import { markerRows, sortRows } from '../src/ui/plot/marker-sort.ts';
import { sceneToSvg } from '../src/ui/plot/svg-export.ts';
import { visibleMask } from '../src/ui/plot/visible.ts';
import { parseWorkspace, WORKSPACE_VERSION } from '../src/ui/session/workspace.ts';

const summary = {
  obs: {
    leiden: { type: 'categorical', n_missing: 0, categories: { '0': 5, '1': 3 } },
    total_counts: { type: 'float64', n_missing: 0, min: 10, max: 900 },
  },
  obsm: { X_umap: [8, 2], X_pca: [8, 50] },
} as unknown as DatasetSummary;

const saved = {
  scweb: WORKSPACE_VERSION,
  savedAt: '2026-11-30T21:00:00.000Z',
  file: { name: 'a.h5ad', size: 123 },
  params: { ...DEFAULT_PARAMS, leiden: { resolution: 0.4, seed: 3 }, batch: { ...DEFAULT_PARAMS.batch, keys: ['leiden'], theta: 3 } },
  view: {
    embedding: 'X_umap',
    colorBy: 'leiden',
    gene: null,
    hidden: { leiden: ['1'] },
    ranges: { total_counts: [50, 20] },
    pointSize: 2,
    opacity: 0.5,
    showLabels: false,
    tab: 'plots',
    recentGenes: ['CD3E'],
    clip: [1, 99],
    markersGroupBy: 'leiden',
    markersMethod: 't-test',
  },
  labelsFrom: 'leiden',
};

describe('parseWorkspace', () => {
  it('keeps a workspace that matches the dataset', () => {
    const w = parseWorkspace(JSON.stringify(saved), summary)!;
    expect(w.params.leiden).toEqual({ resolution: 0.4, seed: 3 });
    expect(w.params.umap).toEqual(DEFAULT_PARAMS.umap);
    expect(w.params.batch).toEqual({ ...DEFAULT_PARAMS.batch, keys: ['leiden'], theta: 3 });
    expect(w.view).toMatchObject({ embedding: 'X_umap', colorBy: 'leiden', hidden: { leiden: ['1'] }, pointSize: 2, opacity: 0.5, showLabels: false, tab: 'plots', clip: [1, 99], markersMethod: 't-test' });
    // A range saved reversed is put in order.
    expect(w.view.ranges).toEqual({ total_counts: [20, 50] });
    expect(w.labelsFrom).toBe('leiden');
  });

  it('drops what the dataset lacks and what has the wrong type', () => {
    const bad = {
      ...saved,
      params: { leiden: { resolution: 'high', seed: 1, extra: 5 }, hvg: 'x', device: '<b>gpu</b>'.repeat(50), batch: { keys: ['leiden', 'nope', 7, { x: 1 }, '__proto__'], theta: 'big' } },
      view: { ...saved.view, embedding: 'X_tsne', colorBy: 'nope', hidden: { leiden: ['1', 'ghost'], nope: ['a'] }, ranges: { leiden: [0, 1], total_counts: [0, 'x'] }, pointSize: 1e9, opacity: -1, tab: 'other', clip: ['a', 200] },
      labelsFrom: 'missing',
    };
    const w = parseWorkspace(JSON.stringify(bad), summary)!;
    expect(w.params.leiden).toEqual({ resolution: DEFAULT_PARAMS.leiden.resolution, seed: 1 });
    expect((w.params.leiden as unknown as Record<string, unknown>).extra).toBeUndefined();
    expect(w.params.hvg).toEqual(DEFAULT_PARAMS.hvg);
    expect(w.params.device).toBe(DEFAULT_PARAMS.device);
    // Batch keys: only names of obs columns the dataset has.
    expect(w.params.batch).toEqual({ ...DEFAULT_PARAMS.batch, keys: ['leiden'] });
    expect(w.view.embedding).toBeNull();
    expect(w.view.colorBy).toBeNull();
    expect(w.view.hidden).toEqual({ leiden: ['1'] });
    expect(w.view.ranges).toEqual({});
    expect(w.view.pointSize).toBe(1);
    expect(w.view.opacity).toBe(0.85);
    expect(w.view.tab).toBe('embedding');
    expect(w.view.clip).toEqual([0, 100]);
    expect(w.labelsFrom).toBeNull();
  });

  it('refuses what is not a workspace, and maps our X_umap_pca onto a saved file\'s X_umap', () => {
    expect(parseWorkspace('not json', summary)).toBeNull();
    expect(parseWorkspace(JSON.stringify({ ...saved, scweb: 99 }), summary)).toBeNull();
    expect(parseWorkspace('[1,2]', summary)).toBeNull();
    expect(parseWorkspace(JSON.stringify({ ...saved, view: { ...saved.view, embedding: 'X_umap_pca' } }), summary)!.view.embedding).toBe('X_umap');
    // A polluted prototype key is data, not a setter.
    const w = parseWorkspace('{"scweb":1,"view":{"hidden":{"__proto__":["x"]}},"params":{"__proto__":{"polluted":true}}}', summary)!;
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(w.view.hidden).toEqual({});
  });
});

describe('labelPositions', () => {
  it("puts each category's name at its cells' median, leaving out hidden and filtered cells", () => {
    // Category 0: x 0, 1, 2, 100 (an outlier) -> median 1.5; category 1: two cells.
    const pos = Float32Array.from([0, 0, 1, 1, 2, 2, 100, 100, 10, 10, 12, 14, NaN, 0, 5, 5]);
    const codes = Int32Array.from([0, 0, 0, 0, 1, 1, 1, -1]);
    const labels = labelPositions(pos, codes, ['a', 'b'], null);
    expect(labels).toEqual([
      { code: 0, text: 'a', position: [1.5, 1.5] },
      { code: 1, text: 'b', position: [11, 12] },
    ]);
    expect(labelPositions(pos, codes, ['a', 'b'], null, new Set(['a'])).map((l) => l.text)).toEqual(['b']);
    const visible = Uint8Array.from([1, 1, 1, 0, 0, 0, 0, 1]);
    expect(labelPositions(pos, codes, ['a', 'b'], visible)).toEqual([{ code: 0, text: 'a', position: [1, 1] }]);
  });
});

describe('sceneToSvg', () => {
  it('draws visible on-screen cells and escapes names from the file', () => {
    const svg = sceneToSvg({
      width: 100,
      height: 80,
      pixels: Float32Array.from([10, 10, 50, 40, 500, 500, 20, 20]),
      colors: Uint8Array.from([255, 0, 0, 255, 0, 128, 0, 128, 0, 0, 255, 255, 9, 9, 9, 0]),
      radius: 2,
      title: 'X_umap coloured by <cell & type>',
      labels: [{ text: '<script>alert(1)</script>', x: 30, y: 30 }],
    });
    expect(svg.match(/<circle /g)).toHaveLength(2);
    expect(svg).toContain('fill="#ff0000"');
    expect(svg).toContain('fill="#008000" fill-opacity="0.50"');
    expect(svg).not.toContain('<script>');
    expect(svg).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(svg).toContain('coloured by &lt;cell &amp; type&gt;');
  });
});

describe('sortRows', () => {
  const group = { group: 'g', nCells: 5, genes: ['A', 'B', 'C', 'D'], scores: [9, 7, 7, 1], logFoldChanges: [1, NaN, 3, 2], pvalsAdj: [0.01, 0.2, 0.03, 0.5], pctIn: [0.9, 0.5, 0.7, 0.1], pctOut: [0.1, 0.4, 0.2, 0.4] };
  const genes = (key: Parameters<typeof sortRows>[1], desc: boolean) => sortRows(markerRows(group), key, desc).map((r) => r.gene);
  it("sorts by any column, ties in scanpy's rank order, NaN last both ways", () => {
    expect(genes('score', true)).toEqual(['A', 'B', 'C', 'D']);
    expect(genes('score', false)).toEqual(['D', 'B', 'C', 'A']);
    expect(genes('logfc', true)).toEqual(['C', 'D', 'A', 'B']);
    expect(genes('logfc', false)).toEqual(['A', 'D', 'C', 'B']);
    expect(genes('pctOut', true)).toEqual(['B', 'D', 'C', 'A']);
    expect(genes('gene', true)).toEqual(['D', 'C', 'B', 'A']);
    expect(genes('padj', false)).toEqual(['A', 'C', 'B', 'D']);
  });
});

describe('visibleMask', () => {
  it('combines hidden categories and numeric ranges; NaN is outside a range', () => {
    const columns = {
      leiden: { kind: 'categorical' as const, name: 'leiden', codes: Int32Array.from([0, 1, 1, 0, -1]), categories: ['0', '1'] },
      n: { kind: 'numeric' as const, name: 'n', values: Float64Array.from([1, 5, 9, NaN, 5]) },
    };
    expect(visibleMask(5, columns, {}, {})).toBeNull();
    expect(Array.from(visibleMask(5, columns, { leiden: new Set(['1']) }, {})!)).toEqual([1, 0, 0, 1, 1]);
    expect(Array.from(visibleMask(5, columns, { leiden: new Set(['0']) }, { n: [2, 9] })!)).toEqual([0, 1, 1, 0, 1]);
    // A filter on a column not loaded yet hides nothing rather than everything.
    expect(visibleMask(5, columns, { other: new Set(['0']) }, {})).toBeNull();
  });
});
