// L2-penalised logistic regression on log1p(CP10k) expression, trained as CellTypist trains its
// models: genes without any count in the training cells dropped, StandardScaler (population
// standard deviation, 1 where it is 0), scaled values above 10 set to 10, then scikit-learn's
// LogisticRegression objective, summed log-loss + ||W||^2 / (2C) with the intercepts unpenalised,
// one-vs-rest (CellTypist's) or multinomial. Up to SGD_ABOVE cells it is solved by full-batch
// L-BFGS to sklearn's solution; above, by mini-batch SGD (CellTypist's use_SGD) on the same
// objective, with sklearn SGDClassifier's early stopping. Optional feature selection as
// CellTypist's: a first fit, the `topGenes` genes of largest |coefficient| per class, their union,
// a second fit. The result is a LinearAnnotator, the shape a CellTypist .pkl holds.
import type { CsrArrays } from '../io/csr.ts';
import { CancelledError } from '../io/errors.ts';
import { mulberry32 } from '../model/random.ts';
import type { WorkerPool } from '../parallel/pool.ts';
import { lbfgs } from './lbfgs.ts';
import type { LinearAnnotator } from './linear-annotator.ts';
import { chooseEngine, type LogRegGpu } from './logreg-engine.ts';
import { GradientJob, type GradientEngine, type ScaledRows } from './logreg-gradient.ts';

export type MultiClass = 'ovr' | 'multinomial';
export type Solver = 'auto' | 'lbfgs' | 'sgd';

export interface LogRegParams {
  multiClass: MultiClass;
  /** Inverse of the L2 strength, sklearn's C. */
  C: number;
  /** 'auto': L-BFGS up to SGD_ABOVE training cells, mini-batch SGD above. */
  solver: Solver;
  featureSelection: boolean;
  /** Genes kept per class by feature selection (CellTypist's top_genes). */
  topGenes: number;
  seed: number;
  /** L-BFGS iterations (CellTypist's max_iter for < 50k cells: 1000) or SGD epochs (100). */
  maxIter?: number;
  /** L-BFGS: largest gradient entry at convergence (sklearn's tol). */
  tol?: number;
  /** L-BFGS: relative decrease of the objective at convergence (scipy's default, 2.2e-9). */
  ftol?: number;
  /** SGD cells per mini-batch (CellTypist's batch_size). */
  batchSize?: number;
}

/**
 * Multinomial by default: on bench/annotate.ts's four labelled sets it is as accurate as
 * CellTypist's one-vs-rest (mean accuracy 0.815 vs 0.813) with a lower ECE (bench/RESULTS.md).
 */
export const DEFAULT_LOGREG: LogRegParams = { multiClass: 'multinomial', C: 1, solver: 'auto', featureSelection: false, topGenes: 300, seed: 0 };

/** Training cells above which 'auto' trains by mini-batch SGD. */
export const SGD_ABOVE = 100_000;
/** CellTypist's clip of scaled values. */
export const CLIP = 10;

export interface FitOptions {
  /**
   * A model of the same classes to start from (warm start), e.g. the fit on 90% of the same
   * reference: its coefficients for the genes both share, zero for the others. The solution is the
   * same objective's minimum; only the iterations to reach it change.
   */
  init?: LinearAnnotator;
  pool?: WorkerPool | null;
  /** A GPU the caller set up for tfjs (logreg-engine.ts decides whether the gradient goes there). */
  gpu?: LogRegGpu | null;
  /** Why there is no GPU, for the report (logRegGpu's detail). */
  noGpu?: string;
  signal?: AbortSignal;
  onProgress?: (fraction: number, message: string) => void;
}

export interface FitReport {
  solver: 'lbfgs' | 'sgd';
  /** L-BFGS iterations or SGD epochs (of the last fit, with feature selection). */
  iterations: number;
  converged: boolean;
  message: string;
  /** Summed log-loss + penalty at the solution (SGD: the same objective, evaluated over all rows). */
  objective: number;
  nCells: number;
  /** Genes with counts in the training cells (the first fit's features). */
  nGenes: number;
  /** Genes the model uses (after feature selection). */
  nFeatures: number;
  featureSelection: string | null;
  seconds: number;
  /** Where the gradient ran (of the last fit): 'webgpu' (float32, finished in float64 on the CPU) or 'cpu'. */
  device: 'webgpu' | 'cpu';
  /** The engine in words, and why it was chosen. */
  engine: string;
}

