import { useAnalysis } from '../analysis-store.ts';
import { categoryPalette, clippedRange, VIRIDIS_CSS } from '../colors.ts';
import { useApp } from '../store.ts';

/** Category legend with cell counts; click hides a category, double-click isolates it. */
export function Legend() {
  const column = useApp((s) => s.colorColumn);
  const hidden = useApp((s) => s.hidden);
  const toggle = useApp((s) => s.toggleCategory);
  const isolate = useApp((s) => s.isolateCategory);
  const clip = useAnalysis((s) => s.clip);
  if (!column) return null;
  if (column.kind === 'numeric') {
    const [min, max] = clippedRange(column.values, clip[0], clip[1]);
    return (
      <div className="legend" data-testid="legend">
        <div className="legend-title">{column.name}</div>
        <div className="gradient" style={{ background: VIRIDIS_CSS }} />
        <div className="gradient-labels">
          <span>{formatNumber(min)}</span>
          <span>{formatNumber(max)}</span>
        </div>
      </div>
    );
  }
  if (column.kind !== 'categorical') return null;
  const counts = new Array<number>(column.categories.length).fill(0);
  let missing = 0;
  for (const c of column.codes) if (c >= 0) counts[c]++;
  else missing++;
  const palette = categoryPalette(column.categories.length);
  return (
    <div className="legend" data-testid="legend">
      <div className="legend-title">
        {column.name} <span className="muted">({column.categories.length} categories; click hides, double-click isolates)</span>
      </div>
      <ul>
        {column.categories.map((name, i) => (
          <li
            key={name}
            data-testid="legend-item"
            className={hidden.has(i) ? 'off' : ''}
            onClick={() => toggle(i)}
            onDoubleClick={() => isolate(i)}
            title={`${name}: ${counts[i].toLocaleString()} cells`}
          >
            <span className="swatch" style={{ background: `rgb(${palette[i].join(',')})` }} />
            <span className="name">{name}</span>
            <span className="count">{counts[i].toLocaleString()}</span>
          </li>
        ))}
        {missing > 0 && (
          <li className="missing">
            <span className="swatch" style={{ background: 'rgb(200,200,200)' }} />
            <span className="name">missing</span>
            <span className="count">{missing.toLocaleString()}</span>
          </li>
        )}
      </ul>
    </div>
  );
}

function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return 'n/a';
  return Math.abs(v) >= 1000 || Number.isInteger(v) ? v.toLocaleString() : v.toPrecision(3);
}
