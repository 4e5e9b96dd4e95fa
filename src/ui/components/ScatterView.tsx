// The embedding scatter: one deck.gl ScatterplotLayer fed with binary attributes (typed arrays),
// so a million points cost two buffer uploads rather than a million objects. It fills whatever
// room the workspace gives it and refits when that changes size. Hover shows the cell and its
// coloured value; lasso mode draws a polygon whose cells the worker selects; cluster names sit at
// the clusters' medians; the obs panel's filters hide cells.
import { OrthographicView } from '@deck.gl/core';
import { ScatterplotLayer, TextLayer } from '@deck.gl/layers';
import DeckGL, { type DeckGLRef } from '@deck.gl/react';
import { useEffect, useMemo, useRef, useState } from 'react';
import { useElementSize } from './use-element-size.ts';
import { useAnalysis } from '../analysis-store.ts';
import { useCategoryColors } from '../category-colors.ts';
import { categoricalColors, clippedRange, dimUnselected, numericColors, uniformColors } from '../colors.ts';
import { labelPositions, type PlacedLabel } from '../plot/label-positions.ts';
import { useApp } from '../store.ts';
import { useView, visibleMask } from '../view-store.ts';
import { setScatterExporter } from '../plot/scatter-export.ts';
import { drawnCategoryColors } from '../plot/drawn-colors.ts';

interface Camera {
  target: [number, number, number];
  zoom: number;
}