/** A matrix's columns kept (keep[j] = new index, -1 dropped), entries renumbered. */
export function selectColumns(x: CsrArrays, keep: Int32Array, nCols: number): CsrArrays {
  let nnz = 0;
  for (let a = 0; a < x.indices.length; a++) if (keep[x.indices[a]] >= 0) nnz++;
  const indptr = new Float64Array(x.nRows + 1);
  const indices = new Uint32Array(nnz);
  const data = x.data instanceof Float64Array ? new Float64Array(nnz) : new Float32Array(nnz);
  let at = 0;
  for (let i = 0; i < x.nRows; i++) {
    for (let a = x.indptr[i]; a < x.indptr[i + 1]; a++) {
      const j = keep[x.indices[a]];
      if (j < 0) continue;
      indices[at] = j;
      data[at++] = x.data[a];
    }
    indptr[i + 1] = at;
  }
  return { nRows: x.nRows, nCols, indptr, indices, data };
}

/** StandardScaler(with_mean=True).fit: mean and population standard deviation per column (1 where 0), two passes for precision. */
export function standardScaler(x: CsrArrays): { mean: Float64Array; scale: Float64Array } {
  const n = x.nRows;
  const p = x.nCols;
  const sum = new Float64Array(p);
  const stored = new Float64Array(p);
  for (let a = 0; a < x.indices.length; a++) {
    sum[x.indices[a]] += x.data[a];
    stored[x.indices[a]]++;
  }
  const mean = sum.map((s) => s / n);
  const ss = new Float64Array(p);
  for (let a = 0; a < x.indices.length; a++) {
    const d = x.data[a] - mean[x.indices[a]];
    ss[x.indices[a]] += d * d;
  }
  const scale = new Float64Array(p);
  for (let j = 0; j < p; j++) {
    const v = (ss[j] + (n - stored[j]) * mean[j] * mean[j]) / n;
    scale[j] = v > 0 ? Math.sqrt(v) : 1;
  }
  return { mean, scale };
}

/**
 * Trains on `x` (training cells x candidate genes, log1p(CP10k) as float), `y` codes into
 * `classes`, `genes` naming x's columns. Every class must have a cell in `y`.
 */
