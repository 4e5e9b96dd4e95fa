// The network view's data: the radial layout of a regulator's targets in scGPT's own group means
// (the GRN fixture), programs as nodes and edges, and Cytoscape CSV that stays inert.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseNpy } from '../src/io/npy.ts';
import { attentionNetwork, networkCsv, programsNetwork } from '../src/ui/plot/network-graph.ts';
import type { AttentionResult, ProgramsResult } from '../src/workers/protocol.ts';
import { shared } from './helpers.ts';

const dir = (...p: string[]) => shared('fixtures/scgpt-grn/tiny', ...p);
const manifest = JSON.parse(readFileSync(dir('manifest.json'), 'utf8')) as { panel: string[]; tfs: string[]; M: number };
const mean = (name: string) => Float32Array.from(parseNpy(readFileSync(dir('expected', `${name}.npy`))).data as ArrayLike<number>);

function fixtureResult(): AttentionResult {
  return { panel: manifest.panel, m: manifest.M, meanA: mean('attn_rank_mean_A'), meanB: mean('attn_rank_mean_B'), nA: 12, nB: 12, labelA: 'A', labelB: 'B', layer: -1, encoder: 'fixture', model: 'tiny', seconds: 0 };
}

describe('attention network', () => {
  it('lays the regulator at the centre with one edge per target, widths scaled to the best', () => {
    const net = attentionNetwork(fixtureResult(), 'IRF8', 'difference', 12);
    expect(net.nodes).toHaveLength(13);
    expect(net.nodes[0]).toMatchObject({ gene: 'IRF8', x: 0, y: 0, role: 'regulator' });
    expect(net.edges).toHaveLength(12);
    expect(Math.max(...net.edges.map((e) => e.weight))).toBeCloseTo(1, 12);
    expect(net.edges.every((e) => e.source === 0)).toBe(true);
  });
});

describe('programs network and CSV', () => {
  const result: ProgramsResult = {
    genes: ['=HYPERLINK("x")', 'CD3E', 'CD8A', 'MS4A1'],
    program: Int32Array.from([0, 0, -1, 1]),
    programs: [
      { id: 0, genes: ['=HYPERLINK("x")', 'CD3E'], column: 'program_0_score' },
      { id: 1, genes: ['MS4A1'], column: 'program_1_score' },
    ],
    layout: Float32Array.from([0, 0, 1, 0, 0, 1, 1, 1]),
    edges: { source: Uint32Array.from([0, 1]), target: Uint32Array.from([1, 3]), weight: Float32Array.from([0.75, 0.5]) },
    model: 'test',
    genesNote: '',
    seconds: 0,
  };

  it('nodes take their program colour (grey for none) and edges their cosine', () => {
    const net = programsNetwork(result);
    expect(net.nodes.map((n) => n.group)).toEqual([0, 0, -1, 1]);
    expect(net.nodes[0].color).toEqual(net.nodes[1].color);
    expect(net.nodes[2].color).toEqual([190, 190, 190]);
    expect(net.edges).toEqual([
      { source: 0, target: 1, weight: 0.75, kind: 'cosine' },
      { source: 1, target: 3, weight: 0.5, kind: 'cosine' },
    ]);
  });

  it('writes nodes and edges CSV with a header, quoting and formula-neutralised names', () => {
    const csv = networkCsv(programsNetwork(result), (n) => (n.group >= 0 ? `program_${n.group}` : 'none'));
    const nodes = csv.nodes.trim().split('\n');
    expect(nodes[0]).toBe('id,group,x,y');
    expect(nodes[1]).toBe(`"'=HYPERLINK(""x"")",program_0,0,0`);
    expect(nodes[3]).toBe('CD8A,none,0,1');
    const edges = csv.edges.trim().split('\n');
    expect(edges).toEqual(['source,target,interaction,weight', `"'=HYPERLINK(""x"")",CD3E,cosine,0.75`, 'CD3E,MS4A1,cosine,0.5']);
  });
});
