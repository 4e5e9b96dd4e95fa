// QC histograms from the last pipeline run, with the filter thresholds drawn as red lines.
import type { Histogram } from '../../analysis/report.ts';
import { useAnalysis } from '../analysis-store.ts';

const W = 220;
const H = 70;

function Hist({ h }: { h: Histogram }) {
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

export function QcPanel() {
  const report = useAnalysis((s) => s.report);
  if (!report) return null;
  return (
    <section className="panel qc" data-testid="qc-panel">
      <h3>QC</h3>
      <div className="row wrap">
        {report.histograms.map((h) => (
          <Hist key={h.name} h={h} />
        ))}
      </div>
    </section>
  );
}
