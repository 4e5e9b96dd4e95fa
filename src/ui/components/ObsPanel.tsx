// The left panel, as CELLxGENE's: every obs column, a colour-by toggle each; a categorical opens
// to its legend with cell counts (click hides a category, double-click isolates it); a numeric one
// to a small histogram and a range filter. Filters hide cells on the embedding, whatever is coloured.
import { Fragment, useMemo, useState, type ReactNode } from 'react';
import type { ColumnSummary, DatasetSummary } from '../../io/summary.ts';
import { useCategoryColors } from '../category-colors.ts';
import { hexToRgb } from '../colors.ts';
import { useApp } from '../store.ts';
import { useView, visibleMask } from '../view-store.ts';
import { MiniHistogram } from './MiniHistogram.tsx';

const NO_COUNTS: Record<string, number> = {};

function CategoryList({ name, summary }: { name: string; summary: ColumnSummary }) {
  const colored = useApp((s) => s.colorBy === name);
  const hidden = useView((s) => s.hiddenBy[name]);
  const loaded = useView((s) => s.columns[name]);
  const colorColumn = useApp((s) => s.colorColumn);
  const { toggleCategory, isolateCategory, loadColumn } = useView.getState();
  // In the column's own order: the summary's object puts names like "0".."9" before others
  // whatever their position, so it only gives the counts.
  const column = colorColumn?.name === name ? colorColumn : loaded;
  const counts = summary.categories ?? NO_COUNTS;
  const order = useMemo(() => (column?.kind === 'categorical' && column.categories.every((c) => Object.hasOwn(counts, c)) ? column.categories : Object.keys(counts)), [column, counts]);
  const colors = useCategoryColors(name, order);
  // Hiding needs the codes in the page; they are fetched on the first click.
  const act = (fn: (c: string, category: string) => void, category: string) => void loadColumn(name).then((col) => col && fn(name, category));
  return (
    <ul className="categories" data-testid={colored ? 'legend' : `categories-${name}`}>
      {order.map((cat) => (
        <li
          key={cat}
          data-testid={colored ? 'legend-item' : 'obs-category'}
          className={hidden?.has(cat) ? 'off' : ''}
          onClick={() => act(toggleCategory, cat)}
          onDoubleClick={() => act(isolateCategory, cat)}
          title={`${cat}: ${counts[cat].toLocaleString()} cells; click hides, double-click isolates`}
        >
          <span className="swatch" style={{ background: colored ? `rgb(${hexToRgb(colors[cat]).join(',')})` : '#c9ced8' }} />
          <span className="name">{cat}</span>
          <span className="count">{counts[cat].toLocaleString()}</span>
        </li>
      ))}
      {summary.n_missing > 0 && (
        <li className="missing">
          <span className="swatch" style={{ background: 'rgb(200,200,200)' }} />
          <span className="name">missing</span>
          <span className="count">{summary.n_missing.toLocaleString()}</span>
        </li>
      )}
    </ul>
  );
}

function NumericFilter({ name }: { name: string }) {
  const column = useView((s) => s.columns[name]);
  const range = useView((s) => s.ranges[name]);
  const setRange = useView((s) => s.setRange);
  if (column?.kind !== 'numeric') return <p className="muted small">reading…</p>;
  return <MiniHistogram values={column.values} range={range ?? null} onRange={(r) => setRange(name, r)} name={name} />;
}

