// bench/synthetic.ts: the structureless counts stay what they were (earlier bench rows compare with
// them), and the clustered variant is deterministic, has its `cell_type` column, uneven types and
// markers expressed more in their own type.
import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openPaths } from '../src/io/node.ts';
import type { CategoricalColumn } from '../src/io/types.ts';
import { planCellTypes, writeSynthetic, type SyntheticSpec } from '../bench/synthetic.ts';
import { hasPythonAnndata, readWithAnndata } from './python-anndata.ts';

const dir = mkdtempSync(join(tmpdir(), 'scweb-synthetic-'));

async function read(path: string) {
  const ds = await openPaths([path]);
  try {
    const m = ds.readRows('X', 0, ds.nObs);
    const hash = createHash('sha256');
    for (const a of [Float64Array.from(m.indptr), Uint32Array.from(m.indices), Float32Array.from(m.data)]) hash.update(new Uint8Array(a.buffer));
    const type = ds.obs.columns.find((c) => c.name === 'cell_type') as CategoricalColumn | undefined;
    return { m, digest: hash.digest('hex'), type, nObs: ds.nObs, columns: ds.obs.columns.map((c) => c.name) };
  } finally {
    ds.close();
  }
}

describe('synthetic counts for the benches', () => {
  it('writes the structureless counts as before the types option (digest of main at a1c44b7)', async () => {
    const path = join(dir, 'plain.h5ad');
    await writeSynthetic(path, { nCells: 300, nGenes: 2000, genesPerCell: 100, seed: 42 });
    const r = await read(path);
    expect(r.columns).toEqual([]);
    expect(r.digest).toBe('04edb669e52f81183d6a07fe121b776d728d45e90781af99188bf399a5d2bad7');
  });

  it('writes K cell types deterministically, with markers enriched in their own type', async () => {
    const spec: SyntheticSpec = { nCells: 1500, nGenes: 3000, genesPerCell: 200, seed: 7, types: 6 };
    const [a, b] = await Promise.all(['a', 'b'].map(async (n) => (await writeSynthetic(join(dir, `${n}.h5ad`), spec), read(join(dir, `${n}.h5ad`)))));
    expect(a.digest).toBe(b.digest);
    expect(a.type!.categories).toEqual(['type00', 'type01', 'type02', 'type03', 'type04', 'type05']);
    expect(Array.from(a.type!.codes)).toEqual(Array.from(b.type!.codes));
    const sizes = new Array(6).fill(0);
    for (const t of a.type!.codes) sizes[t]++;
    expect(Math.min(...sizes)).toBeGreaterThan(0);
    // Weights 1 / (t + 1)^0.7: the largest type about 3.5x the smallest.
    expect(Math.max(...sizes) / Math.min(...sizes)).toBeGreaterThan(2);
    // The plan the file was written from, and each type's markers: expressed in a larger share of
    // its own cells than of the others'.
    const order = Array.from({ length: spec.nGenes }, (_, i) => i);
    const { markers } = planCellTypes(spec, order);
    expect(markers.every((m) => m.length === 20)).toBe(true);
    expect(new Set(markers.flatMap((m) => Array.from(m))).size).toBe(6 * 20);
    const { m } = a;
    const codes = a.type!.codes;
    const genesPerCell = Array.from({ length: a.nObs }, (_, c) => m.indptr[c + 1] - m.indptr[c]);
    expect(genesPerCell.reduce((s, v) => s + v, 0) / a.nObs).toBeGreaterThan(150);
    expect(genesPerCell.reduce((s, v) => s + v, 0) / a.nObs).toBeLessThan(250);
    // The type of a gene index by the file's gene order: recover it from the expression itself.
    const expressed = new Float64Array(6 * spec.nGenes);
    for (let c = 0; c < a.nObs; c++) for (let p = m.indptr[c]; p < m.indptr[c + 1]; p++) expressed[codes[c] * spec.nGenes + m.indices[p]] += 1 / sizes[codes[c]];
    // Each type has genes expressed in >= 45% of its cells and < 35% of every other type's.
    for (let t = 0; t < 6; t++) {
      let specific = 0;
      for (let g = 0; g < spec.nGenes; g++) {
        const own = expressed[t * spec.nGenes + g];
        let other = 0;
        for (let u = 0; u < 6; u++) if (u !== t) other = Math.max(other, expressed[u * spec.nGenes + g]);
        if (own >= 0.45 && other < 0.35) specific++;
      }
      expect(specific).toBeGreaterThanOrEqual(10);
    }
  });

  it.runIf(hasPythonAnndata())('is read by Debian python3-anndata with cell_type a categorical', async () => {
    const path = join(dir, 'typed.h5ad');
    await writeSynthetic(path, { nCells: 200, nGenes: 1000, genesPerCell: 50, seed: 1, types: 3, markersPerType: 5 });
    const s = readWithAnndata(path);
    expect(s.shape).toEqual([200, 1000]);
    expect(s.obs_categoricals.cell_type.categories).toEqual(['type00', 'type01', 'type02']);
    expect(s.obs_categoricals.cell_type.ordered).toBe(false);
  });
});
