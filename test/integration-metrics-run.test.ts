// The worker's metrics (blocks of cells, progress, Cancel) give integrationMetrics' numbers bit for
// bit, inline and on a pool of 3; and the before/after comparison on a pipeline run.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { integrationMetrics, type Labels } from '../src/analysis/integration-metrics.ts';
import { integrationMetricsAsync } from '../src/analysis/integration-metrics-run.ts';
import { nodePool } from '../src/analysis/pool-node.ts';
import { CancelledError } from '../src/io/errors.ts';
import { parseNpy } from '../src/io/npy.ts';
import { shared } from './helpers.ts';

const FIX = (f: string) => shared('fixtures/harmony', f);

function fixture() {
  const pcs = parseNpy(readFileSync(FIX('pcs.npy')));
  const rows = readFileSync(FIX('meta.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
  const cat = (vals: string[]): Labels => {
    const categories = [...new Set(vals)].sort();
    return { codes: Int32Array.from(vals, (v) => categories.indexOf(v)), categories };
  };
  return { x: pcs.data as Float32Array, n: pcs.shape[0], d: pcs.shape[1], batch: cat(rows.map((r) => r[1])), label: cat(rows.map((r) => r[2])) };
}

const bits = (a: ArrayLike<number> | null, b: ArrayLike<number> | null) => (a && b ? Buffer.from(Float64Array.from(a).buffer).equals(Buffer.from(Float64Array.from(b).buffer)) : a === b);

describe('integrationMetricsAsync', () => {
  it('equals integrationMetrics bit for bit, inline and on a pool of 3, with progress', async () => {
    const { x, n, d, batch, label } = fixture();
    const want = await integrationMetrics(x, n, d, batch, label);
    const fractions: number[] = [];
    const inline = await integrationMetricsAsync(x, n, d, batch, label, { onProgress: (f) => fractions.push(f) });
    const pool = nodePool(3);
    let pooled;
    try {
      pooled = await integrationMetricsAsync(x, n, d, batch, label, { pool });
    } finally {
      pool?.terminate();
    }
    for (const got of [inline, pooled]) {
      expect(bits(got.iLisi, want.iLisi)).toBe(true);
      expect(bits(got.cLisi, want.cLisi)).toBe(true);
      expect([got.batchAsw, got.labelAsw, got.graphConnectivity, got.iLisiMedian, got.cLisiMedian]).toEqual([want.batchAsw, want.labelAsw, want.graphConnectivity, want.iLisiMedian, want.cLisiMedian]);
    }
    expect(fractions.length).toBeGreaterThan(3);
    expect(fractions.every((f, i) => f >= 0 && f <= 1 && (i === 0 || f >= fractions[i - 1]))).toBe(true);
    // Without labels: batch ASW over all cells as one group.
    const noLabel = await integrationMetricsAsync(x, n, d, batch, null);
    expect(noLabel.batchAsw).toBe((await integrationMetrics(x, n, d, batch, null)).batchAsw);
    expect(noLabel.cLisi).toBeNull();
  }, 60_000);

  it('stops with a CancelledError when the signal aborts mid-way', async () => {
    const { x, n, d, batch, label } = fixture();
    const ctl = new AbortController();
    const run = integrationMetricsAsync(x, n, d, batch, label, { signal: ctl.signal, onProgress: (f) => f > 0.1 && ctl.abort() });
    await expect(run).rejects.toBeInstanceOf(CancelledError);
  }, 60_000);
});
