// QC histograms from the last pipeline run, with the filter thresholds drawn as red lines and the
// thresholds the data suggest (3 MADs, as scater/Kana) as dashed orange ones; the suggestion is
// applied (and the pipeline re-run) only when the user asks.
import type { QcProposal } from '../../analysis/qc-thresholds.ts';
import type { Histogram } from '../../analysis/report.ts';
import { useAnalysis } from '../analysis-store.ts';

const W = 220;
const H = 70;

function Hist({ h, proposed }: { h: Histogram; proposed?: number | null }) {
  const top = Math.max(1, ...h.counts);
  const bw = W / h.counts.length;
  const x = (v: number) => ((v - h.min) / (h.max - h.min || 1)) * W;
  return (
    <figure className="hist" data-testid={`qc-${h.name}`}>
      <svg width={W} height={H + 14} role="img" aria-label={`${h.name} histogram`}>
        {h.counts.map((c, i) => (
          <rect key={i} x={i * bw} y={H - (c / top) * H} width={Math.max(1, bw - 1)} height={(c / top) * H} fill="#6b8fc7" />
        ))}
        {[h.low, h.high].map((t, i) => (t !== undefined ? <line key={i} x1={x(t)} x2={x(t)} y1={0} y2={H} stroke="#d62728" strokeWidth={2} /> : null))}
        {proposed !== undefined && proposed !== null && proposed >= h.min && proposed <= h.max && (
          <line x1={x(proposed)} x2={x(proposed)} y1={0} y2={H} stroke="#e08a00" strokeWidth={2} strokeDasharray="4 3" data-testid={`qc-proposed-${h.name}`} />
        )}
        <text x={0} y={H + 12} fontSize={10}>
          {fmt(h.min)}
        </text>
        <text x={W} y={H + 12} fontSize={10} textAnchor="end">
          {fmt(h.max)}
        </text>
      </svg>
      <figcaption>{h.name}</figcaption>
    </figure>
  );
}

function fmt(v: number): string {
  return Math.abs(v) >= 100 ? Math.round(v).toLocaleString() : v.toPrecision(3);
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

export function QcPanel() {
  const report = useAnalysis((s) => s.report);
  const params = useAnalysis((s) => s.params);
  const setParams = useAnalysis((s) => s.setParams);
  const run = useAnalysis((s) => s.run);
  const job = useAnalysis((s) => s.job);
  if (!report) return null;
  const q = report.qcProposal;
  const proposed: Record<string, number | null> = { total_counts: q.minCounts, n_genes_by_counts: q.minGenes, pct_counts_mt: q.maxPctMt };
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
      <div className="row wrap">
        {report.histograms.map((h) => (
          <Hist key={h.name} h={h} proposed={proposed[h.name]} />
        ))}
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
