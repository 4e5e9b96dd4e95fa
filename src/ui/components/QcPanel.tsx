// QC plots from the last pipeline run, drawn with deck.gl: violins of total_counts,
// n_genes_by_counts, pct_counts_mt (and pct_counts_ribo / pct_counts_hb, unfiltered) over all cells and the counts-vs-genes scatter, with the
// filters in force as red lines (drag them to change the filters; nothing re-runs until asked) and
// the thresholds the data suggest (3 MADs, as scater/Kana) as dashed orange ones. The suggestion is
// applied, and the pipeline re-run, only with "Apply and re-run".
import { useCallback, useEffect, useState } from 'react';
import type { QcProposal } from '../../analysis/qc-thresholds.ts';
import type { PipelineParams } from '../../analysis/pipeline.ts';
import { useAnalysis } from '../analysis-store.ts';
import { useApp } from '../store.ts';
import type { Threshold } from './plot-layers.ts';
import { QcScatter } from './QcScatter.tsx';
import { useWorkerResult } from './use-worker-result.ts';
import { ViolinPlot } from './ViolinPlot.tsx';

type Metric = 'total_counts' | 'n_genes_by_counts' | 'pct_counts_mt';
/** Shown, not filtered on (scanpy's tutorial looks at them; no filter of ours uses them). */
type ShownMetric = Metric | 'pct_counts_ribo' | 'pct_counts_hb';
type Filter = PipelineParams['filter'];

/** Each filtered metric's filter field, its direction, and how a dragged value is rounded. */
const FILTERS: Record<Metric, { field: 'minCounts' | 'minGenes' | 'maxPctMt'; op: '≥' | '≤'; round: (v: number) => number }> = {
  total_counts: { field: 'minCounts', op: '≥', round: (v) => Math.max(0, Math.round(v)) },
  n_genes_by_counts: { field: 'minGenes', op: '≥', round: (v) => Math.max(0, Math.round(v)) },
  pct_counts_mt: { field: 'maxPctMt', op: '≤', round: (v) => Math.min(100, Math.max(0, Number(v.toFixed(2)))) },
};

function proposedBound(q: QcProposal, m: Metric): number | null {
  return m === 'total_counts' ? q.minCounts : m === 'n_genes_by_counts' ? q.minGenes : q.maxPctMt;
}

/** "Suggested (3 MADs, as scater/Kana): total_counts ≥ 1,200, pct_counts_mt ≤ 5.00", bounds that exist only. */
function proposalText(q: QcProposal): string {
  const bounds = [
    q.minCounts !== null ? `total_counts ≥ ${Math.ceil(q.minCounts).toLocaleString()}` : null,
    q.minGenes !== null ? `n_genes_by_counts ≥ ${Math.ceil(q.minGenes).toLocaleString()}` : null,
    q.maxPctMt !== null ? `pct_counts_mt ≤ ${q.maxPctMt.toFixed(2)}` : null,
  ].filter((b) => b !== null);
  return `Suggested (${q.nmads} MADs, as scater/Kana): ${bounds.length ? bounds.join(', ') : 'no bounds'}`;
}

function setFilter(field: keyof Filter, value: number): void {
  const { params, setParams } = useAnalysis.getState();
  if (params.filter[field] !== value) setParams({ ...params, filter: { ...params.filter, [field]: value } });
}

function fmt(v: number): string {
  return Math.abs(v) >= 100 ? Math.round(v).toLocaleString() : String(Number(v.toFixed(2)));
}

function isFiltered(m: ShownMetric): m is Metric {
  return m in FILTERS;
}

function ShownViolin({ metric, version }: { metric: ShownMetric; version: string }) {
  const r = useWorkerResult<'violin'>({ type: 'violin', groupBy: null, source: { kind: 'column', name: metric } }, version);
  return (
    <figure data-testid={`qc-${metric}`}>
      {r.error && <p className="error">{r.error}</p>}
      {r.loading && <p className="muted small">loading {metric}…</p>}
      {r.value && <ViolinPlot result={r.value.result} height={150} thresholds={[]} testId={`qc-violin-${metric}`} />}
      <figcaption className="small muted">no filter</figcaption>
    </figure>
  );
}

