// `scweb embed --part` and `scweb merge` on a real dataset with the bundled tiny model: shards
// concatenate to one whole run bit for bit, and merge refuses sets that are not one run's rows.
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { openPaths } from '../src/io/node.ts';
import { parseNpy } from '../src/io/npy.ts';
import { cpuEncoder, embedDataset } from '../src/model/embed.ts';
import { loadModelDir } from '../src/model/node-model.ts';
import { shared } from './helpers.ts';

const CLI = join(__dirname, '../bin/scweb.mjs');
const MODEL = join(__dirname, '../public/weights/scgpt-tiny-fixture');
const INPUT = shared('data/pbmc68k_reduced_with_counts.h5ad');
// Short cells keep the test quick on two CI cores; below the cells' gene counts, so the seeded
// gene sampling (the part that must follow the cell index, not the shard) is exercised.
const OPTS = ['--model', MODEL, '--backend', 'cpu', '--max-length', '24', '--seed', '3'];
const dir = mkdtempSync(join(tmpdir(), 'scweb-shards-'));

function scweb(...args: string[]): Promise<{ status: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (status) => resolve({ status, stderr }));
  });
}

const part = (i: number, n = 3) => join(dir, `part-${i}-of-${n}.npy`);
const sidecar = (i: number, n = 3) => part(i, n).replace(/\.npy$/, '.json');

