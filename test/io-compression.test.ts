// Compression filters beyond gzip/LZF: files written with h5wasm-plugins' encoders (zstd, blosc,
// lz4, bz2) read back through our reader, and the filter check names what it refuses.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nodeH5Runtime } from '../src/io/h5/node-runtime.ts';
import { writeH5ad } from '../src/io/h5ad/write.ts';
import { openPaths } from '../src/io/node.ts';

const dir = mkdtempSync(join(tmpdir(), 'scweb-filters-'));

describe.each([
  ['zstd', 32015, [3]],
  ['blosc', 32001, [2, 2, 4, 0, 5, 1, 1]],
  ['lz4', 32004, [0]],
  ['bz2', 307, [9]],
] as const)('%s-compressed X', (name, id, opts) => {
  it('reads back exactly', async () => {
    const { lib } = await nodeH5Runtime();
    const p = join(dir, `${name}.h5ad`);
    const nCells = 40;
    const nGenes = 30;
    await writeH5ad(lib, p, {
      obs: { index: Array.from({ length: nCells }, (_, i) => `c${i}`), columns: [] },
      var: { index: Array.from({ length: nGenes }, (_, i) => `g${i}`), columns: [] },
    });
    const dense = Float32Array.from({ length: nCells * nGenes }, (_, i) => ((i * 7) % 11 === 0 ? (i % 13) + 1 : 0));
    const f = new lib.File(p, 'a');
    const x = f.create_dataset({ name: 'X', data: dense, shape: [nCells, nGenes], chunks: [10, nGenes], compression: id, compression_opts: [...opts] });
    x.create_attribute('encoding-type', 'array');
    x.create_attribute('encoding-version', '0.2.0');
    f.close();
    const g = new lib.File(p, 'r');
    expect((g.get('X') as import('h5wasm').Dataset).filters.map((flt) => flt.id)).toContain(id);
    g.close();
    const ds = await openPaths([p]);
    const chunk = ds.readRows('X', 0, nCells);
    const back = new Float32Array(nCells * nGenes);
    for (let r = 0; r < nCells; r++) for (let k = chunk.indptr[r]; k < chunk.indptr[r + 1]; k++) back[r * nGenes + chunk.indices[k]] = chunk.data[k];
    expect(Array.from(back)).toEqual(Array.from(dense));
    ds.close();
  });
});
