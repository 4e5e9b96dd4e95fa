// Dragging threshold lines drawn on a pixel-laid-out deck.gl plot: pointer events on the wrapper
// find the nearest line within a few pixels and report the pointer's data value through the
// axis's inverse scale while the button is held. Plain pointer events keep this independent of
// deck.gl's picking (thin lines are hard to pick) and of its controller (off on these plots).
import { useState, type PointerEvent } from 'react';

export interface DragLine {
  id: string;
  /** Pixel position across the line: x for a vertical line, y for a horizontal one. */
  px: number;
  vertical: boolean;
  /** Pixel extent along the line, [from, to]. */
  span: [number, number];
}

const GRAB = 6;

export function nearestLine(lines: DragLine[], x: number, y: number): DragLine | null {
  let best: DragLine | null = null;
  let bestD = GRAB;
  for (const l of lines) {
    const across = l.vertical ? x : y;
    const along = l.vertical ? y : x;
    if (along < Math.min(...l.span) - GRAB || along > Math.max(...l.span) + GRAB) continue;
    const d = Math.abs(across - l.px);
    if (d <= bestD) {
      best = l;
      bestD = d;
    }
  }
  return best;
}

/** `onDrag(id, px)`: the new pixel position across the line; the caller inverts its scale. */
export function useLineDrag(lines: DragLine[], onDrag: ((id: string, px: number) => void) | undefined) {
  const [active, setActive] = useState<DragLine | null>(null);
  const [hover, setHover] = useState<DragLine | null>(null);
  const local = (e: PointerEvent<HTMLElement>) => {
    const r = e.currentTarget.getBoundingClientRect();
    return [e.clientX - r.left, e.clientY - r.top] as const;
  };
  if (!onDrag) return { handlers: {}, cursor: undefined };
  return {
    handlers: {
      onPointerDown(e: PointerEvent<HTMLElement>) {
        const [x, y] = local(e);
        const line = nearestLine(lines, x, y);
        setActive(line);
        if (line) e.currentTarget.setPointerCapture(e.pointerId);
      },
      onPointerMove(e: PointerEvent<HTMLElement>) {
        const [x, y] = local(e);
        if (active) onDrag(active.id, active.vertical ? x : y);
        else setHover(nearestLine(lines, x, y));
      },
      onPointerUp(e: PointerEvent<HTMLElement>) {
        if (active) e.currentTarget.releasePointerCapture(e.pointerId);
        setActive(null);
      },
    },
    cursor: (active ?? hover) ? ((active ?? hover)!.vertical ? 'ew-resize' : 'ns-resize') : undefined,
  };
}
