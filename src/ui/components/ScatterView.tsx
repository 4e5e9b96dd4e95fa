// The embedding scatter: one deck.gl ScatterplotLayer fed with binary attributes (typed arrays),
// so a million points cost two buffer uploads rather than a million objects.
import { OrthographicView } from '@deck.gl/core';
import { ScatterplotLayer } from '@deck.gl/layers';
import DeckGL from '@deck.gl/react';
import { useEffect, useMemo, useRef, useState } from 'react';
import { categoricalColors, categoryPalette, finiteRange, numericColors, uniformColors } from '../colors.ts';
import { useApp } from '../store.ts';

interface ViewState {
  target: [number, number, number];
  zoom: number;
}

/** Frames the central 99% of points, so a few outliers do not squash the picture. */
function fitView(positions: Float32Array, width: number, height: number): ViewState {
  const xs: number[] = [];
  const ys: number[] = [];
  for (let i = 0; i < positions.length; i += 2) {
    if (Number.isFinite(positions[i]) && Number.isFinite(positions[i + 1])) {
      xs.push(positions[i]);
      ys.push(positions[i + 1]);
    }
  }
  if (xs.length === 0) return { target: [0, 0, 0], zoom: 0 };
  const q = (a: number[], f: number) => a[Math.min(a.length - 1, Math.floor(f * (a.length - 1)))];
  xs.sort((a, b) => a - b);
  ys.sort((a, b) => a - b);
  const [minX, maxX, minY, maxY] = [q(xs, 0.005), q(xs, 0.995), q(ys, 0.005), q(ys, 0.995)];
  const scale = Math.min(width / Math.max(maxX - minX, 1e-9), height / Math.max(maxY - minY, 1e-9)) * 0.85;
  return { target: [(minX + maxX) / 2, (minY + maxY) / 2, 0], zoom: Math.log2(scale) };
}

export function ScatterView() {
  const embedding = useApp((s) => s.embedding);
  const column = useApp((s) => s.colorColumn);
  const hidden = useApp((s) => s.hidden);
  const box = useRef<HTMLDivElement>(null);
  const [view, setView] = useState<ViewState | null>(null);

  useEffect(() => {
    if (!embedding || !box.current) return;
    const { clientWidth, clientHeight } = box.current;
    setView(fitView(embedding.positions, clientWidth, clientHeight));
  }, [embedding]);

  const colors = useMemo(() => {
    if (!embedding) return new Uint8Array(0);
    if (column?.kind === 'categorical' && column.codes.length === embedding.n) {
      return categoricalColors(column.codes, categoryPalette(column.categories.length), hidden);
    }
    if (column?.kind === 'numeric' && column.values.length === embedding.n) {
      const [min, max] = finiteRange(column.values);
      return numericColors(column.values, min, max);
    }
    return uniformColors(embedding.n);
  }, [embedding, column, hidden]);

  const layers = useMemo(() => {
    if (!embedding) return [];
    return [
      new ScatterplotLayer({
        id: 'cells',
        data: {
          length: embedding.n,
          attributes: {
            getPosition: { value: embedding.positions, size: 2 },
            getFillColor: { value: colors, size: 4, normalized: true },
          },
        },
        radiusUnits: 'pixels',
        getRadius: embedding.n > 100_000 ? 1 : embedding.n > 10_000 ? 1.5 : 3,
        stroked: false,
      }),
    ];
  }, [embedding, colors]);

  return (
    <div className="scatter" ref={box} data-testid="scatter" data-points={embedding?.n ?? 0} data-embedding={embedding?.key ?? ''}>
      {embedding && view ? (
        <DeckGL
          views={new OrthographicView({ id: 'ortho', flipY: false })}
          viewState={view}
          onViewStateChange={({ viewState }) => setView(viewState as ViewState)}
          controller={{ dragRotate: false }}
          layers={layers}
          deviceProps={{ type: 'webgl', webgl: { preserveDrawingBuffer: true } }}
        />
      ) : (
        <p className="muted">{embedding ? '' : 'This dataset has no 2-D embedding (obsm) to plot yet.'}</p>
      )}
    </div>
  );
}
