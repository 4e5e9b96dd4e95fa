// Axis arithmetic for the deck.gl plots, which lay out in pixels (an OrthographicView at zoom 0):
// linear and log10 scales from data to pixels and back (for dragging), and tick values a reader
// expects (1, 2, 5 x 10^k steps; powers of ten on log axes).

export interface Scale {
  (v: number): number;
  invert(px: number): number;
  domain: [number, number];
  log: boolean;
}

/** `domain` to the pixel range [a, b]; log10 when `log` (the domain must then be positive). */
export function scale(domain: [number, number], range: [number, number], log = false): Scale {
  const f = log ? Math.log10 : (v: number) => v;
  const inv = log ? (t: number) => 10 ** t : (t: number) => t;
  const d0 = f(domain[0]);
  const span = f(domain[1]) - d0 || 1;
  const [a, b] = range;
  const s = ((v: number) => a + ((f(v) - d0) / span) * (b - a)) as Scale;
  s.invert = (px: number) => inv(d0 + ((px - a) / (b - a)) * span);
  s.domain = domain;
  s.log = log;
  return s;
}

/** About `count` round values covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [];
  if (hi <= lo) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 5, 10].find((m) => m * mag >= raw) ?? 10) * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Math.abs(v) < step * 1e-9 ? 0 : Number(v.toPrecision(12)));
  return out;
}

/** Powers of ten within [lo, hi] (lo > 0); 1-2-5 steps when the range spans under a decade. */
export function logTicks(lo: number, hi: number): number[] {
  const out: number[] = [];
  for (let e = Math.ceil(Math.log10(lo)); 10 ** e <= hi * (1 + 1e-12); e++) out.push(10 ** e);
  if (out.length >= 2) return out;
  const fine: number[] = [];
  for (let e = Math.floor(Math.log10(lo)); 10 ** e <= hi; e++) for (const m of [1, 2, 5]) if (m * 10 ** e >= lo && m * 10 ** e <= hi) fine.push(m * 10 ** e);
  return fine.length >= 2 ? fine : niceTicks(lo, hi, 4);
}

export function tickLabel(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-3) return v.toExponential(0).replace('e+', 'e');
  if (a >= 1000) return Math.round(v).toLocaleString('en-US');
  return String(Number(v.toPrecision(3)));
}

/** A dashed segment from p to q as separate dash segments (deck.gl's LineLayer has no dashes). */
export function dashes(p: [number, number], q: [number, number], dash = 5, gap = 4): [number, number][][] {
  const len = Math.hypot(q[0] - p[0], q[1] - p[1]);
  if (len === 0) return [];
  const ux = (q[0] - p[0]) / len;
  const uy = (q[1] - p[1]) / len;
  const out: [number, number][][] = [];
  for (let t = 0; t < len; t += dash + gap) {
    const e = Math.min(len, t + dash);
    out.push([[p[0] + ux * t, p[1] + uy * t], [p[0] + ux * e, p[1] + uy * e]]);
  }
  return out;
}
