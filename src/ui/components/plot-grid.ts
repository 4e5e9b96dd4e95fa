// The layout shared by the dot plot and the matrix plot (scanpy's BasePlot): groups down the left
// under a y-axis title, genes across under their group brackets (var_group_positions), a legend
// column on the right and room below for the x-axis title. Cells grow to fill the room given
// (the Plots tab's size) between a minimum and a maximum.
import { segmentLayer, textLayer, type Segment } from './plot-layers.ts';

export interface Bracket {
  label: string;
  /** First and last column, inclusive. */
  start: number;
  end: number;
}

export const NO_BRACKETS: Bracket[] = [];

export interface GridLayout {
  cell: number;
  /** Pixel x of the first column and y of the first row. */
  gridLeft: number;
  gridTop: number;
  width: number;
  height: number;
  /** y of the bracket lines; the labels sit above them. */
  bracketY: number;
  rotateBrackets: boolean;
}

const CHAR = 7;
const BRACKET_CHAR = 6.5;
const TITLE = 22;

export interface GridInput {
  groups: string[];
  genes: string[];
  brackets?: Bracket[];
  /** Room to fill, [width, height]; [0, 0] keeps the default cell. */
  room?: [number, number];
  /** Pixels right of the grid (legends). */
  right?: number;
  /** Pixels under the x-axis title (a colour bar). */
  below?: number;
  minCell?: number;
  maxCell?: number;
  defaultCell?: number;
}

export function gridLayout({ groups, genes, brackets = [], room = [0, 0], right = 0, below = 0, minCell = 14, maxCell = 44, defaultCell = 22 }: GridInput): GridLayout {
  const geneH = Math.max(0, ...genes.map((g) => g.length)) * CHAR + 12;
  const gridLeft = TITLE + Math.max(0, ...groups.map((g) => g.length)) * CHAR + 12;
  const bottom = TITLE + below + 8;
  const fit = (bracketH: number) => {
    if (room[0] <= 0 || room[1] <= 0) return defaultCell;
    const byW = (room[0] - gridLeft - right - 12) / Math.max(1, genes.length);
    const byH = (room[1] - bracketH - geneH - bottom) / Math.max(1, groups.length);
    return Math.floor(Math.max(minCell, Math.min(maxCell, byW, byH)));
  };
  let bracketH = brackets.length ? 24 : 0;
  let cell = fit(bracketH);
  // Labels wider than their columns stand upright, as scanpy turns them.
  const rotateBrackets = brackets.some((b) => b.label.length * BRACKET_CHAR > (b.end - b.start + 1) * cell);
  if (rotateBrackets) {
    bracketH = Math.min(150, Math.max(...brackets.map((b) => b.label.length)) * BRACKET_CHAR + 14);
    cell = fit(bracketH);
  }
  const gridTop = bracketH + geneH;
  return {
    cell,
    gridLeft,
    gridTop,
    width: gridLeft + genes.length * cell + right + 12,
    height: gridTop + groups.length * cell + bottom,
    bracketY: bracketH - 6,
    rotateBrackets,
  };
}

/** A label cut to `max` characters with an ellipsis. */
export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(1, max - 1))}…`;
}

/** Gene labels over the columns, group labels left of the rows, the brackets, and both axis titles. */
export function gridLabelLayers(id: string, L: GridLayout, groups: string[], genes: string[], brackets: Bracket[], titles: { x: string; y: string }) {
  const { cell, gridLeft, gridTop } = L;
  const lines: Segment[] = [];
  const ink: [number, number, number, number] = [60, 60, 60, 255];
  const bracketLabels = brackets.map((b) => {
    const x0 = gridLeft + b.start * cell + 2;
    const x1 = gridLeft + (b.end + 1) * cell - 2;
    lines.push({ from: [x0, L.bracketY], to: [x1, L.bracketY], color: ink, width: 1.5 }, { from: [x0, L.bracketY], to: [x0, L.bracketY + 5], color: ink, width: 1.5 }, { from: [x1, L.bracketY], to: [x1, L.bracketY + 5], color: ink, width: 1.5 });
    return { text: L.rotateBrackets ? clip(b.label, 20) : b.label, position: [(x0 + x1) / 2, L.bracketY - 4] as [number, number] };
  });
  const gridBottom = gridTop + groups.length * cell;
  return [
    textLayer(`${id}-genes`, genes.map((text, j) => ({ text, position: [gridLeft + j * cell + cell / 2, gridTop - 6] })), { angle: 90, anchor: 'start', size: 12 }),
    textLayer(`${id}-groups`, groups.map((text, g) => ({ text, position: [gridLeft - 6, gridTop + g * cell + cell / 2] })), { anchor: 'end', size: 12 }),
    segmentLayer(`${id}-brackets`, lines),
    L.rotateBrackets ? textLayer(`${id}-bracket-labels`, bracketLabels, { angle: 90, anchor: 'start' }) : textLayer(`${id}-bracket-labels`, bracketLabels, { baseline: 'bottom' }),
    textLayer(`${id}-x-title`, [{ text: titles.x, position: [gridLeft + (genes.length * cell) / 2, gridBottom + 8] }], { baseline: 'top', size: 13 }),
    textLayer(`${id}-y-title`, [{ text: titles.y, position: [10, gridTop + (groups.length * cell) / 2] }], { angle: 90, size: 13 }),
  ];
}