export async function fitLogisticRegression(x: CsrArrays, y: Int32Array, classes: string[], genes: string[], params: LogRegParams, opts: FitOptions = {}): Promise<{ model: LinearAnnotator; report: FitReport }> {
  const t0 = performance.now();
  const K = classes.length;
  if (K < 2) throw new Error(`logistic regression needs at least 2 classes, got ${K}`);
  if (!(params.C > 0)) throw new Error(`C must be positive, got ${params.C}`);
  // CellTypist drops genes without a count in the training data.
  const keep = new Int32Array(x.nCols).fill(-1);
  for (let a = 0; a < x.indices.length; a++) if (x.data[a] !== 0) keep[x.indices[a]] = 0;
  let nGenes = 0;
  for (let j = 0; j < x.nCols; j++) if (keep[j] === 0) keep[j] = nGenes++;
  if (nGenes === 0) throw new Error('no gene has a count in the training cells');
  const x1 = nGenes === x.nCols ? x : selectColumns(x, keep, nGenes);
  const genes1 = genes.filter((_, j) => keep[j] >= 0);
  const { mean, scale } = standardScaler(x1);
  const solver = params.solver === 'auto' ? (x.nRows > SGD_ABOVE ? 'sgd' : 'lbfgs') : params.solver;
  const fs = params.featureSelection && nGenes > params.topGenes;
  const stage = (a: number, b: number): FitOptions => ({ ...opts, onProgress: (f, m) => opts.onProgress?.(a + (b - a) * f, m) });

  let fit = await solve({ x: x1, y, nClasses: K, mean, scale, clip: CLIP }, params, solver, fs ? stage(0, 0.5) : opts, warmStart(opts.init, genes1, classes));
  let features = genes1;
  let fMean = mean;
  let fScale = scale;
  let note: string | null = params.featureSelection ? `all ${nGenes} genes kept: no more than top_genes (${params.topGenes})` : null;
  if (fs) {
    const chosen = topGenesPerClass(fit.theta, nGenes, K, params.topGenes);
    const keep2 = new Int32Array(nGenes).fill(-1);
    chosen.forEach((j, i) => (keep2[j] = i));
    const x2 = selectColumns(x1, keep2, chosen.length);
    fMean = Float64Array.from(chosen, (j) => mean[j]);
    fScale = Float64Array.from(chosen, (j) => scale[j]);
    features = Array.from(chosen, (j) => genes1[j]);
    note = `${chosen.length} of ${nGenes} genes: the top ${params.topGenes} by |coefficient| per class of a first fit, united`;
    fit = await solve({ x: x2, y, nClasses: K, mean: fMean, scale: fScale, clip: CLIP }, params, solver, stage(0.5, 1), warmStart(opts.init, features, classes));
  }
  const p = features.length;
  const coef = new Float64Array(K * p);
  for (let j = 0; j < p; j++) for (let c = 0; c < K; c++) coef[c * p + j] = fit.theta[j * K + c];
  const intercept = fit.theta.slice(p * K, p * K + K);
  if (K === 2) {
    // Two classes: the rows are opposite at the optimum (OvR's two problems mirror each other, a
    // multinomial fit's rows sum to zero); made exactly so, the model has sklearn's one-row binary
    // form, which a CellTypist .pkl stores.
    for (let j = 0; j < p; j++) {
      const w = (coef[p + j] - coef[j]) / 2;
      coef[p + j] = w;
      coef[j] = -w;
    }
    const b = (intercept[1] - intercept[0]) / 2;
    intercept[1] = b;
    intercept[0] = -b;
  }
  const seconds = (performance.now() - t0) / 1000;
  const model: LinearAnnotator = {
    features,
    classes: [...classes],
    coef,
    intercept,
    scalerMean: fMean,
    scalerScale: fScale,
    clip: CLIP,
    multiClass: params.multiClass,
    temperature: 1,
    description: {
      details: `scWeb logistic regression (${params.multiClass === 'ovr' ? 'one-vs-rest' : 'multinomial'}, C=${params.C}, ${solver === 'lbfgs' ? 'L-BFGS' : 'mini-batch SGD'}) on ${x.nRows} cells`,
      number_celltypes: String(K),
      date: new Date().toISOString(),
    },
  };
  return {
    model,
    report: { solver, iterations: fit.iterations, converged: fit.converged, message: fit.message, objective: fit.objective, nCells: x.nRows, nGenes, nFeatures: p, featureSelection: note, seconds, device: fit.device, engine: fit.engine },
  };
}

interface Solution {
  theta: Float64Array;
  iterations: number;
  converged: boolean;
  message: string;
  objective: number;
}

/** theta ([genes x K] then K intercepts) from `init`'s coefficients for `genes`, or null. */
function warmStart(init: LinearAnnotator | undefined, genes: string[], classes: string[]): Float64Array | null {
  if (!init) return null;
  const K = classes.length;
  if (init.classes.length !== K || init.classes.some((c, i) => c !== classes[i])) throw new Error('a warm start needs a model of the same classes in the same order');
  const pi = init.features.length;
  const at = new Map(init.features.map((g, j) => [g, j]));
  const theta = new Float64Array(genes.length * K + K);
  genes.forEach((g, j) => {
    const ji = at.get(g);
    if (ji !== undefined) for (let c = 0; c < K; c++) theta[j * K + c] = init.coef[c * pi + ji];
  });
  theta.set(init.intercept, genes.length * K);
  return theta;
}

