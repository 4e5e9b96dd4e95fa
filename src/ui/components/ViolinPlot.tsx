// sc.pl.violin drawn with deck.gl: one violin per group (seaborn's cut=0, width-normalised KDE from
// the worker) in the group's embedding colour, the interquartile range as a dark bar with the
// median as a white dot, a y axis naming what is plotted, the grouping named under the x axis,
// optionally every cell as a jittered point (sc.pl.violin's stripplot; the jitter is seeded, so the
// picture is the same each time), and optional threshold lines that can be dragged (QC).
import { OrthographicView } from '@deck.gl/core';
import { PolygonLayer, ScatterplotLayer } from '@deck.gl/layers';
import DeckGL from '@deck.gl/react';
import { useMemo } from 'react';
import type { ViolinGroup, ViolinResult } from '../../analysis/violin.ts';
import { useCategoryColors } from '../category-colors.ts';
import { hexToRgb, type RGB } from '../colors.ts';
import { jitterOffsets } from '../../analysis/jitter.ts';
import { useLineDrag, type DragLine } from './drag-lines.ts';
import { segmentLayer, textLayer, thresholdSegments, yAxisLayers, type Segment, type Threshold } from './plot-layers.ts';
import { niceTicks, scale, tickLabel } from './plot-scale.ts';

const CHAR = 6.5;
const LEFT = 64;
const TOP = 10;

interface Props {
  result: ViolinResult;
  height?: number;
  /** Colours per group; default: the categorical palette of the embedding. */
  colors?: RGB[];
  thresholds?: Threshold[];
  /** Called with the data value while a threshold line is dragged. */
  onThreshold?: (id: string, value: number) => void;
  testId?: string;
  /** Width to fill: the violins widen (up to 160 pixels each). */
  room?: number;
  /** Height to fill (group labels and titles included); overrides `height`. */
  roomHeight?: number;
  /** Draw the values the worker kept (ViolinGroup.points) as jittered points, seeded by `seed`. */
  stripplot?: { seed: number };
  /** Title under the group labels; default: the grouping column. */
  xTitle?: string;
}

interface Shape {
  polygon: [number, number][];
  color: RGB;
  g: ViolinGroup;
}

function describe(g: ViolinGroup): string {
  if (g.n === 0) return `${g.group}: no cells`;
  return `${g.group}: ${g.n.toLocaleString()} cells, median ${tickLabel(g.median)} (IQR ${tickLabel(g.q1)}–${tickLabel(g.q3)}), ${(g.fractionZero * 100).toFixed(0)}% zero`;
}

const NO_THRESHOLDS: Threshold[] = [];

