// sc.pl.matrixplot drawn with deck.gl: genes across (labels on top, under their group brackets),
// groups down, axis titles on both, each cell the
// group's mean expression in viridis (scanpy's default cmap), either as it is or scaled per gene to
// [0, 1] (standard_scale='var'); a colour bar states the range.
import { OrthographicView } from '@deck.gl/core';
import { PolygonLayer } from '@deck.gl/layers';
import DeckGL from '@deck.gl/react';
import { useMemo, useState } from 'react';
import type { GroupMeans } from '../../analysis/group-stats.ts';
import { scalePerGene } from '../../analysis/group-stats.ts';
import { finiteRange, MISSING_RGB, viridis, type RGB } from '../colors.ts';
import { gridLabelLayers, gridLayout, NO_BRACKETS, type Bracket } from './plot-grid.ts';
import { textLayer } from './plot-layers.ts';
import { tickLabel } from './plot-scale.ts';

const BAR = { width: 120, height: 10, steps: 40 };

interface Rect {
  polygon: [number, number][];
  color: RGB;
  label?: string;
}

function rect(x: number, y: number, w: number, h: number): [number, number][] {
  return [[x, y], [x + w, y], [x + w, y + h], [x, y + h]];
}

interface Props {
  stats: GroupMeans;
  /** What the cells hold (default: mean expression). */
  value?: string;
  /** What the columns are (default: gene). */
  item?: string;
  /** The obs column the rows are groups of (the y-axis title). */
  groupBy?: string;
  brackets?: Bracket[];
  /** Room to fill, [width, height]; none keeps 22-pixel cells. */
  room?: [number, number];
}

export function MatrixPlot({ stats, value = 'mean expression in group', item = 'gene', groupBy = 'group', brackets = NO_BRACKETS, room }: Props) {
  const [standardScale, setStandardScale] = useState(false);
  const { groups, genes } = stats;
  const [roomW, roomH] = room ?? [0, 0];
  const L = useMemo(() => gridLayout({ groups, genes, brackets, room: [roomW, roomH - 24], below: BAR.height + 40, maxCell: 40 }), [groups, genes, brackets, roomW, roomH]);
  const { cell: CELL, gridLeft: left, gridTop: top } = L;
  const width = Math.max(L.width, left + BAR.width + 80);
  const barTop = top + groups.length * CELL + 32;
  const height = L.height;
  const values = useMemo(() => (standardScale ? scalePerGene(stats) : stats.mean), [stats, standardScale]);
  const [lo, hi] = useMemo(() => finiteRange(values), [values]);
  const layers = useMemo(() => {
    const span = hi > lo ? hi - lo : 1;
    const p = genes.length;
    const cells: Rect[] = [];
    groups.forEach((group, g) =>
      genes.forEach((gene, j) => {
        const v = values[g * p + j];
        cells.push({
          polygon: rect(left + j * CELL, top + g * CELL, CELL, CELL),
          color: Number.isFinite(v) ? viridis((v - lo) / span) : MISSING_RGB,
          label: `${gene} in ${group}: mean ${stats.mean[g * p + j].toFixed(3)}${standardScale ? ` (scaled ${v.toFixed(2)})` : ''}`,
        });
      }),
    );
    const bar: Rect[] = Array.from({ length: BAR.steps }, (_, k) => ({ polygon: rect(left + (k * BAR.width) / BAR.steps, barTop, BAR.width / BAR.steps + 0.5, BAR.height), color: viridis(k / (BAR.steps - 1)) }));
    return [
      new PolygonLayer<Rect>({ id: 'cells', data: cells, getPolygon: (d) => d.polygon, getFillColor: (d) => d.color, stroked: true, getLineColor: [255, 255, 255, 255], lineWidthUnits: 'pixels', getLineWidth: 0.5, pickable: true }),
      new PolygonLayer<Rect>({ id: 'bar', data: bar, getPolygon: (d) => d.polygon, getFillColor: (d) => d.color, stroked: false }),
      ...gridLabelLayers('matrix', L, groups, genes, brackets, { x: item, y: groupBy }),
      textLayer('bar-range', [{ text: tickLabel(lo), position: [left - 4, barTop + BAR.height / 2] }], { anchor: 'end' }),
      textLayer('bar-range-hi', [{ text: tickLabel(hi), position: [left + BAR.width + 4, barTop + BAR.height / 2] }], { anchor: 'start' }),
      textLayer('bar-title', [{ text: standardScale ? `mean, scaled per ${item}` : value, position: [left, barTop + BAR.height + 4] }], { anchor: 'start', baseline: 'top' }),
    ];
  }, [stats, values, lo, hi, genes, groups, left, top, barTop, standardScale, value, item, L, CELL, brackets, groupBy]);
  return (
    <figure className="matrixplot" data-testid="matrixplot" data-genes={genes.length} data-groups={groups.length} data-range={`${lo},${hi}`} data-brackets={brackets.map((b) => `${b.label}:${b.start}-${b.end}`).join('|')} data-axes={`${item} / ${groupBy}`} data-cell={CELL}>
      <label className="small">
        <input type="checkbox" checked={standardScale} onChange={(e) => setStandardScale(e.target.checked)} data-testid="matrixplot-scale" /> scale each {item} to 0–1 (standard_scale=&apos;var&apos;)
      </label>
      <div style={{ position: 'relative', width, height }}>
        <DeckGL
          width={width}
          height={height}
          views={new OrthographicView({ id: 'matrix', flipY: true })}
          initialViewState={{ target: [width / 2, height / 2, 0], zoom: 0 }}
          controller={false}
          layers={layers}
          getTooltip={({ object }) => (object ? ((object as Rect).label ?? null) : null)}
        />
      </div>
    </figure>
  );
}