async function solve(rows: ScaledRows, params: LogRegParams, solver: 'lbfgs' | 'sgd', opts: FitOptions, theta0: Float64Array | null): Promise<Solution & { device: 'webgpu' | 'cpu'; engine: string }> {
  const multinomial = params.multiClass === 'multinomial';
  const { nRows: n, nCols: p } = rows.x;
  const K = rows.nClasses;
  const threads = opts.pool && opts.pool.size > 1 ? `${opts.pool.size} threads` : '1 thread';
  const cpuName = `CPU (${threads}, float64)`;
  const choice = chooseEngine(n, p, K, solver, opts.gpu, opts.noGpu);
  let engine: GradientEngine;
  let name = cpuName;
  if (choice.kind === 'webgpu') {
    // Loaded here, not at the top: tfjs stays out of the CPU-only paths (and the pool's workers).
    const { WebGpuGradient } = await import('./logreg-webgpu.ts');
    engine = await WebGpuGradient.create(rows, multinomial, { resident: solver === 'lbfgs', signal: opts.signal, onProgress: (_, m) => opts.onProgress?.(0, m), backend: opts.gpu!.backend });
    const where = opts.gpu!.backend === 'cpu' ? "tfjs's CPU backend (float32)" : `WebGPU (${opts.gpu!.adapter}; tfjs, float32)`;
    name = `${where}, ${solver === 'lbfgs' ? `finished on the ${cpuName}` : `objective on the ${cpuName}`}`;
  } else engine = new GradientJob(rows, multinomial, opts.pool);
  const start = theta0 ?? new Float64Array(p * K + K);
  try {
    const r = solver === 'lbfgs' ? await solveLbfgs(engine, rows, params, opts, start) : await solveSgd(engine, rows, params, opts, start);
    return { ...r, device: choice.kind, engine: `${name}: ${choice.reason}` };
  } finally {
    engine.close();
  }
}

/**
 * An await that lets the event loop run (a worker's cancel message) at most every `ms`: evaluations
 * on small data finish in microtasks, which alone would keep a cancel out until the fit ends.
 */
function yielder(ms = 100): () => Promise<void> {
  let last = performance.now();
  return async () => {
    if (performance.now() - last < ms) return;
    await new Promise((r) => setTimeout(r, 0));
    last = performance.now();
  };
}

/** sum-of-losses + ||W||^2 / (2C) and its gradient (intercepts unpenalised). */
function penalised(job: GradientEngine, p: number, K: number, C: number, run: Parameters<GradientEngine['evaluate']>[3]) {
  const pause = yielder();
  return async (theta: Float64Array, g: Float64Array) => {
    await pause();
    let f = await job.evaluate(theta, g, null, run);
    for (let i = 0; i < p * K; i++) {
      f += (0.5 / C) * theta[i] * theta[i];
      g[i] += theta[i] / C;
    }
    return f;
  };
}

