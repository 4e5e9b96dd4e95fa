// Issue 23 item 3, the logic under the Plots tab: the gene list a user types or pastes (symbols
// resolved as the gene search resolves them, unknown ones reported, "name: genes" lines as
// brackets), the marker groups behind the brackets, the seeded stripplot jitter, the points kept
// per violin, and the grid that grows to fill the tab.
import { describe, expect, it } from 'vitest';
import { geneGroupLine, parseGeneList, resolveGeneList } from '../src/analysis/gene-list.ts';
import { topMarkerGenes, topMarkerGroups } from '../src/analysis/group-stats.ts';
import { evenSample, jitterOffsets } from '../src/analysis/jitter.ts';
import { violins } from '../src/analysis/violin.ts';
import { gridLayout } from '../src/ui/components/plot-grid.ts';

// A CELLxGENE-style var: Ensembl ids in the index, symbols beside them.
const labels = {
  ids: ['ENSG00000010610', 'ENSG00000167286', 'ENSG00000156738', 'ENSG00000105374', 'ENSG00000132465'],
  symbols: ['CD4', 'CD3D', 'MS4A1', 'NKG7', 'JCHAIN'],
};

describe('parseGeneList', () => {
  it('splits on commas, spaces, semicolons and new lines into one unnamed group', () => {
    expect(parseGeneList('CD3D, MS4A1 NKG7\nCD4;JCHAIN\n\n')).toEqual([{ label: null, genes: ['CD3D', 'MS4A1', 'NKG7', 'CD4', 'JCHAIN'] }]);
  });
  it('reads "name: genes" lines as groups (scanpy var_names dict), skipping comments', () => {
    expect(parseGeneList('# markers\nT cells: CD3D CD4\nB: MS4A1,\nNKG7')).toEqual([
      { label: 'T cells', genes: ['CD3D', 'CD4'] },
      { label: 'B', genes: ['MS4A1'] },
      { label: null, genes: ['NKG7'] },
    ]);
  });
  it('is empty for blank text', () => {
    expect(parseGeneList('  \n\t')).toEqual([]);
  });
});

describe('resolveGeneList', () => {
  it('resolves symbols (any case) and ids to the matrix ids, reports the unknown ones', () => {
    const r = resolveGeneList(parseGeneList('cd3d, MS4A1 FOO ENSG00000105374 bar FOO'), labels);
    expect(r.ids).toEqual(['ENSG00000167286', 'ENSG00000156738', 'ENSG00000105374']);
    expect(r.symbols).toEqual(['CD3D', 'MS4A1', 'NKG7']);
    expect(r.unknown).toEqual(['FOO', 'bar']);
    expect(r.brackets).toEqual([]);
  });
  it('brackets each named group over its columns; a gene listed twice stays under its first group; aliases', () => {
    const r = resolveGeneList(parseGeneList('T: CD3D CD4\nB: MS4A1 CD4\nPlasma: IGJ|JCHAIN\nNone: XYZ'), labels);
    expect(r.symbols).toEqual(['CD3D', 'CD4', 'MS4A1', 'JCHAIN']);
    expect(r.brackets).toEqual([
      { label: 'T', start: 0, end: 1 },
      { label: 'B', start: 2, end: 2 },
      { label: 'Plasma', start: 3, end: 3 },
    ]);
    expect(r.unknown).toEqual(['XYZ']);
  });
  it('writes a marker set as a line the parser reads back', () => {
    const line = geneGroupLine('Platelet: mk', ['PPBP', 'PF4']);
    expect(parseGeneList(line)).toEqual([{ label: 'Platelet  mk', genes: ['PPBP', 'PF4'] }]);
  });
});

describe('topMarkerGroups', () => {
  it('keeps the group each gene was picked for, each gene once, as topMarkerGenes orders them', () => {
    const groups = [
      { group: '0', genes: ['A', 'B', 'C', 'D'] },
      { group: '1', genes: ['B', 'E', 'F'] },
      { group: '2', genes: ['A', 'B'] },
    ];
    const g = topMarkerGroups(groups, 2);
    expect(g).toEqual([
      { label: '0', genes: ['A', 'B'] },
      { label: '1', genes: ['E'] },
    ]);
    expect(g.flatMap((x) => x.genes)).toEqual(topMarkerGenes(groups, 2));
  });
});

describe('stripplot jitter', () => {
  it('is the same for the same seed, different for another, uniform in [-1, 1)', () => {
    const a = jitterOffsets(10_000, 0);
    expect(Array.from(jitterOffsets(10_000, 0))).toEqual(Array.from(a));
    expect(Array.from(jitterOffsets(10_000, 1))).not.toEqual(Array.from(a));
    expect(Math.min(...a)).toBeGreaterThanOrEqual(-1);
    expect(Math.max(...a)).toBeLessThan(1);
    const mean = a.reduce((s, v) => s + v, 0) / a.length;
    expect(Math.abs(mean)).toBeLessThan(0.03);
    // Each tenth of the range holds about a tenth of the offsets.
    const bins = new Array(10).fill(0);
    for (const v of a) bins[Math.floor((v + 1) * 5)]++;
    for (const b of bins) expect(Math.abs(b - 1000)).toBeLessThan(120);
  });
  it('keeps every value of a small group as points and an even sample of a large one', () => {
    expect(Array.from(evenSample(4, 10))).toEqual([0, 1, 2, 3]);
    expect(Array.from(evenSample(10, 4))).toEqual([0, 2, 5, 7]);
    const values = Float64Array.from([1, NaN, 2, 3, 4, 5]);
    const [a, b] = violins(values, Int32Array.from([0, 0, 0, 1, 1, 1]), ['a', 'b'], { points: 2 });
    expect(Array.from(a.points!)).toEqual([1, 2]);
    expect(Array.from(b.points!)).toEqual([3, 4]);
    expect(violins(values, null, [])[0].points).toBeUndefined();
  });
});

describe('gridLayout', () => {
  const groups = ['B', 'CD4 T', 'NK'];
  const genes = ['MS4A1', 'CD79A', 'CD3D', 'IL7R', 'NKG7', 'GNLY'];
  it('grows the cells to fill the room it is given, within bounds', () => {
    const small = gridLayout({ groups, genes });
    expect(small.cell).toBe(22);
    const big = gridLayout({ groups, genes, room: [1000, 600], right: 170 });
    expect(big.cell).toBe(44);
    const wide = gridLayout({ groups, genes: Array.from({ length: 30 }, (_, i) => `G${i}`), room: [1000, 600], right: 170 });
    expect(wide.width).toBeLessThanOrEqual(1000);
    expect(wide.width).toBeGreaterThan(900);
    expect(wide.height).toBeLessThanOrEqual(600);
  });
  it('stands bracket labels upright when they are wider than their columns', () => {
    expect(gridLayout({ groups, genes, brackets: [{ label: 'B', start: 0, end: 1 }], room: [1000, 600] }).rotateBrackets).toBe(false);
    const long = gridLayout({ groups, genes, brackets: [{ label: 'CD4+/CD45RA+/CD25- Naive T', start: 0, end: 0 }], room: [1000, 600] });
    expect(long.rotateBrackets).toBe(true);
    expect(long.gridTop).toBeGreaterThan(gridLayout({ groups, genes, room: [1000, 600] }).gridTop + 100);
  });
});
