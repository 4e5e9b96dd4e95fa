// The colour scale over the embedding when it is coloured by numbers: what the colours show (a
// gene's log-normalised expression, X as stored, or an obs column) and the clipped range.
import { useAnalysis } from '../analysis-store.ts';
import { clippedRange, VIRIDIS_CSS } from '../colors.ts';
import { useApp } from '../store.ts';

/** What a gene's colour means, from the matrix the worker reads genes from. */
export function geneScaleUnit(input: { kind: string; key: string } | null): string {
  if (!input) return '';
  if (input.kind === 'counts') return `log-normalised counts: log1p(counts per 10k) of ${input.key}`;
  if (input.kind === 'log') return `${input.key} as stored (log-normalised)`;
  return `${input.key} as stored (scaled)`;
}

export function ColorScale() {
  const column = useApp((s) => s.colorColumn);
  const input = useApp((s) => s.summary?.analysis_input ?? null);
  const clip = useAnalysis((s) => s.clip);
  if (column?.kind !== 'numeric') return null;
  const [min, max] = clippedRange(column.values, clip[0], clip[1]);
  const gene = column.name.startsWith('gene: ');
  return (
    <div className="color-scale" data-testid="color-scale">
      <div className="legend-title">{gene ? column.name.slice(6) : column.name}</div>
      {gene && (
        <div className="muted small" data-testid="color-scale-unit">
          {geneScaleUnit(input)}
        </div>
      )}
      <div className="gradient" style={{ background: VIRIDIS_CSS }} />
      <div className="gradient-labels">
        <span>{formatNumber(min)}</span>
        <span>{formatNumber(max)}</span>
      </div>
    </div>
  );
}

function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return 'n/a';
  return Math.abs(v) >= 1000 || Number.isInteger(v) ? v.toLocaleString() : v.toPrecision(3);
}