function ColumnEntry({ name, summary, open, onToggle }: { name: string; summary: ColumnSummary; open: boolean; onToggle(): void }) {
  const colored = useApp((s) => s.colorBy === name);
  const filtered = useView((s) => (s.hiddenBy[name]?.size ?? 0) > 0 || name in s.ranges);
  const setColorBy = useApp((s) => s.setColorBy);
  const loadColumn = useView((s) => s.loadColumn);
  const nCat = summary.categories ? Object.keys(summary.categories).length : null;
  const numeric = summary.min !== undefined && !summary.categories;
  const expandable = (nCat !== null && nCat <= 500) || numeric;
  const toggle = () => {
    if (numeric && !open) void loadColumn(name);
    onToggle();
  };
  const detail = nCat !== null ? `${nCat} categories` : numeric ? `${fmt(summary.min!)} – ${fmt(summary.max!)}` : summary.n_unique !== undefined ? `${summary.n_unique.toLocaleString()} unique` : summary.type;
  return (
    <li className={`obs-column${colored ? ' colored' : ''}`} data-testid={`obs-${name}`}>
      <div className="obs-head">
        <button className="expand icon" disabled={!expandable} aria-expanded={open} aria-label={`${open ? 'collapse' : 'expand'} ${name}`} onClick={toggle}>
          {open ? '▾' : '▸'}
        </button>
        {/* The name opens the column too, as in CELLxGENE. */}
        <span className={`obs-label${expandable ? ' expandable' : ''}`} onClick={expandable ? toggle : undefined}>
          <span className="obs-name" title={`${name} (${summary.type})${summary.n_missing ? `, ${summary.n_missing} missing` : ''}`}>
            {wordBreaks(name)}
            {filtered && <span className="filter-dot" title="a filter on this column hides cells" />}
          </span>
          <span className="muted obs-detail">{detail}</span>
        </span>
        <button className={`paint icon${colored ? ' on' : ''}`} aria-pressed={colored} title={`colour by ${name}`} aria-label={`colour by ${name}`} onClick={() => void setColorBy(colored ? null : name)} data-testid={`color-by-${name}`}>
          ●
        </button>
      </div>
      {open && nCat !== null && <CategoryList name={name} summary={summary} />}
      {open && numeric && <NumericFilter name={name} />}
    </li>
  );
}

/** The name with a line-break opportunity after each "_" (and "."), so a long one wraps between its words. */
function wordBreaks(name: string): ReactNode {
  const parts = name.split(/(?<=[_.])/);
  return parts.length < 2 ? name : parts.map((p, i) => (
    <Fragment key={i}>
      {p}
      {i < parts.length - 1 && <wbr />}
    </Fragment>
  ));
}

function fmt(v: number): string {
  return Math.abs(v) >= 1000 || Number.isInteger(v) ? Math.round(v).toLocaleString() : v.toPrecision(3);
}

export function ObsPanel({ summary }: { summary: DatasetSummary }) {
  const colorBy = useApp((s) => s.colorBy);
  const embedding = useApp((s) => s.embedding);
  const colorColumn = useApp((s) => s.colorColumn);
  const { columns, hiddenBy, ranges, clearFilters } = useView();
  // Opened or closed by the user; otherwise the coloured column is the open one.
  const [explicit, setExplicit] = useState<Record<string, boolean>>({});
  const isOpen = (name: string) => explicit[name] ?? name === colorBy;
  const shown = useMemo(() => {
    if (!embedding) return null;
    const all = colorColumn ? { ...columns, [colorColumn.name]: colorColumn } : columns;
    const m = visibleMask(embedding.n, all, hiddenBy, ranges);
    return m ? m.reduce((a, b) => a + b, 0) : null;
  }, [embedding, colorColumn, columns, hiddenBy, ranges]);
  return (
    <aside className="left" data-testid="obs-panel">
      <div className="panel-head">
        <h3>Cells (obs)</h3>
        {shown !== null && (
          <span className="small">
            <span data-testid="shown-cells">{shown.toLocaleString()}</span> of {summary.n_obs.toLocaleString()} shown{' '}
            <button className="link" onClick={clearFilters} data-testid="clear-filters">
              show all
            </button>
          </span>
        )}
      </div>
      <ul className="obs-list" data-testid="obs-columns">
        {Object.entries(summary.obs).map(([name, c]) => (
          <ColumnEntry key={name} name={name} summary={c} open={isOpen(name)} onToggle={() => setExplicit({ ...explicit, [name]: !isOpen(name) })} />
        ))}
      </ul>
    </aside>
  );
}
