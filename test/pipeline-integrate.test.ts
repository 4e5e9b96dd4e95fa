// The pipeline with a batch key on a real file (pbmc68k's counts with a simulated batch effect,
// test/reference/batch_file.py): HVGs per batch, Harmony on X_pca with progress per iteration,
// the graph, Leiden and UMAP on X_pca_harmony; batches mix better after than before while cell
// types stay apart; each step is cached per parameter (Leiden's resolution alone does not rerun
// Harmony); Cancel stops Harmony; the same parameters give the same bits; bad batch keys are
// refused before anything is computed, naming the column, the dataset untouched.
import { describe, expect, it } from 'vitest';
import { integrationMetrics, type Labels } from '../src/analysis/integration-metrics.ts';
import { DEFAULT_PARAMS, Pipeline, type PipelineParams, type StepEvent } from '../src/analysis/pipeline.ts';
import type { BatchedHvgResult } from '../src/analysis/hvg-batch.ts';
import { CancelledError } from '../src/io/errors.ts';
import { openPaths } from '../src/io/node.ts';
import type { CategoricalColumn, Dataset } from '../src/io/types.ts';
import { batchFile } from './batch-file.ts';

const params: PipelineParams = { ...DEFAULT_PARAMS, device: 'cpu', batch: { ...DEFAULT_PARAMS.batch, keys: ['batch'] } };
const labelsOf = (ds: Dataset, name: string): Labels => {
  const c = ds.obs.columns.find((x) => x.name === name) as CategoricalColumn;
  return { codes: c.codes, categories: c.categories };
};
const bytes = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

