// The network view's nodes and edges, from gene programs (nodes where the gene graph's UMAP put
// them, edges where embeddings are alike) or from an attention GRN (a regulator in the middle, its
// top targets around it, the best nearest), and their export as Cytoscape-ready CSV.
import { topTargets, type TargetOrder } from '../../model/grn/targets.ts';
import type { AttentionResult, ProgramsResult } from '../../workers/protocol.ts';
import { categoryPalette, type RGB } from '../colors.ts';
import { csvLines, csvNumber, csvText } from '../../io/csv.ts';

export interface NetworkNode {
  gene: string;
  x: number;
  y: number;
  color: RGB;
  /** Program id (programs; -1 for none) or 0; the regulator is marked in attention networks. */
  group: number;
  role?: 'regulator' | 'target';
}

export interface NetworkEdge {
  source: number;
  target: number;
  weight: number;
  /** What the weight is, for the CSV and the tooltip. */
  kind: 'cosine' | 'attention';
}

export interface Network {
  nodes: NetworkNode[];
  edges: NetworkEdge[];
}

const NO_PROGRAM: RGB = [190, 190, 190];

export function programColors(nPrograms: number): RGB[] {
  return categoryPalette(Math.max(nPrograms, 1));
}

export function programsNetwork(r: ProgramsResult): Network {
  const palette = programColors(r.programs.length);
  const slot = new Map(r.programs.map((p, i) => [p.id, i]));
  const nodes = r.genes.map((gene, i): NetworkNode => {
    const p = r.program[i];
    return { gene, x: r.layout[2 * i], y: r.layout[2 * i + 1], group: p, color: p >= 0 ? palette[slot.get(p) ?? 0] : NO_PROGRAM };
  });
  const edges: NetworkEdge[] = [];
  for (let e = 0; e < r.edges.source.length; e++) edges.push({ source: r.edges.source[e], target: r.edges.target[e], weight: r.edges.weight[e], kind: 'cosine' });
  return { nodes, edges };
}

const REGULATOR: RGB = [214, 39, 40];
const UP: RGB = [31, 119, 180];
const DOWN: RGB = [148, 103, 189];

/** The regulator at the centre; targets on a circle in rank order, the best nearest. */
export function attentionNetwork(r: AttentionResult, tf: string, by: TargetOrder, k: number): Network {
  const targets = r.panel.includes(tf) ? topTargets(r, tf, k, by) : [];
  const nodes: NetworkNode[] = [{ gene: tf, x: 0, y: 0, color: REGULATOR, group: 0, role: 'regulator' }];
  const edges: NetworkEdge[] = [];
  const top = Math.max(...targets.map((t) => Math.abs(by === 'difference' ? t.score : by === 'a' ? t.scoreA : t.scoreB)), 1e-12);
  targets.forEach((t, i) => {
    const angle = (2 * Math.PI * i) / Math.max(targets.length, 1) - Math.PI / 2;
    const radius = 1 + (0.6 * i) / Math.max(targets.length - 1, 1);
    const s = by === 'difference' ? t.score : by === 'a' ? t.scoreA : t.scoreB;
    nodes.push({ gene: t.target, x: radius * Math.cos(angle), y: radius * Math.sin(angle), color: s >= 0 ? UP : DOWN, group: 0, role: 'target' });
    edges.push({ source: 0, target: i + 1, weight: Math.abs(s) / top, kind: 'attention' });
  });
  return { nodes, edges };
}

/** nodes.csv and edges.csv as Cytoscape's "import network from file" reads them (header row, comma separated). */
export function networkCsv(net: Network, groupName: (n: NetworkNode) => string): { nodes: string; edges: string } {
  const nodes = csvLines(['id', 'group', 'x', 'y'], net.nodes.map((n) => [csvText(n.gene), csvText(groupName(n)), csvNumber(n.x, 'float32'), csvNumber(n.y, 'float32')]));
  const edges = csvLines(['source', 'target', 'interaction', 'weight'], net.edges.map((e) => [csvText(net.nodes[e.source].gene), csvText(net.nodes[e.target].gene), e.kind, csvNumber(e.weight, 'float32')]));
  return { nodes, edges };
}
