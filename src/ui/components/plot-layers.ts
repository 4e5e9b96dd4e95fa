// deck.gl layers shared by the plots: axis lines with ticks and labels, and threshold lines
// (solid: the filter in force; dashed: the data's suggestion).
import { LineLayer, TextLayer } from '@deck.gl/layers';
import { dashes, tickLabel, type Scale } from './plot-scale.ts';

export type Segment = { from: [number, number]; to: [number, number]; color: [number, number, number, number]; width: number };

export interface Threshold {
  id: string;
  value: number;
  kind: 'current' | 'proposed';
}

export const CURRENT_RGBA: [number, number, number, number] = [214, 39, 40, 255];
export const PROPOSED_RGBA: [number, number, number, number] = [224, 138, 0, 255];
const AXIS: [number, number, number, number] = [90, 90, 90, 255];

export function segmentLayer(id: string, data: Segment[]) {
  return new LineLayer<Segment>({ id, data, getSourcePosition: (d) => d.from, getTargetPosition: (d) => d.to, getColor: (d) => d.color, getWidth: (d) => d.width, widthUnits: 'pixels' });
}

type Label = { text: string; position: [number, number] };

export function textLayer(id: string, data: Label[], opts: { anchor?: 'start' | 'middle' | 'end'; baseline?: 'top' | 'center' | 'bottom'; angle?: number; size?: number } = {}) {
  return new TextLayer<Label>({
    id,
    data,
    getText: (d) => d.text,
    getPosition: (d) => d.position,
    getSize: opts.size ?? 11,
    getAngle: opts.angle ?? 0,
    getTextAnchor: opts.anchor ?? 'middle',
    getAlignmentBaseline: opts.baseline ?? 'center',
    getColor: [40, 40, 40, 255],
  });
}

/** A y axis at pixel x `at` with ticks pointing left and their labels. */
export function yAxisLayers(id: string, y: Scale, ticks: number[], at: number) {
  const [top, bottom] = [Math.min(y(y.domain[0]), y(y.domain[1])), Math.max(y(y.domain[0]), y(y.domain[1]))];
  const segs: Segment[] = [{ from: [at, top], to: [at, bottom], color: AXIS, width: 1 }, ...ticks.map((t): Segment => ({ from: [at - 4, y(t)], to: [at, y(t)], color: AXIS, width: 1 }))];
  return [segmentLayer(`${id}-lines`, segs), textLayer(`${id}-labels`, ticks.map((t) => ({ text: tickLabel(t), position: [at - 6, y(t)] })), { anchor: 'end' })];
}

/** An x axis at pixel y `at` with ticks pointing down and their labels. */
export function xAxisLayers(id: string, x: Scale, ticks: number[], at: number) {
  const [left, right] = [x(x.domain[0]), x(x.domain[1])];
  const segs: Segment[] = [{ from: [left, at], to: [right, at], color: AXIS, width: 1 }, ...ticks.map((t): Segment => ({ from: [x(t), at], to: [x(t), at + 4], color: AXIS, width: 1 }))];
  return [segmentLayer(`${id}-lines`, segs), textLayer(`${id}-labels`, ticks.map((t) => ({ text: tickLabel(t), position: [x(t), at + 6] })), { baseline: 'top' })];
}

/** Segments of threshold lines from pixel `from` to `to` along the other axis; dashed when proposed. */
export function thresholdSegments(lines: { px: number; kind: Threshold['kind'] }[], vertical: boolean, from: number, to: number): Segment[] {
  return lines.flatMap(({ px, kind }) => {
    const p: [number, number] = vertical ? [px, from] : [from, px];
    const q: [number, number] = vertical ? [px, to] : [to, px];
    return kind === 'current' ? [{ from: p, to: q, color: CURRENT_RGBA, width: 2 }] : dashes(p, q).map(([a, b]) => ({ from: a, to: b, color: PROPOSED_RGBA, width: 2 }));
  });
}
