// scanpy's three views of genes across groups for one categorical column: a dot plot, violins
// (sc.pl.violin, for a gene or a numeric obs column, optionally with every cell as a jittered
// point) and a matrix plot. The caller chooses the column and the genes (ids to ask for, symbols
// to show, brackets over the columns); everything is computed in the worker, and the plots grow to
// fill the room the tab gives them.
import { useRef, useState } from 'react';
import type { ViolinSource } from '../../analysis/violin.ts';
import { useApp } from '../store.ts';
import { DotPlot } from './DotPlot.tsx';
import { MatrixPlot } from './MatrixPlot.tsx';
import type { Bracket } from './plot-grid.ts';
import { useElementSize } from './use-element-size.ts';
import { ViolinPlot } from './ViolinPlot.tsx';
import { useWorkerResult, type WorkerResult } from './use-worker-result.ts';

type Tab = 'dot' | 'violin' | 'matrix';
const TABS: [Tab, string][] = [
  ['dot', 'Dot plot'],
  ['violin', 'Violin'],
  ['matrix', 'Matrix plot'],
];
/** Points kept per group for the stripplot (an even sample beyond this). */
const STRIP_POINTS = 5000;
/** The stripplot's jitter seed: the same picture each time. */
const STRIP_SEED = 0;

function Status({ r, what }: { r: WorkerResult<unknown>; what: string }) {
  if (r.error)
    return (
      <p className="error" role="alert" data-testid="plots-error">
        {what} failed: {r.error}
      </p>
    );
  if (r.loading)
    return (
      <p className="muted small" data-testid="plots-progress">
        {r.progress ? `${r.progress.message} (${Math.round(r.progress.fraction * 100)}%)` : `computing ${what.toLowerCase()}…`}
      </p>
    );
  return null;
}

/** The violin's subject: "gene:NAME" or "column:NAME" in the select; free text means a gene. */
function parseSource(choice: string): ViolinSource | null {
  const i = choice.indexOf(':');
  if (i < 0) return null;
  const kind = choice.slice(0, i);
  const name = choice.slice(i + 1);
  return name && (kind === 'gene' || kind === 'column') ? { kind, name } : null;
}

interface Props {
  groupBy: string;
  /** Genes to plot, as the matrix names them (ids on CELLxGENE files). */
  genes: string[];
  /** What to show for each (symbols); default the names. */
  symbols?: string[];
  brackets?: Bracket[];
  /** Said where the dot and matrix plots would be when there are no genes. */
  emptyText?: string;
}

export function PlotsPanel({ groupBy, genes, symbols = genes, brackets, emptyText = 'No genes to plot yet: compute markers first.' }: Props) {
  const [tab, setTab] = useState<Tab>('dot');
  const summary = useApp((s) => s.summary);
  const body = useRef<HTMLDivElement>(null);
  const [roomW, roomH] = useElementSize(body);
  const numeric = Object.entries(summary?.obs ?? {})
    .filter(([, c]) => c.min !== undefined && !c.categories)
    .map(([n]) => n);
  const [choice, setChoice] = useState<string | null>(null);
  const [typed, setTyped] = useState('');
  const [strip, setStrip] = useState(false);
  const source = parseSource(choice ?? (genes.length ? `gene:${genes[0]}` : numeric.length ? `column:${numeric[0]}` : ''));
  const stats = useWorkerResult<'group-stats'>(tab !== 'violin' && genes.length ? { type: 'group-stats', groupBy, genes } : null);
  const violin = useWorkerResult<'violin'>(tab === 'violin' && source ? { type: 'violin', groupBy, source, ...(strip ? { points: STRIP_POINTS } : {}) } : null);
  const selectValue = source ? `${source.kind}:${source.name}` : '';
  const listed = new Set([...genes.map((g) => `gene:${g}`), ...numeric.map((n) => `column:${n}`)]);
  const room: [number, number] = [roomW, roomH];
  return (
    <section className="panel plots" data-testid="plots-panel" data-groupby={groupBy}>
      <div className="plots-tabs" role="tablist">
        {TABS.map(([t, label]) => (
          <button key={t} role="tab" aria-selected={tab === t} className={tab === t ? 'active' : undefined} onClick={() => setTab(t)} data-testid={`plots-tab-${t}`}>
            {label}
          </button>
        ))}
        <span className="muted small">by {groupBy}</span>
      </div>
      {tab !== 'violin' && !genes.length && (
        <p className="muted small" data-testid="plots-empty">
          {emptyText}
        </p>
      )}
      {tab === 'violin' && (
        <div className="row wrap small">
          <label>
            show{' '}
            <select value={selectValue} onChange={(e) => setChoice(e.target.value)} data-testid="violin-source">
              {source && !listed.has(selectValue) && <option value={selectValue}>{source.name}</option>}
              {genes.length > 0 && (
                <optgroup label="genes">
                  {genes.map((g, i) => (
                    <option key={g} value={`gene:${g}`}>
                      {symbols[i] ?? g}
                    </option>
                  ))}
                </optgroup>
              )}
              {numeric.length > 0 && (
                <optgroup label="obs columns">
                  {numeric.map((n) => (
                    <option key={n} value={`column:${n}`}>
                      {n}
                    </option>
                  ))}
                </optgroup>
              )}
            </select>
          </label>
          <form
            onSubmit={(e) => {
              e.preventDefault();
              if (typed.trim()) setChoice(`gene:${typed.trim()}`);
            }}
          >
            <input value={typed} onChange={(e) => setTyped(e.target.value)} placeholder="any gene symbol" data-testid="violin-gene" aria-label="gene for the violin plot" />
          </form>
          <label title="sc.pl.violin's stripplot: every cell as a point, jittered sideways (seeded, so the same each time)">
            <input type="checkbox" checked={strip} onChange={(e) => setStrip(e.target.checked)} data-testid="violin-stripplot" /> points (stripplot)
          </label>
        </div>
      )}
      <div className="plots-body" ref={body}>
        {tab === 'dot' && (
          <>
            <Status r={stats} what="Dot plot" />
            {stats.value && genes.length > 0 && <DotPlot stats={stats.value.stats} groupBy={groupBy} brackets={brackets} room={room} />}
          </>
        )}
        {tab === 'matrix' && (
          <>
            <Status r={stats} what="Matrix plot" />
            {stats.value && genes.length > 0 && <MatrixPlot stats={stats.value.stats} groupBy={groupBy} brackets={brackets} room={room} value={`mean expression in group (${stats.value.stats.unit ?? 'log1p normalised'})`} />}
          </>
        )}
        {tab === 'violin' && (
          <>
            <Status r={violin} what="Violin plot" />
            {violin.value && <ViolinPlot result={violin.value.result} room={roomW} roomHeight={roomH} stripplot={strip ? { seed: STRIP_SEED } : undefined} />}
          </>
        )}
      </div>
    </section>
  );
}
