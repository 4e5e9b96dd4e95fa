// A gene network drawn with deck.gl: edges as lines (wider for larger weights), genes as points in
// their program's colour, names where they can be read (every name for small networks; the picked
// gene and its neighbours in large ones). Pan and zoom; click a gene to pick it.
import { OrthographicView } from '@deck.gl/core';
import { LineLayer, ScatterplotLayer, TextLayer } from '@deck.gl/layers';
import DeckGL from '@deck.gl/react';
import { useMemo, useRef, useState } from 'react';
import { useElementSize } from './use-element-size.ts';
import type { Network, NetworkNode } from '../plot/network-graph.ts';

interface Camera {
  target: [number, number, number];
  zoom: number;
}

/** Every name is drawn up to this many genes; beyond it only the picked gene's neighbourhood. */
const ALL_LABELS = 80;

function fit(nodes: NetworkNode[], width: number, height: number): Camera {
  if (nodes.length === 0) return { target: [0, 0, 0], zoom: 0 };
  let [x0, x1, y0, y1] = [Infinity, -Infinity, Infinity, -Infinity];
  for (const n of nodes) {
    x0 = Math.min(x0, n.x);
    x1 = Math.max(x1, n.x);
    y0 = Math.min(y0, n.y);
    y1 = Math.max(y1, n.y);
  }
  const scale = Math.min(width / Math.max(x1 - x0, 1e-9), height / Math.max(y1 - y0, 1e-9)) * 0.8;
  return { target: [(x0 + x1) / 2, (y0 + y1) / 2, 0], zoom: Math.log2(scale) };
}

interface Props {
  network: Network;
  /** The picked gene (highlighted with its edges). */
  focus: string | null;
  /** Genes to emphasise (a program's members, a search hit). */
  emphasis: ReadonlySet<string>;
  onPick(gene: string): void;
}

export function NetworkView({ network, focus, emphasis, onPick }: Props) {
  const box = useRef<HTMLDivElement>(null);
  const [moved, setMoved] = useState<{ from: Camera; camera: Camera } | null>(null);
  const size = useElementSize(box);
  const fitted = useMemo(() => (size[0] > 0 ? fit(network.nodes, size[0], size[1]) : null), [network, size]);
  const camera = moved && moved.from === fitted ? moved.camera : fitted;

  const focusIndex = focus ? network.nodes.findIndex((n) => n.gene === focus) : -1;
  const neighbours = useMemo(() => {
    const s = new Set<number>();
    if (focusIndex < 0) return s;
    for (const e of network.edges) {
      if (e.source === focusIndex) s.add(e.target);
      if (e.target === focusIndex) s.add(e.source);
    }
    return s;
  }, [network, focusIndex]);
  const dimmed = focusIndex >= 0 || emphasis.size > 0;
  const lit = (i: number) => i === focusIndex || neighbours.has(i) || emphasis.has(network.nodes[i].gene);

  const layers = useMemo(() => {
    const labelled = network.nodes.map((n, i) => ({ n, i })).filter(({ i }) => network.nodes.length <= ALL_LABELS || lit(i));
    return [
      new LineLayer({
        id: 'edges',
        data: network.edges,
        getSourcePosition: (e) => [network.nodes[e.source].x, network.nodes[e.source].y],
        getTargetPosition: (e) => [network.nodes[e.target].x, network.nodes[e.target].y],
        getWidth: (e) => 0.5 + 3.5 * Math.min(1, Math.max(0, e.weight)),
        widthUnits: 'pixels',
        getColor: (e) => (focusIndex >= 0 && (e.source === focusIndex || e.target === focusIndex) ? [214, 39, 40, 200] : [120, 120, 120, dimmed ? 40 : 90]),
        updateTriggers: { getColor: [focusIndex, dimmed] },
      }),
      new ScatterplotLayer<NetworkNode>({
        id: 'genes',
        data: network.nodes,
        getPosition: (n) => [n.x, n.y],
        getRadius: (n) => (n.role === 'regulator' ? 9 : 5),
        radiusUnits: 'pixels',
        getFillColor: (n, { index }) => [...n.color, !dimmed || lit(index) ? 255 : 70] as [number, number, number, number],
        stroked: true,
        getLineColor: (_, { index }) => (index === focusIndex ? [0, 0, 0, 255] : [255, 255, 255, 200]),
        getLineWidth: (_, { index }) => (index === focusIndex ? 2 : 0.5),
        lineWidthUnits: 'pixels',
        pickable: true,
        onClick: ({ object }) => object && onPick((object as NetworkNode).gene),
        updateTriggers: { getFillColor: [focusIndex, neighbours, emphasis], getLineColor: [focusIndex], getLineWidth: [focusIndex] },
      }),
      new TextLayer<{ n: NetworkNode; i: number }>({
        id: 'names',
        data: labelled,
        getPosition: ({ n }) => [n.x, n.y],
        getText: ({ n }) => n.gene,
        getSize: ({ i }) => (i === focusIndex ? 14 : 11),
        getPixelOffset: [0, -10],
        getColor: [30, 30, 30, 230],
        fontFamily: 'system-ui, sans-serif',
        characterSet: 'auto',
        // A plain atlas with a pale box: the SDF outline lost thin glyphs such as '-' at this size.
        background: true,
        getBackgroundColor: [255, 255, 255, 190],
        backgroundPadding: [1, 0],
      }),
    ];
    // lit() reads focusIndex, neighbours and emphasis, all listed.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [network, focusIndex, neighbours, emphasis, dimmed, onPick]);

  return (
    <div className="network" ref={box} data-testid="network-view" data-nodes={network.nodes.length} data-edges={network.edges.length} data-focus={focus ?? ''}>
      {camera && (
        <DeckGL
          views={new OrthographicView({ id: 'network', flipY: false })}
          viewState={camera}
          onViewStateChange={({ viewState }) => fitted && setMoved({ from: fitted, camera: viewState as Camera })}
          controller={{ dragRotate: false }}
          layers={layers}
          getTooltip={({ object }) => (object && 'gene' in (object as object) ? (object as NetworkNode).gene : null)}
          deviceProps={{ type: 'webgl', webgl: { preserveDrawingBuffer: true } }}
        />
      )}
    </div>
  );
}