async function solveLbfgs(job: GradientEngine, rows: ScaledRows, params: LogRegParams, opts: FitOptions, start: Float64Array): Promise<Solution> {
  const p = rows.x.nCols;
  const K = rows.nClasses;
  const maxIter = params.maxIter ?? 1000;
  let iteration = 0;
  let last = 0;
  let where = job.precision === 'float32' ? ' on the GPU' : '';
  const run = {
    signal: opts.signal,
    // Progress inside an evaluation too: one evaluation over many cells can take seconds.
    onBlock: (done: number, total: number) => {
      const now = performance.now();
      if (now - last < 200) return;
      last = now;
      opts.onProgress?.(Math.min(0.99, (iteration + done / total) / maxIter), `logistic regression (L-BFGS${where}): iteration ${iteration + 1}, ${done}/${total} blocks`);
    },
  };
  const lbfgsOpts = (first: number, iterations: number) => ({
    maxIter: iterations,
    gtol: params.tol ?? 1e-4,
    ftol: params.ftol,
    signal: opts.signal,
    onIteration: (it: number, f: number, gmax: number) => {
      iteration = first + it;
      last = performance.now();
      opts.onProgress?.(Math.min(0.99, iteration / maxIter), `logistic regression (L-BFGS${where}): iteration ${iteration}, objective ${f.toPrecision(6)}, largest gradient ${gmax.toExponential(2)}`);
    },
  });
  const r = await lbfgs(start, penalised(job, p, K, params.C, run), lbfgsOpts(0, maxIter));
  if (job.precision === 'float64') return { theta: r.x, iterations: r.iterations, converged: r.converged, message: r.message, objective: r.f };
  // Float32 sums carry noise near 1e-7 of the objective: L-BFGS on them stops (often in the line
  // search) short of scipy's float64 tolerances, or meets them on noisy values. The CPU pool takes
  // it from there in float64, with the GPU run's correction pairs, to the same stopping rules as a
  // CPU fit: a few iterations, as the GPU did the descent.
  where = ', float64 finish on the CPU';
  const cpu = new GradientJob(rows, params.multiClass === 'multinomial', opts.pool);
  try {
    const r2 = await lbfgs(r.x, penalised(cpu, p, K, params.C, run), { ...lbfgsOpts(r.iterations, Math.max(1, maxIter - r.iterations)), pairs: r.pairs });
    return {
      theta: r2.x,
      iterations: r.iterations + r2.iterations,
      converged: r2.converged,
      message: `${r2.message}; ${r.iterations} iterations in float32 on the GPU (${r.message}), ${r2.iterations} in float64 on the CPU`,
      objective: r2.f,
    };
  } finally {
    cpu.close();
  }
}

/** sklearn SGDClassifier's defaults for early stopping on the training loss. */
const SGD_TOL = 1e-3;
const SGD_NO_CHANGE = 5;

/**
 * Mini-batch SGD on mean log-loss + alpha ||W||^2 / 2 with alpha = 1 / (C n), the same minimiser
 * as the L-BFGS objective. Step eta_t = eta0 / (1 + alpha eta0 t) (sklearn's 'optimal' schedule,
 * t counting cells seen) with eta0 = 1 / L, L the loss's curvature bound estimated at zero by
 * power iteration on a sample; epochs until the epoch's mean loss has not improved by SGD_TOL for
 * SGD_NO_CHANGE epochs (sklearn's tol and n_iter_no_change) or maxIter epochs.
 */
async function solveSgd(job: GradientEngine, rows: ScaledRows, params: LogRegParams, opts: FitOptions, start: Float64Array): Promise<Solution> {
  const n = rows.x.nRows;
  const rand = mulberry32(params.seed ^ 0x5eed);
  const order = Int32Array.from({ length: n }, (_, i) => i);
  shuffle(order, rand);
  // The step size and the final objective in float64 on the CPU pool whichever engine trains: the
  // curvature is a finite difference of gradients, where float32 loses three digits (a sample of
  // 4,096 cells); the objective is one pass.
  const exact = job.precision === 'float64' ? job : new GradientJob(rows, params.multiClass === 'multinomial', opts.pool);
  try {
    return await sgdEpochs(job, exact, rows, params, opts, start, order, rand);
  } finally {
    if (exact !== job) exact.close();
  }
}