describe('pipeline with a batch key', () => {
  it('integrates over batch: HVGs per batch, Harmony with progress, graph and UMAP on X_pca_harmony; batches mix, cell types stay apart', async () => {
    const ds = await openPaths([batchFile()]);
    const p = new Pipeline(ds);
    const events: StepEvent[] = [];
    const r = await p.run(params, { onStep: (e) => events.push(e) });
    const h = r.integration!;
    expect(h.key).toBe('X_pca_harmony');
    expect(h.rep).toBe('X_pca');
    expect(h.keys).toEqual([{ key: 'batch', batches: [expect.objectContaining({ name: 'b0' }), expect.objectContaining({ name: 'b1' }), expect.objectContaining({ name: 'b2' })] }]);
    expect(h.keys[0].batches.reduce((s, b) => s + b.cells, 0)).toBe(700);
    expect([h.coords.length, h.dim]).toEqual([700 * 50, 50]);
    expect(h.iterations).toBeGreaterThanOrEqual(1);
    expect(h.iterations).toBeLessThanOrEqual(10);
    expect(h.objective.length).toBe(h.iterations + 1);
    expect(r.neighbors.rep).toBe('X_pca_harmony');
    expect(r.umapKey).toBe('X_umap_pca_harmony');
    expect((r.hvg as BatchedHvgResult).batch.key).toBe('batch');
    // One progress event per Harmony iteration, naming it and the objective.
    const iterations = events.filter((e) => e.step === 'harmony' && e.state === 'running' && / done: objective /.test(e.message));
    expect(iterations.length).toBe(h.iterations);
    expect(iterations[0].message).toMatch(/^iteration 1\/10 done: objective \d/);
    expect(iterations.every((e, i) => e.fraction > 0 && e.fraction <= 1 && (i === 0 || e.fraction > iterations[i - 1].fraction))).toBe(true);
    // Before (X_pca) vs after (X_pca_harmony), on the file's own cell types.
    const batch = labelsOf(ds, 'batch');
    const cells = labelsOf(ds, 'bulk_labels');
    const before = await integrationMetrics(r.pca.scores, 700, r.pca.nComps, batch, cells);
    const after = await integrationMetrics(h.coords, 700, h.dim, batch, cells);
    console.log(`integrate: iLISI ${before.iLisiMedian.toFixed(2)} -> ${after.iLisiMedian.toFixed(2)} of 3, cLISI ${before.cLisiMedian!.toFixed(2)} -> ${after.cLisiMedian!.toFixed(2)}, batch ASW ${before.batchAsw.toFixed(3)} -> ${after.batchAsw.toFixed(3)}, label ASW ${before.labelAsw!.toFixed(3)} -> ${after.labelAsw!.toFixed(3)}; Harmony ${h.iterations} iterations in ${h.seconds.toFixed(2)} s`);
    expect(before.iLisiMedian).toBeLessThan(1.8);
    expect(after.iLisiMedian).toBeGreaterThan(before.iLisiMedian + 0.5);
    expect(after.cLisiMedian!).toBeLessThan(before.cLisiMedian! + 0.25);
    ds.close();
  }, 180_000);

  it('caches per parameter: the uncorrected UMAP is cached beside the integrated one, resolution reruns Leiden and markers only, theta reruns Harmony and what follows; same bits again', async () => {
    const ds = await openPaths([batchFile()]);
    const p = new Pipeline(ds);
    const r = await p.run(params);
    const done = async (q: PipelineParams) => {
      const events: StepEvent[] = [];
      await p.run(q, { onStep: (e) => events.push(e) });
      return events.filter((e) => e.state === 'done').map((e) => e.step);
    };
    // The uncorrected graph and UMAP of the same run: only neighbours and UMAP are computed.
    const events: StepEvent[] = [];
    const u = await p.uncorrectedUmap(params, { onStep: (e) => events.push(e) });
    expect(events.filter((e) => e.state === 'done').map((e) => e.step)).toEqual(['neighbors', 'umap']);
    expect(events.find((e) => e.step === 'harmony')?.state).toBe('skipped');
    expect(u.umapKey).toBe('X_umap_pca');
    expect(u.umap.length).toBe(1400);
    // Both graphs stay cached: the integrated run again computes nothing.
    expect(await done(params)).toEqual([]);
    expect(await done({ ...params, leiden: { ...params.leiden, resolution: 0.5 } })).toEqual(['leiden', 'markers']);
    expect(await done({ ...params, batch: { ...params.batch, theta: 1 } })).toEqual(['harmony', 'neighbors', 'leiden', 'umap', 'markers']);
    const again = await new Pipeline(ds).run(params);
    expect(bytes(again.integration!.coords).equals(bytes(r.integration!.coords))).toBe(true);
    expect(bytes(again.umap).equals(bytes(r.umap))).toBe(true);
    expect(Array.from(again.leiden)).toEqual(Array.from(r.leiden));
    // Without batch keys the harmony step is skipped and the graph is on X_pca.
    const plain: StepEvent[] = [];
    const r0 = await p.run({ ...params, batch: { ...params.batch, keys: [] } }, { onStep: (e) => plain.push(e) });
    expect(r0.integration).toBeNull();
    expect(r0.umapKey).toBe('X_umap_pca');
    expect(plain.find((e) => e.step === 'harmony')).toMatchObject({ state: 'skipped', message: 'no batch key' });
    ds.close();
  }, 240_000);

  it('Cancel during Harmony stops the run with a CancelledError; the next run completes', async () => {
    const ds = await openPaths([batchFile()]);
    const p = new Pipeline(ds);
    const ctl = new AbortController();
    const run = p.run(params, { signal: ctl.signal, onStep: (e) => e.step === 'harmony' && e.message.startsWith('iteration 1/10 done') && ctl.abort() });
    await expect(run).rejects.toBeInstanceOf(CancelledError);
    const r = await p.run(params);
    expect(r.integration).not.toBeNull();
    ds.close();
  }, 180_000);

  it('refuses bad batch keys and embeddings before computing anything, naming the column or matrix; the dataset is kept', async () => {
    const ds = await openPaths([batchFile()]);
    const n = ds.nObs;
    const cat = (name: string, values: string[]): CategoricalColumn => {
      const categories = [...new Set(values)].sort();
      return { kind: 'categorical', name, codes: Int32Array.from(values, (v) => categories.indexOf(v)), categories, ordered: false, dtype: 'category' };
    };
    ds.setColumn(cat('one_value', new Array<string>(n).fill('run1')));
    ds.setColumn(cat('tiny', Array.from({ length: n }, (_, i) => (i < 2 ? 'rare' : i % 2 ? 'a' : 'b'))));
    ds.setColumn({ kind: 'string', name: 'donor_text', values: Array.from({ length: n }, (_, i) => (i % 3 === 0 ? '' : `d${i % 2}`)), dtype: 'string' });
    const bad = new Float32Array(n * 5).map((_, i) => i % 7);
    bad[123 * 5 + 2] = NaN;
    ds.addEmbedding({ key: 'X_bad', shape: [n, 5], data: bad });
    const columns = ds.obs.columns.map((c) => c.name);
    const embeddings = ds.embeddings.map((e) => e.key);
    const file = ds.fileName;
    const cases: [Partial<PipelineParams>, RegExp][] = [
      [{ batch: { ...params.batch, keys: ['one_value'] } }, /batch key "one_value" has only one value \("run1"\) among the 700 cells: Harmony needs at least 2 batches/],
      [{ batch: { ...params.batch, keys: ['tiny'] } }, /batch key "tiny" among the 700 cells: category "rare" has 2 cells; every batch needs at least 3/],
      [{ batch: { ...params.batch, keys: ['n_counts_raw'] } }, /batch key "n_counts_raw" is numeric \(float64\): Harmony needs batch labels/],
      [{ batch: { ...params.batch, keys: ['nope'] } }, /batch key "nope": there is no obs column "nope" \(categorical columns: bulk_labels, phase, louvain, batch, sample/],
      [{ batch: { ...params.batch, keys: ['donor_text'] } }, /batch key "donor_text" has no value for 234 of the 700 cells \(the first is cell 0\)/],
      [{ batch: { ...params.batch, keys: ['batch', 'batch'] } }, /batch key "batch" is given twice/],
      [{ batch: { ...params.batch, keys: ['batch'] }, neighbors: { ...params.neighbors, useRep: 'X_nope' } }, /obsm\/X_nope is not in the dataset/],
    ];
    for (const [change, message] of cases) {
      const events: StepEvent[] = [];
      const err = await new Pipeline(ds).run({ ...params, ...change }, { onStep: (e) => events.push(e) }).catch((e: Error) => e);
      expect(err).toBeInstanceOf(Error);
      expect((err as Error).message.startsWith(`${file}: `)).toBe(true);
      expect((err as Error).message).toMatch(message);
      expect(events).toEqual([]); // nothing computed
    }
    // NaN in the embedding to integrate: found on the cells that pass QC, before the HVGs.
    const events: StepEvent[] = [];
    const err = await new Pipeline(ds).run({ ...params, neighbors: { ...params.neighbors, useRep: 'X_bad' } }, { onStep: (e) => events.push(e) }).catch((e: Error) => e);
    expect((err as Error).message).toMatch(/obsm\/X_bad has NaN or infinite values in 1 of the cells analysed \(the first is cell 123, "[^"]+"\): Harmony needs finite coordinates/);
    expect(events.filter((e) => e.state === 'done').map((e) => e.step)).toEqual(['qc', 'filter']);
    // A batch left too small by the QC filters: refused after the filter, before the HVGs.
    const totals = (await new Pipeline(ds).run({ ...params, batch: { ...params.batch, keys: [] } })).qc.total_counts;
    const order = Array.from(totals.keys()).sort((a, b) => totals[a] - totals[b]);
    const rareCells = new Set(order.slice(0, 3));
    ds.setColumn(cat('filtered', Array.from({ length: n }, (_, i) => (rareCells.has(i) ? 'rare' : i % 2 ? 'a' : 'b'))));
    const minCounts = totals[order[2]];
    const err2 = await new Pipeline(ds).run({ ...params, filter: { ...params.filter, minCounts }, batch: { ...params.batch, keys: ['filtered'] } }).catch((e: Error) => e);
    expect((err2 as Error).message).toMatch(/batch key "filtered" among the 698 analysed cells \(after the QC filters\): category "rare" has 1 cell/);
    // Nothing of the dataset changed.
    expect(ds.obs.columns.map((c) => c.name)).toEqual([...columns, 'filtered']);
    expect(ds.embeddings.map((e) => e.key)).toEqual(embeddings);
    ds.close();
  }, 240_000);
});