/** Frames the central 99% of points, so a few outliers do not squash the picture. */
function fitView(positions: Float32Array, width: number, height: number): Camera {
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

const NO_HIDDEN: ReadonlySet<string> = new Set();
const NO_CATEGORIES: string[] = [];

export function ScatterView() {
  const embedding = useApp((s) => s.embedding);
  const column = useApp((s) => s.colorColumn);
  const selection = useAnalysis((s) => s.selection);
  const lassoMode = useAnalysis((s) => s.lassoMode);
  const lasso = useAnalysis((s) => s.lasso);
  const clip = useAnalysis((s) => s.clip);
  const obsIndex = useAnalysis((s) => s.obsIndex);
  const { pointSize, opacity, showLabels, fitRequest, columns, hiddenBy, ranges } = useView();
  const box = useRef<HTMLDivElement>(null);
  const deck = useRef<DeckGLRef>(null);
  // The user's pan and zoom, valid until the next fit (a new embedding, window size, or "Fit").
  const [moved, setMoved] = useState<{ from: Camera; camera: Camera } | null>(null);
  const [path, setPath] = useState<[number, number][]>([]);

  const size = useElementSize(box);

  const fitted = useMemo(
    () => (embedding && size[0] > 0 && size[1] > 0 ? fitView(embedding.positions, size[0], size[1]) : null),
    // fitRequest: "Fit" frames the cells again even when nothing else changed.
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [embedding, size, fitRequest],
  );
  const camera = moved && moved.from === fitted ? moved.camera : fitted;

  const hidden = (column && hiddenBy[column.name]) || NO_HIDDEN;
  const categoryColors = useCategoryColors(column?.name ?? '', column?.kind === 'categorical' ? column.categories : NO_CATEGORIES);
  const visible = useMemo(() => {
    if (!embedding) return null;
    const all = column ? { ...columns, [column.name]: column } : columns;
    return visibleMask(embedding.n, all, hiddenBy, ranges);
  }, [embedding, column, columns, hiddenBy, ranges]);

  const colors = useMemo(() => {
    if (!embedding) return new Uint8Array(0);
    let c: Uint8Array;
    if (column?.kind === 'categorical' && column.codes.length === embedding.n) c = categoricalColors(column.codes, column.categories, categoryColors, hidden);
    else if (column?.kind === 'numeric' && column.values.length === embedding.n) {
      const [min, max] = clippedRange(column.values, clip[0], clip[1]);
      c = numericColors(column.values, min, max);
    } else c = uniformColors(embedding.n);
    if (selection && selection.mask.length === embedding.n) c = dimUnselected(c, selection.mask);
    if (visible) for (let i = 0; i < embedding.n; i++) if (!visible[i]) c[i * 4 + 3] = 0;
    return c;
  }, [embedding, column, categoryColors, hidden, clip, selection, visible]);

  // The colour drawn for each category (for tests: it must be the legend's).
  const drawn = useMemo(() => (column?.kind === 'categorical' && embedding && column.codes.length === embedding.n ? JSON.stringify(drawnCategoryColors(column.codes, column.categories, colors)) : undefined), [column, embedding, colors]);

  const labels = useMemo<PlacedLabel[]>(() => {
    if (!embedding || !showLabels || column?.kind !== 'categorical' || column.codes.length !== embedding.n || column.categories.length > 100) return [];
    return labelPositions(embedding.positions, column.codes, column.categories, visible, hidden);
  }, [embedding, column, showLabels, visible, hidden]);

  const radius = (embedding ? (embedding.n > 100_000 ? 1 : embedding.n > 10_000 ? 1.5 : 3) : 3) * pointSize;
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
        getRadius: radius,
        opacity,
        stroked: false,
        pickable: true,
      }),
      new TextLayer<PlacedLabel>({
        id: 'cluster-labels',
        data: labels,
        getText: (d) => d.text,
        getPosition: (d) => d.position,
        getSize: 13,
        fontWeight: 600,
        fontFamily: 'system-ui, -apple-system, "Segoe UI", sans-serif',
        outlineWidth: 3,
        outlineColor: [255, 255, 255, 230],
        fontSettings: { sdf: true },
        characterSet: 'auto',
      }),
    ];
  }, [embedding, colors, radius, opacity, labels]);

  // The top bar's SVG export reads the scene from here: positions in pixels as drawn now.
  useEffect(() => {
    setScatterExporter(() => {
      const viewport = deck.current?.deck?.getViewports()[0];
      if (!viewport || !embedding) return null;
      const pixels = new Float32Array(embedding.n * 2);
      for (let i = 0; i < embedding.n; i++) {
        const [x, y] = viewport.project([embedding.positions[2 * i], embedding.positions[2 * i + 1]]);
        pixels[2 * i] = x;
        pixels[2 * i + 1] = y;
      }
      const scaled = colors.slice();
      for (let i = 3; i < scaled.length; i += 4) scaled[i] = Math.round(scaled[i] * opacity);
      return {
        width: viewport.width,
        height: viewport.height,
        pixels,
        colors: scaled,
        radius,
        title: `${embedding.key}${column ? ` coloured by ${column.name}` : ''}`,
        labels: labels.map((l) => {
          const [x, y] = viewport.project(l.position);
          return { text: l.text, x, y };
        }),
        canvas: box.current?.querySelector('canvas') ?? null,
      };
    });
    return () => setScatterExporter(null);
  }, [embedding, colors, opacity, radius, column, labels]);

  const tooltip = ({ index }: { index: number }) => {
    if (index < 0 || !embedding || (visible && !visible[index])) return null;
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

  return (
    <div className="scatter" ref={box} data-testid="scatter" data-points={embedding?.n ?? 0} data-embedding={embedding?.key ?? ''} data-labels={labels.length} data-category-colors={drawn}>
      {embedding && camera ? (
        <>
          <DeckGL
            ref={deck}
            views={new OrthographicView({ id: 'ortho', flipY: false })}
            viewState={camera}
            onViewStateChange={({ viewState }) => fitted && setMoved({ from: fitted, camera: viewState as Camera })}
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
        </>
      ) : (
        <p className="muted">{embedding ? '' : 'This dataset has no 2-D embedding (obsm) yet: run the analysis (Analyze) for a UMAP.'}</p>
      )}
    </div>
  );
}