async function sgdEpochs(job: GradientEngine, exact: GradientEngine, rows: ScaledRows, params: LogRegParams, opts: FitOptions, start: Float64Array, order: Int32Array, rand: () => number): Promise<Solution> {
  const n = rows.x.nRows;
  const p = rows.x.nCols;
  const K = rows.nClasses;
  const P = p * K + K;
  const B = Math.min(n, params.batchSize ?? 1000);
  const maxEpochs = params.maxIter ?? 100;
  const alpha = 1 / (params.C * n);
  const L = await curvatureAtZero(exact, order.subarray(0, Math.min(n, 4096)), P, params.multiClass === 'multinomial' ? K / 2 : 1, opts.signal);
  const eta0 = 1 / (L + alpha);
  const theta = Float64Array.from(start);
  const g = new Float64Array(P);
  let t = 0;
  let best = Infinity;
  let stale = 0;
  let epoch: number;
  let converged = false;
  const nBatches = Math.ceil(n / B);
  let last = 0;
  const pause = yielder();
  for (epoch = 1; epoch <= maxEpochs; epoch++) {
    shuffle(order, rand);
    let lossSum = 0;
    for (let b = 0; b < nBatches; b++) {
      await pause();
      if (opts.signal?.aborted) throw new CancelledError('logistic regression');
      const batch = order.subarray(b * B, Math.min(n, (b + 1) * B));
      const loss = await job.evaluate(theta, g, batch, { signal: opts.signal });
      lossSum += loss;
      const eta = eta0 / (1 + alpha * eta0 * t);
      const m = batch.length;
      for (let i = 0; i < p * K; i++) theta[i] -= eta * (g[i] / m + alpha * theta[i]);
      for (let i = p * K; i < P; i++) theta[i] -= eta * (g[i] / m);
      t += m;
      const now = performance.now();
      if (now - last > 200) {
        last = now;
        opts.onProgress?.(Math.min(0.99, (epoch - 1 + (b + 1) / nBatches) / maxEpochs), `logistic regression (SGD): epoch ${epoch}, batch ${b + 1}/${nBatches}`);
      }
    }
    const mean = lossSum / n;
    if (mean > best - SGD_TOL) stale++;
    else stale = 0;
    best = Math.min(best, mean);
    if (stale >= SGD_NO_CHANGE) {
      converged = true;
      break;
    }
  }
  // The objective at the end, over every row, comparable with L-BFGS's.
  const objective = await penalised(exact, p, K, params.C, { signal: opts.signal })(theta, g);
  const epochs = Math.min(epoch, maxEpochs);
  return { theta, iterations: epochs, converged, message: converged ? `training loss improved by less than ${SGD_TOL} for ${SGD_NO_CHANGE} epochs` : `stopped after ${maxEpochs} epochs`, objective };
}

/**
 * Largest eigenvalue of the mean loss's Hessian at zero over `rows` (power iteration on finite
 * differences of the gradient), times `factor` (the curvature elsewhere is at most that much more).
 */
async function curvatureAtZero(job: GradientEngine, rows: Int32Array, P: number, factor: number, signal?: AbortSignal): Promise<number> {
  const rand = mulberry32(0x9e3779b9);
  let v = Float64Array.from({ length: P }, () => rand() - 0.5);
  const g0 = new Float64Array(P);
  const g1 = new Float64Array(P);
  await job.evaluate(new Float64Array(P), g0, rows, { signal });
  const eps = 1e-4;
  let lambda = 0;
  for (let it = 0; it < 15; it++) {
    const norm = Math.sqrt(v.reduce((s, a) => s + a * a, 0));
    for (let i = 0; i < P; i++) v[i] /= norm;
    await job.evaluate(v.map((a) => a * eps), g1, rows, { signal });
    const hv = new Float64Array(P);
    for (let i = 0; i < P; i++) hv[i] = (g1[i] - g0[i]) / (eps * rows.length);
    lambda = Math.sqrt(hv.reduce((s, a) => s + a * a, 0));
    v = hv;
    if (lambda === 0) break;
  }
  return Math.max(lambda * factor, 1e-12);
}

function shuffle(a: Int32Array, rand: () => number): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const t = a[i];
    a[i] = a[j];
    a[j] = t;
  }
}

/** Union of each class's `top` features by |coefficient|, ascending (numpy's argpartition + unique; ties to the lower index). */
export function topGenesPerClass(theta: Float64Array, p: number, K: number, top: number): Int32Array {
  const chosen = new Uint8Array(p);
  const idx = Int32Array.from({ length: p }, (_, j) => j);
  for (let c = 0; c < K; c++) {
    const order = Array.from(idx).sort((a, b) => Math.abs(theta[b * K + c]) - Math.abs(theta[a * K + c]) || a - b);
    for (let i = 0; i < Math.min(top, p); i++) chosen[order[i]] = 1;
  }
  const out: number[] = [];
  for (let j = 0; j < p; j++) if (chosen[j]) out.push(j);
  return Int32Array.from(out);
}