function MetricViolin({ metric, proposal, filter, version }: { metric: Metric; proposal: QcProposal; filter: Filter; version: string }) {
  const r = useWorkerResult<'violin'>({ type: 'violin', groupBy: null, source: { kind: 'column', name: metric } }, version);
  const spec = FILTERS[metric];
  const g = r.value?.result.groups[0];
  const current = filter[spec.field];
  const proposed = proposedBound(proposal, metric);
  const inRange = (v: number) => !!g && g.n > 0 && v >= g.min && v <= g.max;
  const thresholds: Threshold[] = [];
  // A filter that removes nothing sits on the data's edge, where it can still be grabbed.
  if (g && g.n > 0) thresholds.push({ id: metric, value: Math.min(g.max, Math.max(g.min, current)), kind: 'current' });
  if (proposed !== null && inRange(proposed)) thresholds.push({ id: `${metric}-proposed`, value: proposed, kind: 'proposed' });
  return (
    <figure data-testid={`qc-${metric}`}>
      {r.error && <p className="error">{r.error}</p>}
      {r.loading && <p className="muted small">loading {metric}…</p>}
      {r.value && <ViolinPlot result={r.value.result} height={150} thresholds={thresholds} testId={`qc-violin-${metric}`} onThreshold={(id, v) => id === metric && setFilter(spec.field, spec.round(v))} />}
      <figcaption className="small">
        <span className="qc-bound current">
          filter {spec.op} {fmt(current)}
        </span>
        {proposed !== null && inRange(proposed) && (
          <span className="qc-bound proposed" data-testid={`qc-proposed-${metric}`}>
            suggested {spec.op} {fmt(proposed)}
          </span>
        )}
      </figcaption>
    </figure>
  );
}

function Scatter({ proposal, filter, hasMt, version, onDrawn }: { proposal: QcProposal; filter: Filter; hasMt: boolean; version: string; onDrawn(): void }) {
  const counts = useWorkerResult<'column'>({ type: 'column', name: 'total_counts' }, version);
  const genes = useWorkerResult<'column'>({ type: 'column', name: 'n_genes_by_counts' }, version);
  const mt = useWorkerResult<'column'>(hasMt ? { type: 'column', name: 'pct_counts_mt' } : null, version);
  const numbers = (c: typeof counts) => (c.value?.column.kind === 'numeric' ? c.value.column.values : null);
  const [x, y, z] = [numbers(counts), numbers(genes), numbers(mt)];
  const failed = !!(counts.error ?? genes.error ?? mt.error);
  useEffect(() => {
    if (failed) onDrawn();
  }, [failed, onDrawn]);
  if (!x || !y || (hasMt && !z)) return <p className="muted small">{counts.error ?? genes.error ?? mt.error ?? 'loading the QC scatter…'}</p>;
  const lines = (metric: Metric, current: number, proposed: number | null): Threshold[] => [{ id: metric, value: current, kind: 'current' }, ...(proposed !== null ? [{ id: `${metric}-proposed`, value: proposed, kind: 'proposed' as const }] : [])];
  return (
    <QcScatter
      counts={x}
      genes={y}
      pctMt={z}
      xLines={lines('total_counts', filter.minCounts, proposal.minCounts)}
      yLines={lines('n_genes_by_counts', filter.minGenes, proposal.minGenes)}
      onThreshold={(id, v) => {
        if (id === 'total_counts' || id === 'n_genes_by_counts') setFilter(FILTERS[id].field, FILTERS[id].round(v));
      }}
      onDrawn={onDrawn}
    />
  );
}

