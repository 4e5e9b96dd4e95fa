// sc.pl.dotplot's layout drawn with deck.gl: genes across (labels on top), groups down (labels on
// the left); a dot's area is the fraction of the group's cells expressing the gene, its colour the
// group's mean expression scaled per gene to [0, 1] (standard_scale='var'), on scanpy's 'Reds'.
import { OrthographicView } from '@deck.gl/core';
import { ScatterplotLayer, TextLayer } from '@deck.gl/layers';
import DeckGL from '@deck.gl/react';
import { useMemo } from 'react';
import type { GroupStats } from '../../analysis/group-stats.ts';
import { scalePerGene } from '../../analysis/group-stats.ts';

const CELL = 22;
const CHAR = 7;

/** White to dark red, as matplotlib's 'Reds' runs. */
function reds(t: number): [number, number, number] {
  const stops: [number, number, number][] = [[255, 245, 240], [252, 187, 161], [251, 106, 74], [203, 24, 29], [103, 0, 13]];
  const x = Math.min(1, Math.max(0, t)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(x));
  const f = x - i;
  return stops[i].map((c, k) => Math.round(c + (stops[i + 1][k] - c) * f)) as [number, number, number];
}

interface Dot {
  position: [number, number];
  radius: number;
  color: [number, number, number];
  label: string;
}

export function DotPlot({ stats }: { stats: GroupStats }) {
  const { groups, genes } = stats;
  const left = Math.max(...groups.map((g) => g.length)) * CHAR + 16;
  const top = Math.max(...genes.map((g) => g.length)) * CHAR + 16;
  const width = left + genes.length * CELL + 8;
  const height = top + groups.length * CELL + 8;
  const layers = useMemo(() => {
    const scaled = scalePerGene(stats);
    const p = genes.length;
    const dots: Dot[] = [];
    groups.forEach((group, g) =>
      genes.forEach((gene, j) => {
        const frac = stats.fraction[g * p + j];
        dots.push({
          position: [left + j * CELL + CELL / 2, top + g * CELL + CELL / 2],
          radius: (CELL / 2 - 1) * Math.sqrt(Number.isFinite(frac) ? frac : 0),
          color: reds(scaled[g * p + j]),
          label: `${gene} in ${group}: ${(frac * 100).toFixed(0)}% expressing, mean ${stats.mean[g * p + j].toFixed(2)}`,
        });
      }),
    );
    return [
      new ScatterplotLayer<Dot>({ id: 'dots', data: dots, getPosition: (d) => d.position, getRadius: (d) => d.radius, radiusUnits: 'pixels', getFillColor: (d) => d.color, stroked: true, getLineColor: [120, 120, 120], lineWidthUnits: 'pixels', getLineWidth: 0.5, pickable: true }),
      new TextLayer<{ text: string; position: [number, number] }>({
        id: 'genes',
        data: genes.map((text, j) => ({ text, position: [left + j * CELL + CELL / 2, top - 6] })),
        getText: (d) => d.text,
        getPosition: (d) => d.position,
        getAngle: 90,
        getSize: 12,
        getTextAnchor: 'start',
        getAlignmentBaseline: 'center',
      }),
      new TextLayer<{ text: string; position: [number, number] }>({
        id: 'groups',
        data: groups.map((text, g) => ({ text, position: [left - 6, top + g * CELL + CELL / 2] })),
        getText: (d) => d.text,
        getPosition: (d) => d.position,
        getSize: 12,
        getTextAnchor: 'end',
        getAlignmentBaseline: 'center',
      }),
    ];
  }, [stats, genes, groups, left, top]);
  return (
    <figure className="dotplot" data-testid="dotplot" data-genes={genes.length} data-groups={groups.length}>
      <div style={{ position: 'relative', width, height }}>
        <DeckGL
          width={width}
          height={height}
          views={new OrthographicView({ id: 'dot', flipY: true })}
          initialViewState={{ target: [width / 2, height / 2, 0], zoom: 0 }}
          controller={false}
          layers={layers}
          getTooltip={({ object }) => (object ? (object as Dot).label : null)}
        />
      </div>
      <figcaption className="muted small">
        Dot area: fraction of the group&apos;s cells expressing the gene. Colour: mean expression in the group, scaled per gene to 0–1 (white to dark red).
      </figcaption>
    </figure>
  );
}
