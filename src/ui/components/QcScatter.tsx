// The QC scatter scanpy users draw first: total_counts against n_genes_by_counts on log axes,
// coloured by pct_counts_mt (viridis), with the count and gene thresholds as lines that can be
// dragged (solid: the filter; dashed: the suggestion). Cells with a zero on either axis have no
// place on a log axis and are left out (the caption counts them).
import { OrthographicView } from '@deck.gl/core';
import { ScatterplotLayer } from '@deck.gl/layers';
import DeckGL from '@deck.gl/react';
import { useMemo } from 'react';
import { finiteRange, uniformColors, viridis } from '../colors.ts';
import { useLineDrag, type DragLine } from './drag-lines.ts';
import { segmentLayer, textLayer, thresholdSegments, xAxisLayers, yAxisLayers, type Threshold } from './plot-layers.ts';
import { logTicks, scale, tickLabel } from './plot-scale.ts';

const W = 320;
const H = 220;
const LEFT = 60;
const TOP = 10;
const BOTTOM = 40;

interface Props {
  counts: Float64Array;
  genes: Float64Array;
  pctMt: Float64Array | null;
  /** x: total_counts thresholds; y: n_genes_by_counts thresholds. */
  xLines: Threshold[];
  yLines: Threshold[];
  onThreshold?: (id: string, value: number) => void;
  /** Called after each frame deck.gl draws (the first one ends the QC tab's spinner). */
  onDrawn?: () => void;
}

function positiveRange(v: Float64Array): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const x of v) {
    if (x > 0 && Number.isFinite(x)) {
      lo = Math.min(lo, x);
      hi = Math.max(hi, x);
    }
  }
  return lo <= hi ? [lo / 1.15, hi * 1.15] : [1, 10];
}

export function QcScatter({ counts, genes, pctMt, xLines, yLines, onThreshold, onDrawn }: Props) {
  const width = LEFT + W + 10;
  const height = TOP + H + BOTTOM;
  const x = useMemo(() => scale(positiveRange(counts), [LEFT, LEFT + W], true), [counts]);
  const y = useMemo(() => scale(positiveRange(genes), [TOP + H, TOP], true), [genes]);
  const inX = (t: Threshold) => t.value >= x.domain[0] && t.value <= x.domain[1];
  const inY = (t: Threshold) => t.value >= y.domain[0] && t.value <= y.domain[1];
  const xs = xLines.filter(inX);
  const ys = yLines.filter(inY);
  const dragLines: DragLine[] = [...xs.map((t): DragLine => ({ id: t.id, px: x(t.value), vertical: true, span: [TOP, TOP + H] })), ...ys.map((t): DragLine => ({ id: t.id, px: y(t.value), vertical: false, span: [LEFT, LEFT + W] }))];
  const drag = useLineDrag(dragLines, onThreshold ? (id, px) => onThreshold(id, xs.some((t) => t.id === id) ? x.invert(px) : y.invert(px)) : undefined);
  const { points, left } = useMemo(() => {
    const [lo, hi] = pctMt ? finiteRange(pctMt) : [0, 0];
    const keep: number[] = [];
    for (let i = 0; i < counts.length; i++) if (counts[i] > 0 && genes[i] > 0) keep.push(i);
    const positions = new Float32Array(keep.length * 2);
    const colors = pctMt ? new Uint8Array(keep.length * 4) : uniformColors(keep.length);
    keep.forEach((i, k) => {
      positions[2 * k] = x(counts[i]);
      positions[2 * k + 1] = y(genes[i]);
      if (pctMt) {
        colors.set(viridis(hi > lo ? (pctMt[i] - lo) / (hi - lo) : 0), 4 * k);
        colors[4 * k + 3] = 200;
      }
    });
    return { points: { length: keep.length, attributes: { getPosition: { value: positions, size: 2 }, getFillColor: { value: colors, size: 4 } } }, left: counts.length - keep.length };
  }, [counts, genes, pctMt, x, y]);
  const layers = useMemo(
    () => [
      new ScatterplotLayer({ id: 'cells', data: points, getRadius: 1.6, radiusUnits: 'pixels' }),
      ...xAxisLayers('x', x, logTicks(x.domain[0], x.domain[1]), TOP + H + 2),
      ...yAxisLayers('y', y, logTicks(y.domain[0], y.domain[1]), LEFT - 2),
      textLayer('x-label', [{ text: 'total_counts', position: [LEFT + W / 2, TOP + H + 24] }], { baseline: 'top' }),
      textLayer('y-label', [{ text: 'n_genes_by_counts', position: [10, TOP + H / 2] }], { angle: 90 }),
      segmentLayer('x-lines', thresholdSegments(xs.map((t) => ({ px: x(t.value), kind: t.kind })), true, TOP, TOP + H)),
      segmentLayer('y-lines', thresholdSegments(ys.map((t) => ({ px: y(t.value), kind: t.kind })), false, LEFT, LEFT + W)),
    ],
    [points, x, y, xs, ys],
  );
  const [mtLo, mtHi] = pctMt ? finiteRange(pctMt) : [NaN, NaN];
  return (
    <figure className="qc-scatter" data-testid="qc-scatter" data-cells={points.length}>
      <div style={{ position: 'relative', width, height, cursor: drag.cursor }} {...drag.handlers}>
        <DeckGL width={width} height={height} views={new OrthographicView({ id: 'qc-scatter', flipY: true })} initialViewState={{ target: [width / 2, height / 2, 0], zoom: 0 }} controller={false} layers={layers} onAfterRender={onDrawn} />
      </div>
      <figcaption className="muted small">
        {pctMt ? `Colour: pct_counts_mt, ${tickLabel(mtLo)} (purple) to ${tickLabel(mtHi)} (yellow). ` : ''}
        {left ? `${left.toLocaleString()} cells with no counts or genes are not shown on the log axes. ` : ''}Drag the red lines to set the filters.
      </figcaption>
    </figure>
  );
}
