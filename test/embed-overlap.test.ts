// The streamed embedding's pipeline: the next batch is read and tokenised while the encoder works on
// this one. Same batches, same bits, same order as one after the other; cancel and progress as before.
import { afterAll, describe, expect, it } from 'vitest';
import { nodePool } from '../src/analysis/pool-node.ts';
import { openPaths } from '../src/io/node.ts';
import type { Dataset } from '../src/io/types.ts';
import type { CellEncoder, EmbedProgress } from '../src/model/embed.ts';
import { cpuEncoder, embedDataset } from '../src/model/embed.ts';
import type { TokenBatch } from '../src/model/encoder-tfjs.ts';
import { loadModelDir } from '../src/model/node-model.ts';
import { shared } from './helpers.ts';
import { fixturePath } from './model-fixtures.ts';

// 7,480 PBMCs, 200 genes (74 in the tiny model's vocabulary): short cells, four 2,048-cell windows.
const PBMC = shared('data/scvijl_pbmc_7480x200_counts.h5ad');
const model = await loadModelDir(fixturePath('tiny', 'checkpoint'));
const D = model.weights.config.dModel;
const pool = nodePool(2);
afterAll(() => pool?.terminate());

const macrotask = () => new Promise((resolve) => setTimeout(resolve, 0));

/** An encoder that finishes each batch two macrotasks later (as the GPU or the pool would: this thread is free meanwhile) with the cells' first token values. */
function slowEncoder(log: string[], d: number): CellEncoder & { running: number; started: number } {
  const enc = {
    name: 'slow',
    running: 0,
    started: 0,
    async encode(b: TokenBatch) {
      const k = enc.started++;
      enc.running++;
      log.push(`start ${k}`);
      await macrotask();
      await macrotask();
      log.push(`end ${k}`);
      enc.running--;
      const out = new Float32Array(b.batch * d);
      for (let c = 0; c < b.batch; c++) out.fill(b.values[c * b.seqLen + 1] + 10, c * d, (c + 1) * d);
      return out;
    },
  };
  return enc;
}

/** Records each read of the matrix (the tokeniser's input) with the number of encodes then running. */
async function openLogged(log: string[], enc: { running: number }): Promise<Dataset> {
  const ds = await openPaths([PBMC]);
  const readRows = ds.readRows.bind(ds);
  ds.readRows = (key, start, end) => (log.push(`read ${start} while ${enc.running} running`), readRows(key, start, end));
  return ds;
}

describe('embedDataset overlaps tokenising with encoding', () => {
  it('reads the next window while the encoder has the last batch of this one; without overlap, after', async () => {
    for (const overlap of [true, false]) {
      const log: string[] = [];
      const enc = slowEncoder(log, D);
      const ds = await openLogged(log, enc);
      const r = await embedDataset(ds, model, enc, { batchSize: 512, overlap, normalize: false });
      ds.close();
      const reads = log.filter((e) => e.startsWith('read'));
      expect(reads).toEqual([0, 2048, 4096, 6144].map((s) => `read ${s} while ${overlap && s > 0 ? 1 : 0} running`));
      // One encode at a time either way: each batch ends before the next starts.
      const encodes = log.filter((e) => !e.startsWith('read'));
      expect(encodes.length).toBeGreaterThan(8);
      encodes.forEach((e, i) => expect(e).toBe(`${i % 2 ? 'end' : 'start'} ${Math.floor(i / 2)}`));
      expect(r.embeddings.length).toBe(7480 * r.dim);
      let nanRows = 0;
      for (let c = 0; c < 7480; c++) nanRows += Number.isNaN(r.embeddings[c * r.dim]) ? 1 : 0;
      expect(nanRows).toBe(r.nEmpty);
    }
  });

  it('the exact CPU encoder gives the same bits with and without overlap, in input order, on one thread and on the pool', async () => {
    const ds = await openPaths([PBMC]);
    const range = { start: 1990, end: 2110 }; // across the first window boundary
    const runs = [];
    for (const enc of [cpuEncoder(model), cpuEncoder(model, pool)]) {
      for (const overlap of [true, false]) runs.push(await embedDataset(ds, model, enc, { range, batchSize: 16, overlap }));
    }
    expect(runs[2].encoder).toMatch(/threads/);
    const want = Buffer.from(runs[1].embeddings.buffer);
    for (const r of runs) expect(Buffer.from(r.embeddings.buffer).equals(want)).toBe(true);
    // Input order: row k is cell range.start + k, whichever batch it was in.
    const alone = await embedDataset(ds, model, cpuEncoder(model), { range: { start: 2050, end: 2051 } });
    expect(Array.from(alone.embeddings)).toEqual(Array.from(runs[0].embeddings.subarray(60 * runs[0].dim, 61 * runs[0].dim)));
    ds.close();
  });

  it('a smaller bucket step pads less and gives the CPU encoder the same bits', async () => {
    const ds = await openPaths([PBMC]);
    const range = { start: 0, end: 120 };
    const [coarse, fine] = [32, 8].map((bucketStep) => embedDataset(ds, model, cpuEncoder(model), { range, bucketStep }));
    const [a, b] = [await coarse, await fine];
    expect(b.padding).toBeLessThan(a.padding);
    expect(a.padding).toBeGreaterThan(0);
    expect(Buffer.from(a.embeddings.buffer).equals(Buffer.from(b.embeddings.buffer))).toBe(true);
    await expect(embedDataset(ds, model, cpuEncoder(model), { range, bucketStep: 0 })).rejects.toThrow(/bucketStep must be a positive integer/);
    ds.close();
  });

  it('reports progress after every batch, up to the whole count', async () => {
    const ds = await openPaths([PBMC]);
    const seen: EmbedProgress[] = [];
    const enc = slowEncoder([], D);
    await embedDataset(ds, model, enc, { batchSize: 256, onProgress: (p) => seen.push(p) });
    ds.close();
    expect(seen.length).toBe(enc.started);
    expect(seen.at(-1)!.done).toBe(7480);
    for (let i = 1; i < seen.length; i++) expect(seen[i].done).toBeGreaterThan(seen[i - 1].done);
  });
});

describe('cancel with overlap', () => {
  it('stops within a batch of the abort and leaves no encode running', async () => {
    const ds = await openPaths([PBMC]);
    const controller = new AbortController();
    const enc = slowEncoder([], D);
    let progress = 0;
    const run = embedDataset(ds, model, enc, {
      batchSize: 64,
      signal: controller.signal,
      onProgress: () => {
        if (++progress === 3) controller.abort();
      },
    });
    await expect(run).rejects.toThrow(/cancelled/);
    expect(enc.running).toBe(0);
    expect(enc.started).toBeLessThanOrEqual(4);
    ds.close();
  });

  it('a pool encoder cancelled mid-batch rejects with the cancel, with no stray rejection', async () => {
    const ds = await openPaths([PBMC]);
    const controller = new AbortController();
    const base = cpuEncoder(model, pool);
    let batches = 0;
    const enc: CellEncoder = {
      name: base.name,
      encode: (b, signal) => {
        // Aborted while this batch is on the workers (the next one is being tokenised meanwhile).
        if (++batches === 2) setTimeout(() => controller.abort(), 0);
        return base.encode(b, signal);
      },
    };
    await expect(embedDataset(ds, model, enc, { range: { start: 0, end: 400 }, batchSize: 32, signal: controller.signal })).rejects.toThrow(/cancel/i);
    expect(batches).toBeLessThan(5);
    // A rejection nobody awaited would surface here (vitest fails the file on unhandled rejections).
    await macrotask();
    ds.close();
  });
});
