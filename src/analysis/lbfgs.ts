// Unconstrained L-BFGS, as scipy's L-BFGS-B runs it for scikit-learn's LogisticRegression(solver
// 'lbfgs') when nothing is bounded: 10 correction pairs, a strong-Wolfe line search (sufficient
// decrease 1e-3, curvature 0.9), a first step of 1/||g||, and scipy's stopping rules: the largest
// gradient entry at most `gtol`, or the objective's relative decrease at most `ftol`
// (factr 1e7 x machine epsilon), or `maxIter` iterations. The objective and gradient come from an
// async callback, so evaluations can run on the worker pool, and a cancel gets through.
import { CancelledError } from '../io/errors.ts';

export interface LbfgsOptions {
  maxIter: number;
  /** Largest gradient entry at which the solution counts as converged (scipy's pgtol, sklearn's tol). */
  gtol: number;
  /** Relative decrease of the objective below which it stops (scipy's default 2.22e-9). */
  ftol?: number;
  /** Correction pairs kept (scipy: 10). */
  memory?: number;
  /** Function evaluations per line search (scipy: 20). */
  maxLineSearch?: number;
  signal?: AbortSignal;
  /** After each iteration: its number, the objective and the largest gradient entry. */
  onIteration?: (iteration: number, f: number, gmax: number) => void;
  /** Correction pairs to start from (a previous run's `pairs` near x0: the run goes on as L-BFGS, not from a gradient step). */
  pairs?: CorrectionPairs;
}

/** L-BFGS's memory: steps s and gradient changes y, oldest first. */
export interface CorrectionPairs {
  S: Float64Array[];
  Y: Float64Array[];
}

export interface LbfgsResult {
  x: Float64Array;
  f: number;
  iterations: number;
  evaluations: number;
  converged: boolean;
  /** Why it stopped, in scipy's words where it has them. */
  message: string;
  /** The correction pairs at the end. */
  pairs: CorrectionPairs;
}

/** fg(x, g) writes the gradient at x into g and returns the objective. */
export type Objective = (x: Float64Array, g: Float64Array) => Promise<number>;

export const SCIPY_FTOL = 2.220446049250313e-9;

const dot = (a: Float64Array, b: Float64Array) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
};
const maxAbs = (a: Float64Array) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const v = Math.abs(a[i]);
    if (v > m) m = v;
  }
  return m;
};

export async function lbfgs(x0: Float64Array, fg: Objective, opts: LbfgsOptions): Promise<LbfgsResult> {
  const n = x0.length;
  const m = opts.memory ?? 10;
  const ftol = opts.ftol ?? SCIPY_FTOL;
  const maxLs = opts.maxLineSearch ?? 20;
  const x = Float64Array.from(x0);
  const g = new Float64Array(n);
  let evaluations = 1;
  let f = await fg(x, g);
  const S: Float64Array[] = opts.pairs ? [...opts.pairs.S] : [];
  const Y: Float64Array[] = opts.pairs ? [...opts.pairs.Y] : [];
  const rho: number[] = S.map((s, i) => 1 / dot(s, Y[i]));
  const d = new Float64Array(n);
  const alpha = new Float64Array(m);
  const xt = new Float64Array(n);
  const gt = new Float64Array(n);
  const done = (iterations: number, converged: boolean, message: string): LbfgsResult => ({ x, f, iterations, evaluations, converged, message, pairs: { S: [...S], Y: [...Y] } });
  if (!Number.isFinite(f)) throw new Error(`logistic regression: the objective is ${f} at the start`);
  if (maxAbs(g) <= opts.gtol) return done(0, true, 'CONVERGENCE: NORM_OF_PROJECTED_GRADIENT_<=_PGTOL');

  for (let iter = 1; ; iter++) {
    if (opts.signal?.aborted) throw new CancelledError('logistic regression');
    // Two-loop recursion: d = -H g.
    for (let i = 0; i < n; i++) d[i] = -g[i];
    const k = S.length;
    for (let j = k - 1; j >= 0; j--) {
      alpha[j] = rho[j] * dot(S[j], d);
      const y = Y[j];
      for (let i = 0; i < n; i++) d[i] -= alpha[j] * y[i];
    }
    if (k > 0) {
      const gamma = dot(S[k - 1], Y[k - 1]) / dot(Y[k - 1], Y[k - 1]);
      for (let i = 0; i < n; i++) d[i] *= gamma;
    }
    for (let j = 0; j < k; j++) {
      const b = rho[j] * dot(Y[j], d);
      const s = S[j];
      for (let i = 0; i < n; i++) d[i] += (alpha[j] - b) * s[i];
    }
    let dg = dot(d, g);
    if (!(dg < 0)) {
      // Not a descent direction (rounding in a flat region): start the memory afresh.
      S.length = Y.length = rho.length = 0;
      for (let i = 0; i < n; i++) d[i] = -g[i];
      dg = dot(d, g);
    }
    const first = S.length === 0 ? 1 / Math.sqrt(dot(d, d)) : 1;
    const ls = await lineSearch(x, f, d, dg, first, fg, xt, gt, maxLs);
    evaluations += ls.evaluations;
    if (!ls.ok) return done(iter - 1, false, 'ABNORMAL_TERMINATION_IN_LNSRCH');
    const fPrev = f;
    // s = step, y = gradient change; the pair is kept when its curvature is positive.
    const s = new Float64Array(n);
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      s[i] = xt[i] - x[i];
      y[i] = gt[i] - g[i];
    }
    x.set(xt);
    g.set(gt);
    f = ls.f;
    const sy = dot(s, y);
    if (sy > 2.220446049250313e-16 * dot(y, y)) {
      if (S.length === m) {
        S.shift();
        Y.shift();
        rho.shift();
      }
      S.push(s);
      Y.push(y);
      rho.push(1 / sy);
    }
    const gmax = maxAbs(g);
    opts.onIteration?.(iter, f, gmax);
    if (gmax <= opts.gtol) return done(iter, true, 'CONVERGENCE: NORM_OF_PROJECTED_GRADIENT_<=_PGTOL');
    if ((fPrev - f) / Math.max(Math.abs(fPrev), Math.abs(f), 1) <= ftol) return done(iter, true, 'CONVERGENCE: REL_REDUCTION_OF_F_<=_FACTR*EPSMCH');
    if (iter >= opts.maxIter) return done(iter, false, 'STOP: TOTAL NO. of ITERATIONS REACHED LIMIT');
  }
}

