// Leiden on the pool's spare worker (beside UMAP's epochs in the pipeline) gives the labels,
// quality and passes of Leiden here, reports its progress from there, and stops on cancel.
import { afterAll, describe, expect, it } from 'vitest';
import { leiden } from '../src/analysis/leiden.ts';
import { leidenBeside } from '../src/analysis/leiden-pool.ts';
import { nodePool } from '../src/analysis/pool-node.ts';
import { CancelledError } from '../src/io/errors.ts';
import { shared } from './helpers.ts';
import { readStoredGraph } from './graph-helpers.ts';

const pool = nodePool(2)!;
const copying = nodePool(2, false)!;
afterAll(() => {
  pool.terminate();
  copying.terminate();
});

describe('Leiden beside the pool', () => {
  it('the same labels, quality and passes as here, with progress from the spare worker', async () => {
    const g = await readStoredGraph(shared('data/pbmc68k_reduced.h5ad'));
    const here = await leiden(g, { resolution: 1, seed: 0 });
    const messages: string[] = [];
    const fractions: number[] = [];
    const there = await leidenBeside(pool, g, { resolution: 1, seed: 0, minNodes: 0, onProgress: (f, m) => (fractions.push(f), messages.push(m)) });
    expect(Buffer.from(there.labels.buffer).equals(Buffer.from(here.labels.buffer))).toBe(true);
    expect(there.quality).toBe(here.quality);
    expect(there.passes).toBe(here.passes);
    expect(there.nClusters).toBe(here.nClusters);
    // The spare worker ran it (the pool's own workers never started) and said how far it was.
    expect(pool.started).toBe(0);
    expect(pool.spare().started).toBe(1);
    expect(messages.length).toBeGreaterThan(0);
    expect(messages[0]).toMatch(/^leiden: pass 1, level 1/);
    expect(fractions.every((f, i) => i === 0 || f >= fractions[i - 1])).toBe(true);
    // Memory that cannot be shared: run here, same result.
    const copied = await leidenBeside(copying, g, { resolution: 1, seed: 0, minNodes: 0 });
    expect(Buffer.from(copied.labels.buffer).equals(Buffer.from(here.labels.buffer))).toBe(true);
    expect(copying.spare().started).toBe(0);
    // A graph below LEIDEN_BESIDE_MIN nodes (700 here) is clustered here: no worker starts for it.
    const fresh = nodePool(2)!;
    const small = await leidenBeside(fresh, g, { resolution: 1, seed: 0 });
    expect(Buffer.from(small.labels.buffer).equals(Buffer.from(here.labels.buffer))).toBe(true);
    expect(fresh.spare().started).toBe(0);
    fresh.terminate();
  });

  it('cancel stops the spare worker, and the next run starts a fresh one', async () => {
    const g = await readStoredGraph(shared('data/pbmc68k_reduced.h5ad'));
    const ac = new AbortController();
    const run = leidenBeside(pool, g, { seed: 1, minNodes: 0, signal: ac.signal, onProgress: () => ac.abort() });
    await expect(run).rejects.toBeInstanceOf(CancelledError);
    const again = await leidenBeside(pool, g, { seed: 1, minNodes: 0 });
    expect(pool.spare().started).toBe(1);
    const here = await leiden(g, { seed: 1 });
    expect(Buffer.from(again.labels.buffer).equals(Buffer.from(here.labels.buffer))).toBe(true);
  });
});
