// sc.pl.dotplot's layout drawn with deck.gl: genes across (labels on top, under the brackets of
// the groups they were picked for: var_group_positions), groups down (labels on the left); a dot's
// area is the fraction of the group's cells expressing the gene, its colour the group's mean
// expression on scanpy's 'Reds', as it is or scaled per gene to [0, 1] (standard_scale='var').
// Right of the grid, as scanpy draws them: the colour bar with its unit and the dot-size legend
// ("Fraction of cells in group (%)").
import { OrthographicView } from '@deck.gl/core';
import { PolygonLayer, ScatterplotLayer } from '@deck.gl/layers';
import DeckGL from '@deck.gl/react';
import { useMemo, useState } from 'react';
import type { GroupStats } from '../../analysis/group-stats.ts';
import { scalePerGene } from '../../analysis/group-stats.ts';
import { finiteRange } from '../colors.ts';
import { gridLabelLayers, gridLayout, NO_BRACKETS, type Bracket } from './plot-grid.ts';
import { textLayer } from './plot-layers.ts';
import { tickLabel } from './plot-scale.ts';

const LEGEND = 170;
const BAR = { width: 130, height: 10, steps: 40 };
/** The fractions the size legend shows, as scanpy's (20, 40, 60, 80, 100 %). */
export const SIZE_LEGEND = [0.2, 0.4, 0.6, 0.8, 1];

/** White to dark red, as matplotlib's 'Reds' runs. */
function reds(t: number): [number, number, number] {
  const stops: [number, number, number][] = [[255, 245, 240], [252, 187, 161], [251, 106, 74], [203, 24, 29], [103, 0, 13]];
  const x = Math.min(1, Math.max(0, t)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(x));
  const f = x - i;
  return stops[i].map((c, k) => Math.round(c + (stops[i + 1][k] - c) * f)) as [number, number, number];
}

/** A dot's radius for a fraction expressing: its area is proportional to the fraction. */
export function dotRadius(fraction: number, maxRadius: number): number {
  return maxRadius * Math.sqrt(Number.isFinite(fraction) ? Math.min(1, Math.max(0, fraction)) : 0);
}

/** Spacing of the size legend's dots, and the legend's width, for a cell size. */
const legendStep = (cell: number) => Math.max(26, cell + 2);
const legendWidth = (cell: number) => 24 + SIZE_LEGEND.length * legendStep(cell);

interface Dot {
  position: [number, number];
  radius: number;
  color: [number, number, number];
  label?: string;
}

interface Props {
  stats: GroupStats;
  /** The obs column the rows are groups of (the y-axis title). */
  groupBy?: string;
  brackets?: Bracket[];
  /** Room to fill, [width, height]. */
  room?: [number, number];
}

