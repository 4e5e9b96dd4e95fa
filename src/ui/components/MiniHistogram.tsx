// A numeric obs column at a glance: a 30-bar histogram (bars only, a sparkline, no axes) and a
// min/max filter. Cells outside the range are hidden on the embedding.
import { useMemo } from 'react';
import { finiteRange } from '../colors.ts';

const BINS = 30;

export function MiniHistogram({ name, values, range, onRange }: { name: string; values: Float64Array; range: [number, number] | null; onRange(r: [number, number] | null): void }) {
  const [min, max] = useMemo(() => finiteRange(values), [values]);
  const counts = useMemo(() => {
    const c = new Array<number>(BINS).fill(0);
    const span = max - min || 1;
    for (const v of values) if (Number.isFinite(v)) c[Math.min(BINS - 1, Math.floor(((v - min) / span) * BINS))]++;
    return c;
  }, [values, min, max]);
  if (!Number.isFinite(min)) return <p className="muted small">no finite values</p>;
  const top = Math.max(1, ...counts);
  const [lo, hi] = range ?? [min, max];
  const step = (max - min) / 200 || 1;
  const inRange = (i: number) => min + ((i + 1) * (max - min)) / BINS >= lo && min + (i * (max - min)) / BINS <= hi;
  const set = (a: number, b: number) => onRange(a <= min && b >= max ? null : [Math.min(a, b), Math.max(a, b)]);
  return (
    <div className="mini-hist" data-testid={`hist-${name}`}>
      <div className="bars" aria-hidden>
        {counts.map((c, i) => (
          <span key={i} className={inRange(i) ? '' : 'out'} style={{ height: `${Math.max(c > 0 ? 4 : 0, (c / top) * 100)}%` }} />
        ))}
      </div>
      <div className="range-inputs">
        <label>
          min <input type="number" step={step} value={round(lo)} onChange={(e) => set(Number(e.target.value), hi)} data-testid={`range-min-${name}`} />
        </label>
        <label>
          max <input type="number" step={step} value={round(hi)} onChange={(e) => set(lo, Number(e.target.value))} data-testid={`range-max-${name}`} />
        </label>
      </div>
    </div>
  );
}

function round(v: number): number {
  return Number(v.toPrecision(5));
}
