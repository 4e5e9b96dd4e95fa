// Logistic regression on the worker pool gives the bits of one thread: L-BFGS (full-batch row
// blocks) and mini-batch SGD (a batch's rows in blocks), one-vs-rest and multinomial, run inline,
// on 2 and 3 worker_threads sharing memory and on 2 that get copies; cancel stops the training.
import { afterAll, describe, expect, it } from 'vitest';
import { fitLogisticRegression, type LogRegParams } from '../src/analysis/logistic-regression.ts';
import { GRADIENT_BLOCK } from '../src/analysis/logreg-gradient.ts';
import { nodePool } from '../src/analysis/pool-node.ts';
import { CancelledError } from '../src/io/errors.ts';
import type { WorkerPool } from '../src/parallel/pool.ts';
import { synthetic } from './logreg-fixture.ts';

const pools: (WorkerPool | null)[] = [null, nodePool(2), nodePool(3), nodePool(2, false)];
afterAll(() => pools.forEach((p) => p?.terminate()));

const bytes = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

describe('logistic regression: identical models for 1, 2 and 3 workers, shared or copied memory', () => {
  // 5,000 cells: three row blocks of GRADIENT_BLOCK.
  const { x, y } = synthetic(5000, 60, 4);
  const classes = ['a', 'b', 'c', 'd'];
  const genes = Array.from({ length: 60 }, (_, j) => `g${j}`);
  const base: LogRegParams = { multiClass: 'ovr', C: 1, solver: 'lbfgs', featureSelection: false, topGenes: 300, seed: 3, maxIter: 25 };

  it.each([
    ['L-BFGS, one-vs-rest', { multiClass: 'ovr' }],
    ['L-BFGS, multinomial', { multiClass: 'multinomial' }],
    ['mini-batch SGD, one-vs-rest', { solver: 'sgd', batchSize: 700, maxIter: 3 }],
    ['mini-batch SGD, multinomial', { solver: 'sgd', multiClass: 'multinomial', batchSize: 700, maxIter: 3 }],
  ] as const)('%s', async (_, over) => {
    expect(x.nRows).toBeGreaterThan(2 * GRADIENT_BLOCK);
    const runs = [];
    for (const pool of pools) runs.push(await fitLogisticRegression(x, y, classes, genes, { ...base, ...over }, { pool }));
    for (const r of runs.slice(1)) {
      expect(bytes(r.model.coef).equals(bytes(runs[0].model.coef))).toBe(true);
      expect(bytes(r.model.intercept).equals(bytes(runs[0].model.intercept))).toBe(true);
      expect(r.report.objective).toBe(runs[0].report.objective);
      expect(r.report.iterations).toBe(runs[0].report.iterations);
    }
  }, 120_000);

  it('cancel stops the workers, and the pool trains again afterwards', async () => {
    const pool = pools[1]!;
    const ctl = new AbortController();
    const run = fitLogisticRegression(x, y, classes, genes, { ...base, maxIter: 1000 }, { pool, signal: ctl.signal, onProgress: (_, m) => /iteration 2/.test(m) && ctl.abort() });
    await expect(run).rejects.toBeInstanceOf(CancelledError);
    const again = await fitLogisticRegression(x, y, classes, genes, { ...base, maxIter: 3 }, { pool });
    const inline = await fitLogisticRegression(x, y, classes, genes, { ...base, maxIter: 3 });
    expect(bytes(again.model.coef).equals(bytes(inline.model.coef))).toBe(true);
  }, 60_000);
});
