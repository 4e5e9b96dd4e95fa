// With a pool sharing memory, Leiden runs on a spare worker while the pool runs UMAP's epochs:
// the same bits as one thread, a Leiden-only change recomputes Leiden (beside nothing) and the
// markers, and a cancel during the two stops both and leaves the pool usable.
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_PARAMS, Pipeline, type StepEvent } from '../src/analysis/pipeline.ts';
import { nodePool } from '../src/analysis/pool-node.ts';
import { CancelledError } from '../src/io/errors.ts';
import { openPaths } from '../src/io/node.ts';
import { shared } from './helpers.ts';

const pool = nodePool(2)!;
afterAll(() => pool.terminate());
const params = { ...DEFAULT_PARAMS, device: 'cpu' as const };
const same = (a: ArrayBufferView, b: ArrayBufferView) => expect(Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength))).toBe(true);

describe('pipeline: Leiden beside UMAP', () => {
  it('gives one thread\'s bits, and both steps run at once on the spare worker and the pool', async () => {
    const ds = await openPaths([shared('data/pbmc68k_reduced_with_counts.h5ad')]);
    const one = await new Pipeline(ds).run(params);
    const events: StepEvent[] = [];
    const p = new Pipeline(ds);
    // The demo's 700 cells are below LEIDEN_BESIDE_MIN: lowered so the branch runs here.
    const two = await p.run(params, { pool, leidenBesideMin: 0, onStep: (e) => events.push(e) });
    same(two.leiden, one.leiden);
    same(two.umap, one.umap);
    expect(two.markers.map((m) => m.order.slice(0, 10))).toEqual(one.markers.map((m) => m.order.slice(0, 10)));
    expect(pool.spare().started).toBe(1);
    // UMAP started before Leiden finished: the two overlapped.
    const at = (step: string, state: string) => events.findIndex((e) => e.step === step && e.state === state);
    expect(at('umap', 'running')).toBeLessThan(at('leiden', 'done'));
    expect(at('markers', 'running')).toBeGreaterThan(Math.max(at('leiden', 'done'), at('umap', 'done')));
    // A resolution change: Leiden again (UMAP cached), then the markers.
    events.length = 0;
    const r2 = await p.run({ ...params, leiden: { resolution: 0.5, seed: 0 } }, { pool, leidenBesideMin: 0, onStep: (e) => events.push(e) });
    expect(events.filter((e) => e.state === 'done').map((e) => e.step)).toEqual(['leiden', 'markers']);
    expect(events.some((e) => e.step === 'umap' && e.state === 'cached')).toBe(true);
    const r2one = await new Pipeline(ds).run({ ...params, leiden: { resolution: 0.5, seed: 0 } });
    same(r2.leiden, r2one.leiden);
    ds.close();
  });

  it('a cancel while both run stops both; the pool runs the next analysis', async () => {
    const ds = await openPaths([shared('data/pbmc68k_reduced_with_counts.h5ad')]);
    const ac = new AbortController();
    const p = new Pipeline(ds);
    const run = p.run(params, { pool, leidenBesideMin: 0, signal: ac.signal, onStep: (e) => e.step === 'umap' && e.state === 'running' && ac.abort() });
    await expect(run).rejects.toBeInstanceOf(CancelledError);
    const again = await p.run(params, { pool, leidenBesideMin: 0 });
    const one = await new Pipeline(ds).run(params);
    same(again.leiden, one.leiden);
    same(again.umap, one.umap);
    ds.close();
  });
});