export function ViolinPlot({ result, height: heightProp = 180, roomHeight = 0, colors, thresholds = NO_THRESHOLDS, onThreshold, testId = 'violin', room = 0, stripplot, xTitle }: Props) {
  const groups = result.groups;
  // Each group in its colour on the embedding (the hand labels' own colours included).
  const names = useMemo(() => groups.map((g) => g.group), [groups]);
  const byName = useCategoryColors(result.groupBy ?? '', names);
  const col = Math.max(44, Math.min(room > 0 ? 160 : 90, (room > 0 ? room - LEFT - 10 : 420) / Math.max(1, groups.length)));
  const rotate = groups.length > 1;
  const title = xTitle ?? result.groupBy ?? '';
  const labelsH = rotate ? Math.min(200, Math.max(...groups.map((g) => g.group.length)) * CHAR + 14) : 22;
  const bottom = labelsH + (title ? 20 : 0);
  const height = roomHeight > 0 ? Math.max(160, roomHeight - TOP - bottom - 4) : heightProp;
  const width = LEFT + groups.length * col + 10;
  const total = TOP + height + bottom;
  const [lo, hi] = useMemo(() => {
    const finite = groups.filter((g) => g.n > 0);
    const values = [...finite.flatMap((g) => [g.min, g.max]), ...thresholds.map((t) => t.value)].filter(Number.isFinite);
    return values.length ? [Math.min(...values), Math.max(...values)] : [0, 1];
  }, [groups, thresholds]);
  const y = useMemo(() => scale([lo, hi > lo ? hi : lo + 1], [TOP + height, TOP]), [lo, hi, height]);
  const dragLines: DragLine[] = thresholds.map((t) => ({ id: t.id, px: y(t.value), vertical: false, span: [LEFT, width - 10] }));
  const drag = useLineDrag(dragLines, onThreshold ? (id, px) => onThreshold(id, y.invert(px)) : undefined);

  const layers = useMemo(() => {
    const palette = colors ?? names.map((n) => hexToRgb(byName[n]));
    const half = col * 0.42;
    const shapes: Shape[] = [];
    const flats: Segment[] = [];
    const boxes: Segment[] = [];
    const medians: { position: [number, number]; g: ViolinGroup }[] = [];
    const dots: [number, number][] = [];
    groups.forEach((g, k) => {
      const cx = LEFT + k * col + col / 2;
      const color = palette[k % palette.length];
      if (g.n === 0) return;
      if (g.grid.length === 1) flats.push({ from: [cx - half, y(g.grid[0])], to: [cx + half, y(g.grid[0])], color: [...color, 255], width: 2 });
      else {
        const right = Array.from(g.grid, (v, j): [number, number] => [cx + half * g.width[j], y(v)]);
        const left = Array.from(g.grid, (v, j): [number, number] => [cx - half * g.width[j], y(v)]).reverse();
        shapes.push({ polygon: [...right, ...left], color, g });
      }
      boxes.push({ from: [cx, y(g.q1)], to: [cx, y(g.q3)], color: [50, 50, 50, 255], width: 4 });
      medians.push({ position: [cx, y(g.median)], g });
      if (stripplot && g.points) {
        // scanpy's jitter=0.4: points spread over 0.4 of the violin's slot, each group its own stream.
        const jitter = jitterOffsets(g.points.length, stripplot.seed + k);
        for (let i = 0; i < g.points.length; i++) dots.push([cx + jitter[i] * col * 0.2, y(g.points[i])]);
      }
    });
    const labels = groups.map((g, k) => ({ text: g.group, position: [LEFT + k * col + col / 2, TOP + height + 6] as [number, number] }));
    return [
      new PolygonLayer<Shape>({ id: 'violins', data: shapes, getPolygon: (d) => d.polygon, getFillColor: (d) => [...d.color, 200], getLineColor: [60, 60, 60, 255], lineWidthUnits: 'pixels', getLineWidth: 1, stroked: true, pickable: true }),
      segmentLayer('flat', flats),
      new ScatterplotLayer<[number, number]>({ id: 'strip', data: dots, getPosition: (d) => d, getRadius: 1.2, radiusUnits: 'pixels', getFillColor: [20, 20, 20, 150] }),
      segmentLayer('iqr', boxes),
      new ScatterplotLayer<{ position: [number, number]; g: ViolinGroup }>({ id: 'median', data: medians, getPosition: (d) => d.position, getRadius: 2.5, radiusUnits: 'pixels', getFillColor: [255, 255, 255, 255], pickable: true }),
      ...yAxisLayers('y', y, niceTicks(y.domain[0], y.domain[1], Math.max(3, Math.round(height / 40))), LEFT - 4),
      textLayer('y-label', [{ text: result.label, position: [12, TOP + height / 2] }], { angle: 90 }),
      rotate ? textLayer('groups', labels, { angle: 90, anchor: 'end' }) : textLayer('groups', labels, { baseline: 'top' }),
      textLayer('x-title', title ? [{ text: title, position: [LEFT + (groups.length * col) / 2, TOP + height + labelsH] }] : [], { baseline: 'top', size: 12 }),
      segmentLayer('thresholds', thresholdSegments(thresholds.map((t) => ({ px: y(t.value), kind: t.kind })), false, LEFT, width - 10)),
    ];
  }, [groups, colors, names, byName, col, y, height, result.label, rotate, thresholds, width, stripplot, title, labelsH]);
  const nPoints = stripplot ? groups.reduce((s, g) => s + (g.points?.length ?? 0), 0) : 0;

  return (
    <div className="violin-plot" data-testid={testId} data-groups={groups.length} data-label={result.label} data-x-title={title} data-points={nPoints} style={{ position: 'relative', width, height: total, cursor: drag.cursor }} {...drag.handlers}>
      <DeckGL
        width={width}
        height={total}
        views={new OrthographicView({ id: 'violin', flipY: true })}
        initialViewState={{ target: [width / 2, total / 2, 0], zoom: 0 }}
        controller={false}
        layers={layers}
        getTooltip={({ object }) => (object ? describe((object as Shape).g) : null)}
      />
    </div>
  );
}