export function QcPanel() {
  const report = useAnalysis((s) => s.report);
  const params = useAnalysis((s) => s.params);
  const setParams = useAnalysis((s) => s.setParams);
  const run = useAnalysis((s) => s.run);
  const job = useAnalysis((s) => s.job);
  const datasetId = useApp((s) => s.datasetId);
  const hasColumn = useApp((s) => s.summary?.obs);
  // The plots (six deck.gl canvases) freeze a software-WebGL page for seconds while they start:
  // a spinner is painted first (two frames before the plots mount) and stays until the scatter,
  // the last to get its data, has drawn.
  const [mounted, setMounted] = useState(false);
  const [drawn, setDrawn] = useState(false);
  const onDrawn = useCallback(() => setDrawn(true), []);
  useEffect(() => {
    let second = 0;
    const first = requestAnimationFrame(() => {
      second = requestAnimationFrame(() => setMounted(true));
    });
    return () => {
      cancelAnimationFrame(first);
      cancelAnimationFrame(second);
    };
  }, []);
  if (!report) return null;
  const q = report.qcProposal;
  // The QC columns are rewritten by every run; ask again after one.
  const version = `${datasetId}:${report.nKept}:${report.timings.qc ?? ''}`;
  // A report from before the gene sets existed (a saved session) has no qcGenes.
  const found = (key: string) => !!report.qcGenes?.sets.some((s) => s.key === key && s.nGenes > 0) && !!hasColumn?.[`pct_counts_${key}`];
  const hasMt = found('mt') || (!report.qcGenes && !!hasColumn?.pct_counts_mt);
  const metrics: ShownMetric[] = ['total_counts', 'n_genes_by_counts', ...(hasMt ? (['pct_counts_mt'] as const) : []), ...(['ribo', 'hb'] as const).filter(found).map((k) => `pct_counts_${k}` as const)];
  const apply = () => {
    setParams({
      ...params,
      filter: {
        ...params.filter,
        minCounts: q.minCounts === null ? params.filter.minCounts : Math.ceil(q.minCounts),
        minGenes: q.minGenes === null ? params.filter.minGenes : Math.ceil(q.minGenes),
        maxPctMt: q.maxPctMt === null ? params.filter.maxPctMt : Number(q.maxPctMt.toFixed(4)),
      },
    });
    void run();
  };
  return (
    <section className="panel qc" data-testid="qc-panel">
      <h3>QC</h3>
      {report.qcGenes && (
        <p className="small" data-testid="qc-genes" title={report.qcGenes.sets.map((s) => `${s.key}: ${s.genes.join(', ') || 'none'}`).join('\n')}>
          {report.qcGenes.summary}.
        </p>
      )}
      {report.input?.kind === 'log' && (
        <p className="small warn" data-testid="qc-not-counts">
          This file has no raw counts: these metrics come from the log-normalised values in {report.input.key}. n_genes_by_counts (genes detected) is the same either way; total_counts and the pct_counts columns are sums of log1p values, so their ranges and the thresholds suggested for them are not those of counts.
        </p>
      )}
      {!drawn && (
        <div className="qc-starting muted" role="status" data-testid="qc-starting">
          <span className="spinner" aria-hidden="true" /> Starting the QC plots…
        </div>
      )}
      <div className="qc-plots">
        {mounted && metrics.map((m) => (isFiltered(m) ? <MetricViolin key={m} metric={m} proposal={q} filter={params.filter} version={version} /> : <ShownViolin key={m} metric={m} version={version} />))}
        {mounted && <Scatter proposal={q} filter={params.filter} hasMt={hasMt} version={version} onDrawn={onDrawn} />}
      </div>
      <p className="small" data-testid="qc-proposal">
        {proposalText(q)}: removes {q.removed.any.toLocaleString()} of {report.nCells.toLocaleString()} cells.{q.notes.length ? ` (${q.notes.join('; ')})` : ''}{' '}
        <button onClick={apply} disabled={!!job} data-testid="qc-apply">
          Apply and re-run
        </button>
      </p>
    </section>
  );
}