/**
 * Strong-Wolfe line search along d from x (Nocedal & Wright, algorithms 3.5 and 3.6, cubic
 * interpolation in the zoom). On success xt, gt hold the accepted point and its gradient.
 */
async function lineSearch(x: Float64Array, f0: number, d: Float64Array, dg0: number, a1: number, fg: Objective, xt: Float64Array, gt: Float64Array, maxEval: number): Promise<{ ok: boolean; f: number; evaluations: number }> {
  const c1 = 1e-3;
  const c2 = 0.9;
  let evaluations = 0;
  // The best point meeting sufficient decrease, in case the curvature condition is never met.
  let best: { a: number; f: number; g: Float64Array } | null = null;
  const evalAt = async (a: number) => {
    for (let i = 0; i < x.length; i++) xt[i] = x[i] + a * d[i];
    evaluations++;
    const f = await fg(xt, gt);
    const dg = dot(gt, d);
    if (Number.isFinite(f) && f <= f0 + c1 * a * dg0 && (!best || f < best.f)) best = { a, f, g: Float64Array.from(gt) };
    return { f, dg };
  };
  const accept = (f: number) => ({ ok: true, f, evaluations });
  const fallback = () => {
    if (!best) return { ok: false, f: f0, evaluations };
    const b = best as { a: number; f: number; g: Float64Array };
    for (let i = 0; i < x.length; i++) xt[i] = x[i] + b.a * d[i];
    gt.set(b.g);
    return { ok: true, f: b.f, evaluations };
  };

  const zoom = async (lo: { a: number; f: number; dg: number }, hi: { a: number; f: number; dg: number }) => {
    while (evaluations < maxEval) {
      const a = cubicMin(lo, hi);
      const t = await evalAt(a);
      if (!Number.isFinite(t.f) || t.f > f0 + c1 * a * dg0 || t.f >= lo.f) hi = { a, ...t };
      else {
        if (Math.abs(t.dg) <= -c2 * dg0) return accept(t.f);
        if (t.dg * (hi.a - lo.a) >= 0) hi = lo;
        lo = { a, ...t };
      }
      if (Math.abs(hi.a - lo.a) <= 1e-16 * Math.max(1, Math.abs(lo.a))) break;
    }
    return fallback();
  };

  let prev = { a: 0, f: f0, dg: dg0 };
  let a = a1;
  while (evaluations < maxEval) {
    const t = await evalAt(a);
    const cur = { a, ...t };
    if (!Number.isFinite(t.f)) {
      // Overflow far along d: come back towards x.
      a = prev.a + (a - prev.a) / 10;
      continue;
    }
    if (t.f > f0 + c1 * a * dg0 || (evaluations > 1 && t.f >= prev.f)) return zoom(prev, cur);
    if (Math.abs(t.dg) <= -c2 * dg0) return accept(t.f);
    if (t.dg >= 0) return zoom(cur, prev);
    prev = cur;
    a *= 4;
  }
  return fallback();
}

/** Minimiser of the cubic through two points with their slopes, kept inside the middle 80% of the bracket. */
function cubicMin(lo: { a: number; f: number; dg: number }, hi: { a: number; f: number; dg: number }): number {
  const lower = Math.min(lo.a, hi.a);
  const upper = Math.max(lo.a, hi.a);
  const w = upper - lower;
  const d1 = lo.dg + hi.dg - (3 * (lo.f - hi.f)) / (lo.a - hi.a);
  const disc = d1 * d1 - lo.dg * hi.dg;
  let a = NaN;
  if (disc >= 0 && Number.isFinite(hi.f)) {
    const d2 = Math.sign(hi.a - lo.a) * Math.sqrt(disc);
    a = hi.a - (hi.a - lo.a) * ((hi.dg + d2 - d1) / (hi.dg - lo.dg + 2 * d2));
  }
  if (!Number.isFinite(a) || a < lower + 0.1 * w || a > upper - 0.1 * w) a = (lo.a + hi.a) / 2;
  return a;
}
