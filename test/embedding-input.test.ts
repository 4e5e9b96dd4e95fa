// scGPT takes any non-negative matrix (its binning ranks each cell's values) and refuses scaled data.
import { describe, expect, it } from 'vitest';
import { DatasetError } from '../src/io/errors.ts';
import { openPaths } from '../src/io/node.ts';
import type { Dataset } from '../src/io/types.ts';
import type { CellEncoder } from '../src/model/embed.ts';
import { embedDataset } from '../src/model/embed.ts';
import { checkNonNegative, embeddingInput } from '../src/model/embedding-input.ts';
import { loadModelDir } from '../src/model/node-model.ts';
import { shared } from './helpers.ts';
import { fixturePath } from './model-fixtures.ts';

/** An encoder that records every cell's tokens (keyed by cell content) and computes nothing. */
function recorder(d: number): CellEncoder & { cells: string[] } {
  const cells: string[] = [];
  return {
    name: 'recorder',
    cells,
    async encode(b) {
      for (let k = 0; k < b.batch; k++) {
        const n = b.lengths[k];
        const ids = Array.from(b.ids.subarray(k * b.seqLen, k * b.seqLen + n));
        const values = Array.from(b.values.subarray(k * b.seqLen, k * b.seqLen + n));
        cells.push(`${ids.join(',')}|${values.join(',')}`);
      }
      return new Float32Array(b.batch * d).fill(1);
    },
  };
}

describe('embedding input', () => {
  it('log-normalised raw/X (no counts in the file) gives exactly the tokens of the counts it came from', async () => {
    const model = await loadModelDir(fixturePath('tiny', 'checkpoint_flash'));
    const log = await openPaths([shared('data/pbmc68k_reduced.h5ad')]);
    const counts = await openPaths([shared('data/pbmc68k_reduced_with_counts.h5ad')]);
    expect(log.countsKey).toBeNull();
    const a = recorder(64);
    const b = recorder(64);
    const ra = await embedDataset(log, model, a, { seed: 3 });
    const rb = await embedDataset(counts, model, b, { seed: 3 });
    expect(ra.input).toMatchObject({ key: 'raw/X', kind: 'non-negative' });
    expect(ra.input.note).toContain('give the bins counts would');
    expect(rb.input).toMatchObject({ key: 'layers/counts', kind: 'counts' });
    expect(a.cells.length).toBe(700);
    // Same cells in the same order, so the sorted token lists must agree one for one.
    expect([...a.cells].sort()).toEqual([...b.cells].sort());
    log.close();
    counts.close();
  });

  it('refuses scaled X by name and points to layers/counts or raw/X', async () => {
    const model = await loadModelDir(fixturePath('tiny', 'checkpoint_flash'));
    const ds = await openPaths([shared('data/pbmc68k_reduced.h5ad')]);
    await expect(embedDataset(ds, model, recorder(64), { matrixKey: 'X' })).rejects.toThrow(/scGPT cannot embed X: it holds negative values .*Use layers\/counts or raw\/X/);
    ds.close();
    const scaledOnly = { fileName: 'scaled.h5ad', countsKey: null, countsReason: 'no matrix holds integer counts (X: signed)', matrices: [{ key: 'X', content: 'signed' }] } as unknown as Dataset;
    expect(() => embeddingInput(scaledOnly)).toThrow(/scaled\.h5ad: scGPT cannot embed X: it holds negative values \(and the file has no counts or log-normalised matrix: scaled data\?\)/);
  });

  it('a negative value past the judged sample is refused where it is read, naming the cell', () => {
    const ds = { fileName: 'f.h5ad' };
    expect(() => checkNonNegative(ds, 'raw/X', [1, 2, 0.5, 3], 100, [0, 2, 4])).not.toThrow();
    let err: unknown;
    try {
      checkNonNegative(ds, 'raw/X', [1, 2, 0.5, -0.25], 100, [0, 2, 3, 4]);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DatasetError);
    expect((err as Error).message).toContain('scGPT cannot embed raw/X: it holds negative values (-0.25 at cell 102');
  });
});
