// End to end: dataset -> tokens -> encoder -> embeddings, through the library and the CLI.
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openPaths } from '../src/io/node.ts';
import { parseNpy } from '../src/io/npy.ts';
import { cpuEncoder, embedDataset } from '../src/model/embed.ts';
import { loadModelDir } from '../src/model/node-model.ts';
import type { TokenBatch } from '../src/model/encoder-tfjs.ts';
import { expected, fixturePath, maxAbsDiff } from './model-fixtures.ts';

const dir = mkdtempSync(join(tmpdir(), 'scweb-embed-'));
const CLI = join(__dirname, '../bin/scweb.mjs');
const draws = JSON.parse(readFileSync(fixturePath('tiny', 'expected', 'binning.json'), 'utf8')).rands_per_cell as number[][];

function scweb(...args: string[]) {
  return spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
}

describe('embedDataset on the tiny fixture with scGPT draws injected', () => {
  it('builds exactly the tokens scGPT fed its model and reproduces its embeddings', async () => {
    const model = await loadModelDir(fixturePath('tiny', 'checkpoint'));
    const ds = await openPaths([fixturePath('tiny', 'cells.h5ad')]);
    const ids = expected('tiny', 'gene_ids');
    const values = expected('tiny', 'values');
    const L = ids.shape[1];
    const seen: TokenBatch[] = [];
    const base = cpuEncoder(model);
    const result = await embedDataset(ds, model, { name: base.name, encode: (b) => (seen.push(b), base.encode(b)) }, {
      uniformFor: (cell) => {
        let i = 0;
        return () => draws[cell][i++];
      },
    });
    expect(result.mapping.matched).toBe(695);
    expect(result.nEmpty).toBe(0);
    // Every cell's tokens (in whichever batch it landed) equal scGPT's row of gene_ids / values.
    const byFirstGene = new Map<string, { ids: number[]; values: number[] }>();
    for (const b of seen) {
      for (let k = 0; k < b.batch; k++) {
        const n = b.lengths[k];
        const row = { ids: Array.from(b.ids.subarray(k * b.seqLen, k * b.seqLen + n)), values: Array.from(b.values.subarray(k * b.seqLen, k * b.seqLen + n)) };
        byFirstGene.set(row.ids.join(','), row);
      }
    }
    for (let c = 0; c < ids.shape[0]; c++) {
      const mask = expected('tiny', 'padding_mask').data.subarray(c * L, (c + 1) * L);
      const n = mask.indexOf(1) < 0 ? L : mask.indexOf(1);
      const want = Array.from(ids.data.subarray(c * L, c * L + n));
      const got = byFirstGene.get(want.join(','));
      expect(got, `cell ${c} tokens`).toBeDefined();
      expect(got!.values).toEqual(Array.from(values.data.subarray(c * L, c * L + n)));
    }
    expect(maxAbsDiff(result.embeddings, expected('tiny', 'cell_embedding_l2').data)).toBeLessThan(1e-5);
    ds.close();
  });

  it('a cell with no expressed in-vocab gene gets a NaN row and is counted, not a crash', async () => {
    const model = await loadModelDir(fixturePath('tiny', 'checkpoint'));
    const ds = await openPaths([fixturePath('tiny', 'cells.h5ad')]);
    // Rename every gene of cell 3 out of the vocabulary: it has nothing left to embed.
    const hidden = new Set(Array.from(ds.readRows('X', 3, 4).indices));
    const col = ds.var.columns.find((c) => c.name === 'feature_name')!;
    if (col.kind === 'string') col.values = col.values.map((n, i) => (hidden.has(i) ? `NOTAGENE${i}` : n));
    if (col.kind === 'categorical') {
      const renamed = Array.from(col.codes, (c, i) => (hidden.has(i) ? `NOTAGENE${i}` : col.categories[c]));
      Object.assign(col, { kind: 'string', values: renamed });
    }
    const r = await embedDataset(ds, model, cpuEncoder(model));
    expect(r.nEmpty).toBe(1);
    expect(Number.isNaN(r.embeddings[3 * r.dim])).toBe(true);
    expect(Number.isNaN(r.embeddings[2 * r.dim])).toBe(false);
    ds.close();
  });
});