describe('sharded embedding of pbmc68k (700 cells)', () => {
  beforeAll(async () => {
    const runs = await Promise.all([
      scweb('embed', INPUT, ...OPTS, '--out', join(dir, 'whole.npy')),
      scweb('embed', INPUT, ...OPTS, '--out', join(dir, 'whole.h5ad')),
      ...[0, 1, 2].map((i) => scweb('embed', INPUT, ...OPTS, '--part', `${i}/3`, '--out', part(i))),
    ]);
    for (const r of runs) expect(r.status, r.stderr).toBe(0);
    expect(runs[3].stderr).toContain('part 1/3: cells 233..465 of 700');
  }, 300_000);

  it('each shard holds its rows of the whole run and a sidecar saying what made them', () => {
    const whole = parseNpy(readFileSync(join(dir, 'whole.npy')));
    expect(whole.shape).toEqual([700, 64]);
    for (const [i, start, end] of [[0, 0, 233], [1, 233, 466], [2, 466, 700]]) {
      const s = JSON.parse(readFileSync(sidecar(i), 'utf8'));
      expect(s).toMatchObject({ part: i, parts: 3, start, end, n_obs: 700, dim: 64, npy: `part-${i}-of-3.npy` });
      expect(s.input).toEqual({ name: 'pbmc68k_reduced_with_counts.h5ad', bytes: readFileSync(INPUT).byteLength });
      expect(s.params).toEqual({ seed: 3, max_length: 24, gene_col: 'var index', counts: 'layers/counts' });
      expect(s.model.id).toBe('scgpt-tiny-fixture');
      expect(s.model.files).toEqual(['manifest.json', 'vocab.json', 'weights-0.bin']);
      expect(s.model.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(s.scweb_version).toBe(JSON.parse(readFileSync(join(__dirname, '../package.json'), 'utf8')).version);
      const rows = parseNpy(readFileSync(part(i)));
      expect(rows.shape).toEqual([end - start, 64]);
      expect(Buffer.from(rows.data.buffer).equals(Buffer.from(whole.data.buffer, start * 64 * 4, (end - start) * 64 * 4))).toBe(true);
    }
    // Written under temporary names and renamed: nothing half-written is left beside them.
    expect(readdirSync(dir).filter((f) => f.includes('.partial-'))).toEqual([]);
  });

  it('merge to .npy equals the whole run byte for byte, whatever order the shards come in', async () => {
    const a = await scweb('merge', sidecar(2), part(0), sidecar(1), '--out', join(dir, 'merged-a.npy'));
    expect(a.status, a.stderr).toBe(0);
    const b = await scweb('merge', sidecar(0), sidecar(1), sidecar(2), '--into', INPUT, '--out', join(dir, 'merged-b.npy'));
    expect(b.status, b.stderr).toBe(0);
    const whole = readFileSync(join(dir, 'whole.npy'));
    expect(readFileSync(join(dir, 'merged-a.npy')).equals(whole)).toBe(true);
    expect(readFileSync(join(dir, 'merged-b.npy')).equals(whole)).toBe(true);
  });

  it('merge to .h5ad: obsm/X_scGPT equal to `embed --out x.h5ad`, the rest of the input kept', async () => {
    const r = await scweb('merge', sidecar(0), sidecar(1), sidecar(2), '--into', INPUT, '--out', join(dir, 'merged.h5ad'));
    expect(r.status, r.stderr).toBe(0);
    const [merged, whole, input] = await Promise.all([join(dir, 'merged.h5ad'), join(dir, 'whole.h5ad'), INPUT].map((p) => openPaths([p])));
    const m = merged.readEmbedding('X_scGPT');
    expect(m.shape).toEqual([700, 64]);
    expect(Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength).equals(Buffer.from(whole.readEmbedding('X_scGPT').data.buffer))).toBe(true);
    expect(merged.obs.index).toEqual(input.obs.index);
    expect(merged.embeddings.map((e) => e.key).sort()).toEqual([...new Set([...input.embeddings.map((e) => e.key), 'X_scGPT'])].sort());
    for (const ds of [merged, whole, input]) ds.close();
  });

  it('refuses a missing shard, a duplicated one, and one from another run, naming them', async () => {
    const out = join(dir, 'refused.npy');
    const missing = await scweb('merge', sidecar(0), sidecar(2), '--out', out);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain(`cells 233..465 are in no shard (between ${sidecar(0)} and ${sidecar(2)}): a part is missing`);
    const copy = join(dir, 'copy-of-part-1.json');
    copyFileSync(sidecar(1), copy);
    const dup = await scweb('merge', sidecar(0), sidecar(1), copy, sidecar(2), '--out', out);
    expect(dup.status).toBe(1);
    expect(dup.stderr).toMatch(/both hold cells 233\.\.465: a part is given twice/);
    expect(dup.stderr).toContain(copy);
    // Part 1 embedded again with another seed: same cells, different numbers.
    const other = join(dir, 'seed4-part-1.npy');
    const e = await scweb('embed', INPUT, ...OPTS.slice(0, -1), '4', '--part', '1/3', '--out', other);
    expect(e.status, e.stderr).toBe(0);
    const mixed = await scweb('merge', sidecar(0), other, sidecar(2), '--out', out);
    expect(mixed.status).toBe(1);
    expect(mixed.stderr).toContain(`seed: ${sidecar(0)} has 3, ${other} has 4`);
    expect(existsSync(out)).toBe(false);
  }, 120_000);

  it('refuses a shard whose rows changed, a shard without sidecar, and the wrong --into', async () => {
    const out = join(dir, 'refused2.npy');
    const bad = join(dir, 'bad');
    mkdirSync(bad);
    for (const f of [part(1), sidecar(1)]) copyFileSync(f, join(bad, f.split('/').pop()!));
    const bytes = readFileSync(join(bad, 'part-1-of-3.npy'));
    bytes[bytes.length - 1] ^= 1;
    writeFileSync(join(bad, 'part-1-of-3.npy'), bytes);
    const changed = await scweb('merge', sidecar(0), join(bad, 'part-1-of-3.json'), sidecar(2), '--out', out);
    expect(changed.status).toBe(1);
    expect(changed.stderr).toMatch(/part-1-of-3\.npy is not the file its sidecar describes/);
    const lone = join(dir, 'lone.npy');
    copyFileSync(part(1), lone);
    const noSidecar = await scweb('merge', sidecar(0), lone, sidecar(2), '--out', out);
    expect(noSidecar.stderr).toContain(`${lone} has no sidecar lone.json beside it`);
    const wrongInput = await scweb('merge', sidecar(0), sidecar(1), sidecar(2), '--into', shared('data/pbmc68k_reduced.h5ad'), '--out', join(dir, 'x.h5ad'));
    expect(wrongInput.status).toBe(1);
    expect(wrongInput.stderr).toMatch(/is not the file the shards embedded \(pbmc68k_reduced_with_counts\.h5ad/);
    const usage = await scweb('embed', INPUT, ...OPTS, '--part', '3/3', '--out', out);
    expect(usage.status).toBe(2);
    expect(usage.stderr).toContain('--part must be i/n with 0 <= i < n');
    const h5 = await scweb('embed', INPUT, ...OPTS, '--part', '0/3', '--out', join(dir, 'p.h5ad'));
    expect(h5.status).toBe(2);
    expect(h5.stderr).toContain('--part writes a shard: --out must end in .npy');
  });

  it('embedDataset with a cell range reads only the rows of its range and gives the whole run rows for them', async () => {
    const model = await loadModelDir(MODEL);
    const ds = await openPaths([INPUT]);
    const reads: [number, number][] = [];
    const readRows = ds.readRows.bind(ds);
    ds.readRows = (key, start, end) => (reads.push([start, end]), readRows(key, start, end));
    const opts = { maxLength: 24, seed: 3 };
    const part = await embedDataset(ds, model, cpuEncoder(model), { ...opts, range: { start: 300, end: 340 } });
    expect(reads.every(([s, e]) => s >= 300 && e <= 340)).toBe(true);
    expect(part.embeddings.length).toBe(40 * 64);
    const whole = parseNpy(readFileSync(join(dir, 'whole.npy'))).data as Float32Array;
    expect(Array.from(part.embeddings)).toEqual(Array.from(whole.subarray(300 * 64, 340 * 64)));
    await expect(embedDataset(ds, model, cpuEncoder(model), { ...opts, range: { start: 600, end: 701 } })).rejects.toThrow(/cell range \[600, 701\) is outside the file's 700 cells/);
    ds.close();
  });
});