export function DotPlot({ stats, groupBy = 'group', brackets = NO_BRACKETS, room }: Props) {
  const [standardScale, setStandardScale] = useState(false);
  const { groups, genes } = stats;
  const [roomW, roomH] = room ?? [0, 0];
  const L = useMemo(() => {
    const room: [number, number] = [roomW, roomH - 24];
    let l = gridLayout({ groups, genes, brackets, room, right: LEGEND });
    // The size legend draws its dots as large as the plot's: wide cells need a wider legend.
    if (legendWidth(l.cell) > LEGEND) l = gridLayout({ groups, genes, brackets, room, right: legendWidth(l.cell) });
    // Too many genes for the width: the legends go under the grid, side by side.
    if (roomW > 0 && l.width > roomW) {
      const under = gridLayout({ groups, genes, brackets, room, below: 120 });
      return { ...under, legendsBelow: true, height: under.height + under.cell };
    }
    // The legends need their height even beside a grid of two rows.
    return { ...l, legendsBelow: false, height: Math.max(l.height, l.gridTop + 150 + l.cell) };
  }, [groups, genes, brackets, roomW, roomH]);
  const values = useMemo(() => (standardScale ? scalePerGene(stats) : stats.mean), [stats, standardScale]);
  const [lo, hi] = useMemo(() => {
    const [a, b] = finiteRange(values);
    return standardScale ? [0, 1] : [Math.min(0, a), b > Math.min(0, a) ? b : Math.min(0, a) + 1];
  }, [values, standardScale]);
  const unit = standardScale ? 'scaled per gene to 0–1' : (stats.unit ?? 'log1p normalised');
  const layers = useMemo(() => {
    const { cell, gridLeft, gridTop } = L;
    const p = genes.length;
    const rMax = cell / 2 - 1;
    const dots: Dot[] = [];
    groups.forEach((group, g) =>
      genes.forEach((gene, j) => {
        const frac = stats.fraction[g * p + j];
        const v = values[g * p + j];
        dots.push({
          position: [gridLeft + j * cell + cell / 2, gridTop + g * cell + cell / 2],
          radius: dotRadius(frac, rMax),
          color: reds((v - lo) / (hi - lo)),
          label: `${gene} in ${group}: ${(frac * 100).toFixed(0)}% expressing, mean ${stats.mean[g * p + j].toFixed(2)} (${stats.unit ?? 'log1p normalised'})`,
        });
      }),
    );
    // The legends, right of the grid: colour bar on top, dot sizes under it.
    const below = L.legendsBelow;
    const lx = below ? gridLeft : gridLeft + p * cell + 24;
    const ly = below ? gridTop + groups.length * cell + 50 : gridTop;
    const bar = Array.from({ length: BAR.steps }, (_, k) => {
      const x = lx + (k * BAR.width) / BAR.steps;
      return { polygon: [[x, ly + 36], [x + BAR.width / BAR.steps + 0.5, ly + 36], [x + BAR.width / BAR.steps + 0.5, ly + 36 + BAR.height], [x, ly + 36 + BAR.height]] as [number, number][], color: reds(k / (BAR.steps - 1)) };
    });
    // Beside the grid: the size legend under the colour bar; under the grid: right of it.
    const titleY = below ? ly - 14 : ly + 36 + BAR.height + 30;
    const sx = below ? lx + BAR.width + 40 : lx;
    const sy = titleY + 34 + rMax;
    const sizeDots: Dot[] = SIZE_LEGEND.map((f, k) => ({ position: [sx + legendStep(cell) / 2 + k * legendStep(cell), sy], radius: dotRadius(f, rMax), color: [160, 160, 160] }));
    return [
      new ScatterplotLayer<Dot>({ id: 'dots', data: dots, getPosition: (d) => d.position, getRadius: (d) => d.radius, radiusUnits: 'pixels', getFillColor: (d) => d.color, stroked: true, getLineColor: [120, 120, 120], lineWidthUnits: 'pixels', getLineWidth: 0.5, pickable: true }),
      ...gridLabelLayers('dot', L, groups, genes, brackets, { x: 'gene', y: groupBy }),
      textLayer('bar-title', [{ text: 'Mean expression', position: [lx, ly - 14] }, { text: 'in group', position: [lx, ly] }], { anchor: 'start', baseline: 'top', size: 12 }),
      textLayer('bar-unit', [{ text: `(${unit})`, position: [lx, ly + 16] }], { anchor: 'start', baseline: 'top' }),
      new PolygonLayer<{ polygon: [number, number][]; color: [number, number, number] }>({ id: 'bar', data: bar, getPolygon: (d) => d.polygon, getFillColor: (d) => d.color, stroked: false }),
      textLayer('bar-ticks', [{ text: tickLabel(lo), position: [lx, ly + 38 + BAR.height] }, { text: tickLabel(hi), position: [lx + BAR.width, ly + 38 + BAR.height] }], { baseline: 'top' }),
      textLayer('size-title', [{ text: 'Fraction of cells', position: [sx, titleY] }, { text: 'in group (%)', position: [sx, titleY + 14] }], { anchor: 'start', baseline: 'top', size: 12 }),
      new ScatterplotLayer<Dot>({ id: 'size-dots', data: sizeDots, getPosition: (d) => d.position, getRadius: (d) => d.radius, radiusUnits: 'pixels', getFillColor: (d) => d.color, stroked: true, getLineColor: [80, 80, 80], lineWidthUnits: 'pixels', getLineWidth: 0.5 }),
      textLayer('size-labels', SIZE_LEGEND.map((f, k) => ({ text: String(Math.round(f * 100)), position: [sizeDots[k].position[0], sy + rMax + 4] as [number, number] })), { baseline: 'top' }),
    ];
  }, [L, stats, values, lo, hi, genes, groups, brackets, groupBy, unit]);
  return (
    <figure
      className="dotplot"
      data-testid="dotplot"
      data-genes={genes.length}
      data-groups={groups.length}
      data-brackets={brackets.map((b) => `${b.label}:${b.start}-${b.end}`).join('|')}
      data-colorbar={`Mean expression in group (${unit})`}
      data-size-legend={`Fraction of cells in group (%): ${SIZE_LEGEND.map((f) => f * 100).join(' ')}`}
      data-axes={`gene / ${groupBy}`}
      data-cell={L.cell}
      data-legends={L.legendsBelow ? "below" : "right"}
    >
      <label className="small">
        <input type="checkbox" checked={standardScale} onChange={(e) => setStandardScale(e.target.checked)} data-testid="dotplot-scale" /> scale each gene to 0–1 (standard_scale=&apos;var&apos;)
      </label>
      <div style={{ position: 'relative', width: L.width, height: L.height }}>
        <DeckGL
          width={L.width}
          height={L.height}
          views={new OrthographicView({ id: 'dot', flipY: true })}
          initialViewState={{ target: [L.width / 2, L.height / 2, 0], zoom: 0 }}
          controller={false}
          layers={layers}
          getTooltip={({ object }) => (object ? ((object as Dot).label ?? null) : null)}
        />
      </div>
    </figure>
  );
}