describe('scweb embed and convert', () => {
  it('writes [n, d] unit rows, the same bytes for the same seed, different for another seed', () => {
    const model = fixturePath('tiny', 'checkpoint_flash');
    const input = fixturePath('tiny', 'cells.h5ad');
    const [a, b, c] = ['a', 'b', 'c'].map((x) => join(dir, `${x}.npy`));
    for (const [out, seed] of [[a, '7'], [b, '7'], [c, '8']]) {
      const r = scweb('embed', input, '--model', model, '--out', out, '--seed', seed, '--backend', 'cpu');
      expect(r.status, r.stderr).toBe(0);
      expect(r.stderr).toContain('695/765 in the vocabulary');
    }
    const [ba, bb, bc] = [a, b, c].map((p) => readFileSync(p));
    expect(ba.equals(bb)).toBe(true);
    expect(ba.equals(bc)).toBe(false);
    const e = parseNpy(ba);
    expect(e.shape).toEqual([16, 64]);
    for (let r = 0; r < 16; r++) {
      let s = 0;
      for (let k = 0; k < 64; k++) s += e.data[r * 64 + k] ** 2;
      expect(Math.sqrt(s)).toBeCloseTo(1, 5);
    }
  });

  it('the exact CPU encoder on worker threads writes the bytes of one thread (--threads 1 vs 3)', () => {
    const input = fixturePath('tiny', 'cells.h5ad');
    const model = fixturePath('tiny', 'checkpoint');
    const outs = ['1', '3'].map((t) => {
      const out = join(dir, `threads-${t}.npy`);
      const r = scweb('embed', input, '--model', model, '--out', out, '--backend', 'cpu', '--threads', t, '--batch-size', '5');
      expect(r.status, r.stderr).toBe(0);
      expect(r.stderr + r.stdout).toContain(t === '1' ? 'CPU (exact float64 sums)' : 'CPU (exact float64 sums, 3 threads)');
      return readFileSync(out);
    });
    expect(outs[1].equals(outs[0])).toBe(true);
  });

  it('convert: the f32 bundle embeds identically, the f16 bundle within the fp16 tolerance', () => {
    const ckpt = fixturePath('tiny', 'checkpoint');
    const input = fixturePath('tiny', 'cells.h5ad');
    const ref = join(dir, 'ref.npy');
    expect(scweb('embed', input, '--model', ckpt, '--out', ref, '--backend', 'cpu').status).toBe(0);
    for (const dtype of ['f32', 'f16']) {
      const bundle = join(dir, `bundle-${dtype}`);
      const conv = scweb('convert', ckpt, bundle, '--dtype', dtype);
      expect(conv.status, conv.stderr).toBe(0);
      const out = join(dir, `${dtype}.npy`);
      const r = scweb('embed', input, '--model', bundle, '--out', out, '--backend', 'cpu');
      expect(r.status, r.stderr).toBe(0);
      const [x, y] = [parseNpy(readFileSync(ref)).data, parseNpy(readFileSync(out)).data];
      const diff = maxAbsDiff(x, y);
      if (dtype === 'f32') expect(diff).toBe(0);
      else expect(diff).toBeLessThan(2e-3);
    }
  });

  it('refuses a broken model folder and a missing option with clear messages', () => {
    const input = fixturePath('tiny', 'cells.h5ad');
    const noModel = scweb('embed', input, '--model', dir, '--out', join(dir, 'x.npy'));
    expect(noModel.status).toBe(1);
    expect(noModel.stderr).toContain('vocab.json');
    const usage = scweb('embed', input, '--out', join(dir, 'x.npy'));
    expect(usage.status).toBe(2);
    expect(usage.stderr).toContain('--model DIR');
    // The tiny checkpoint with the wide model's vocab: the embedding table cannot match.
    const mixed = mkdtempSync(join(dir, 'mixed-'));
    for (const f of ['args.json', 'best_model.pt']) copyFileSync(fixturePath('tiny', 'checkpoint', f), join(mixed, f));
    copyFileSync(fixturePath('wide', 'checkpoint_flash', 'vocab.json'), join(mixed, 'vocab.json'));
    const wrongVocab = scweb('embed', input, '--model', mixed, '--out', join(dir, 'y.npy'), '--backend', 'cpu');
    expect(wrongVocab.status).toBe(1);
    expect(wrongVocab.stderr).toMatch(/698 rows but vocab.json has 3656 tokens/);
    expect(execFileSync(process.execPath, [CLI, 'help'], { encoding: 'utf8' })).toContain('scweb embed');
  });
});

describe('cancel', () => {
  it('an embedding on the CPU path stops at the next batch when its signal is aborted', async () => {
    const model = await loadModelDir(fixturePath('tiny', 'checkpoint'));
    const ds = await openPaths([fixturePath('tiny', 'cells.h5ad')]);
    const controller = new AbortController();
    let batches = 0;
    const base = cpuEncoder(model);
    const run = embedDataset(ds, model, { name: 'cpu', encode: (b) => (batches++, base.encode(b)) }, { batchSize: 2, signal: controller.signal });
    // Abort from a macrotask, as a worker's message handler would.
    setTimeout(() => controller.abort(), 0);
    await expect(run).rejects.toThrow(/cancelled/);
    expect(batches).toBeLessThan(8);
    ds.close();
  });
});
