// The embedding scatter: one deck.gl ScatterplotLayer fed with binary attributes (typed arrays),
// so a million points cost two buffer uploads rather than a million objects. Hover shows the cell
// and its coloured value; lasso mode draws a polygon whose cells the worker selects; PNG export.
import { OrthographicView } from '@deck.gl/core';
import { ScatterplotLayer } from '@deck.gl/layers';
import DeckGL, { type DeckGLRef } from '@deck.gl/react';
import { useEffect, useMemo, useRef, useState } from 'react';
import { useAnalysis } from '../analysis-store.ts';
import { categoricalColors, categoryPalette, clippedRange, dimUnselected, numericColors, uniformColors } from '../colors.ts';
import { download } from '../download.ts';
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
  const selection = useAnalysis((s) => s.selection);
  const lassoMode = useAnalysis((s) => s.lassoMode);
  const lasso = useAnalysis((s) => s.lasso);
  const clip = useAnalysis((s) => s.clip);
  const obsIndex = useAnalysis((s) => s.obsIndex);
  const box = useRef<HTMLDivElement>(null);
  const deck = useRef<DeckGLRef>(null);
  const [view, setView] = useState<ViewState | null>(null);
  const [path, setPath] = useState<[number, number][]>([]);

  useEffect(() => {
    if (!embedding || !box.current) return;
    const { clientWidth, clientHeight } = box.current;
    setView(fitView(embedding.positions, clientWidth, clientHeight));
  }, [embedding]);

  const colors = useMemo(() => {
    if (!embedding) return new Uint8Array(0);
    let c: Uint8Array;
    if (column?.kind === 'categorical' && column.codes.length === embedding.n) c = categoricalColors(column.codes, categoryPalette(column.categories.length), hidden);
    else if (column?.kind === 'numeric' && column.values.length === embedding.n) {
      const [min, max] = clippedRange(column.values, clip[0], clip[1]);
      c = numericColors(column.values, min, max);
    } else c = uniformColors(embedding.n);
    return selection && selection.mask.length === embedding.n ? dimUnselected(c, selection.mask) : c;
  }, [embedding, column, hidden, clip, selection]);

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
        pickable: true,
      }),
    ];
  }, [embedding, colors]);

  const tooltip = ({ index }: { index: number }) => {
    if (index < 0 || !embedding) return null;
    const id = obsIndex[index] ?? `cell ${index}`;
    let value = '';
    if (column?.kind === 'categorical') value = column.codes[index] >= 0 ? column.categories[column.codes[index]] : 'missing';
    else if (column?.kind === 'numeric') value = Number.isFinite(column.values[index]) ? column.values[index].toPrecision(4) : 'missing';
    else if (column?.kind === 'string') value = column.values[index];
    return { text: column ? `${id}\n${column.name}: ${value}` : id };
  };

  // Lasso: pointer positions in pixels while dragging; on release, unproject to data coordinates.
  const local = (e: React.PointerEvent): [number, number] => {
    const r = box.current!.getBoundingClientRect();
    return [e.clientX - r.left, e.clientY - r.top];
  };
  const finishLasso = () => {
    const viewport = deck.current?.deck?.getViewports()[0];
    if (viewport && embedding && path.length >= 3) {
      const polygon = path.flatMap((p) => viewport.unproject(p).slice(0, 2) as number[]);
      void lasso(embedding.key, polygon);
    }
    setPath([]);
  };

  const savePng = () => {
    const canvas = box.current?.querySelector('canvas');
    canvas?.toBlob((b) => b && download(`scweb_${embedding?.key ?? 'view'}.png`, b), 'image/png');
  };

  return (
    <div className="scatter" ref={box} data-testid="scatter" data-points={embedding?.n ?? 0} data-embedding={embedding?.key ?? ''}>
      {embedding && view ? (
        <>
          <DeckGL
            ref={deck}
            views={new OrthographicView({ id: 'ortho', flipY: false })}
            viewState={view}
            onViewStateChange={({ viewState }) => setView(viewState as ViewState)}
            controller={lassoMode ? false : { dragRotate: false }}
            layers={layers}
            getTooltip={tooltip}
            deviceProps={{ type: 'webgl', webgl: { preserveDrawingBuffer: true } }}
          />
          {lassoMode && (
            <svg
              className="lasso"
              data-testid="lasso-overlay"
              onPointerDown={(e) => {
                (e.target as Element).setPointerCapture(e.pointerId);
                setPath([local(e)]);
              }}
              onPointerMove={(e) => path.length > 0 && setPath([...path, local(e)])}
              onPointerUp={finishLasso}
            >
              <polygon points={path.map((p) => p.join(',')).join(' ')} fill="rgba(214,39,40,0.08)" stroke="#d62728" strokeDasharray="4 3" />
            </svg>
          )}
          <button className="png" onClick={savePng} title="save the view as PNG" data-testid="save-png">
            PNG
          </button>
        </>
      ) : (
        <p className="muted">{embedding ? '' : 'This dataset has no 2-D embedding (obsm) yet: run the pipeline for a UMAP.'}</p>
      )}
    </div>
  );
}
