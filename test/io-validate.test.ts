// The contents of sparse matrices are checked as they are read: pointers when a matrix is opened,
// indices and values chunk by chunk; PCA refuses what would make it spin or return NaN.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { pcaCsr } from '../src/analysis/pca.ts';
import { main } from '../src/cli/main.ts';
import { DatasetError } from '../src/io/errors.ts';
import { nodeH5Runtime } from '../src/io/h5/node-runtime.ts';
import type { H5Lib } from '../src/io/h5/runtime.ts';
import type { H5adContent } from '../src/io/h5ad/write.ts';
import { writeH5ad } from '../src/io/h5ad/write.ts';
import { forEachChunk } from '../src/io/iterate.ts';
import { openPaths } from '../src/io/node.ts';
import type { CsrChunk } from '../src/io/types.ts';
import type { PointerSite } from '../src/io/validate.ts';
import { checkChunk, checkPointers } from '../src/io/validate.ts';

const dir = mkdtempSync(join(tmpdir(), 'scweb-validate-'));
let lib: H5Lib;
beforeAll(async () => {
  lib = (await nodeH5Runtime()).lib;
});

const site = (over: Partial<PointerSite> = {}): PointerSite => ({ fileName: 'f.h5ad', path: 'X/indptr', axis: 'row', minor: 3, dataLength: 4, indicesLength: 4, ...over });

function thrown(fn: () => unknown): DatasetError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(DatasetError);
    return e as DatasetError;
  }
  throw new Error('expected an error');
}

describe('row pointers', () => {
  it('accept a well-formed array and note unused trailing values', () => {
    expect(checkPointers(Float64Array.of(0, 2, 2, 4), site())).toBeNull();
    expect(checkPointers(Float64Array.of(0, 2, 2, 3), site())).toContain('1 stored values past the last row pointer');
  });

  it.each([
    [[3, 3, 4, 4], 'bad-matrix', '"X/indptr" starts at 3, not 0'],
    [[0, 2, 1, 4], 'bad-matrix', 'decreases at row 1 (from 2 to 1)'],
    [[0, 1.5, 2, 4], 'bad-matrix', 'holds 1.5 at position 1, not a whole number'],
    [[0, 4, 4, 4], 'bad-matrix', 'gives row 0 4 stored entries, more than the 3 columns'],
    [[0, 2, 4, 6], 'truncated', 'points to 6 stored values but only 4 are in the file'],
  ])('refuse %j', (ptr, code, fragment) => {
    const e = thrown(() => checkPointers(Float64Array.from(ptr), site()));
    expect(e.code).toBe(code);
    expect(e.message).toMatch(/^f\.h5ad: /);
    expect(e.message).toContain(fragment);
  });

  it('refuse data and indices of different lengths', () => {
    expect(thrown(() => checkPointers(Float64Array.of(0, 1, 2, 2), site({ indicesLength: 2 }))).message).toContain('has 4 values but 2 indices');
  });
});

function chunk(indptr: number[], indices: number[], data: number[], start = 10): CsrChunk {
  return { start, end: start + indptr.length - 1, nCols: 5, indptr: Float64Array.from(indptr), indices: Uint32Array.from(indices), data: Float32Array.from(data) };
}

describe('chunks', () => {
  const rules = (counts = true) => ({ fileName: 'f.h5ad', key: 'layers/counts', counts });

  it('pass sorted and unsorted rows without duplicates, and signed values when not counts', () => {
    checkChunk(chunk([0, 3, 5], [0, 2, 4, 3, 1], [1, 2, 3, 4, 5]), rules());
    checkChunk(chunk([0, 2], [1, 0], [-1.5, 2]), rules(false));
  });

  it.each([
    [chunk([0, 2, 3], [1, 1, 0], [1, 1, 1]), 'layers/counts row 10 stores column 1 more than once'],
    [chunk([0, 1, 4], [0, 3, 1, 3], [1, 1, 1, 1]), 'layers/counts row 11 stores column 3 more than once'],
    [chunk([0, 1], [5], [1]), 'row 10 has column index 5, out of range (5 columns)'],
    [chunk([0, 1], [0xffffffff], [1]), 'row 10 has column index -1'],
    [chunk([0, 2], [0, 1], [1, Infinity]), 'contains Infinity (first at cell 10, gene 1)'],
    [chunk([0, 2], [0, 1], [NaN, 1]), 'contains NaN (first at cell 10, gene 0)'],
    [chunk([0, 2], [0, 1], [1, -2]), 'holds negative values (-2 at cell 10, gene 1)'],
  ])('refuse bad entries (%#)', (c, fragment) => {
    const e = thrown(() => checkChunk(c, rules()));
    expect(e.message).toMatch(/^f\.h5ad: /);
    expect(e.message).toContain(fragment);
  });

  it('a second pass over the same rows is not mistaken for duplicates', () => {
    const r = rules();
    const c = chunk([0, 2], [3, 1], [1, 1]);
    checkChunk(c, r);
    checkChunk(c, r);
  });
});

describe('through a dataset', () => {
  function write(name: string, X: H5adContent['X'], nObs = 3): string {
    const p = join(dir, name);
    writeH5ad(lib, p, { obs: { index: Array.from({ length: nObs }, (_, i) => `c${i}`), columns: [] }, var: { index: ['g0', 'g1'], columns: [] }, X });
    return p;
  }

  it('duplicated columns in a row are refused at open, naming the file, matrix and row', async () => {
    const p = write('dup.h5ad', { kind: 'csr', shape: [3, 2], indptr: [0, 1, 3, 4], indices: new Int32Array([0, 1, 1, 0]), data: new Float32Array([1, 2, 3, 4]) });
    const e = await openPaths([p]).catch((x: unknown) => x as DatasetError);
    expect(e).toBeInstanceOf(DatasetError);
    expect((e as DatasetError).message).toBe(
      'dup.h5ad: X row 1 stores column 1 more than once; scipy would sum such duplicates, scWeb refuses them rather than guess: call X.sum_duplicates() in Python and save the file again',
    );
  });

  it('a negative value beyond the sample in the matrix taken as counts stops the pass', async () => {
    const n = 5000;
    const indptr = Array.from({ length: n + 1 }, (_, i) => i);
    const data = new Float32Array(n).fill(1);
    data[4800] = -1;
    const p = write('late-negative.h5ad', { kind: 'csr', shape: [n, 2], indptr, indices: new Int32Array(n), data }, n);
    const ds = await openPaths([p]);
    expect(ds.countsKey).toBe('X');
    const e = (() => {
      try {
        forEachChunk(ds, 'X', () => {}, { valuesPerChunk: 1000 });
      } catch (x) {
        return x as DatasetError;
      }
      return null;
    })();
    ds.close();
    expect(e?.message).toBe('late-negative.h5ad: X is used as counts but holds negative values (-1 at cell 4800, gene 0); counts must be non-negative');
  });
});

describe('PCA guards', () => {
  const csr = (rows: number[][]) => {
    const indptr = [0];
    const indices: number[] = [];
    const data: number[] = [];
    for (const r of rows) {
      r.forEach((v, j) => {
        if (v !== 0) {
          indices.push(j);
          data.push(v);
        }
      });
      indptr.push(indices.length);
    }
    return { nRows: rows.length, nCols: rows[0].length, indptr: Float64Array.from(indptr), indices: Uint32Array.from(indices), data: Float32Array.from(data) };
  };

  it('identical cells end in a clear message, not NaN', async () => {
    await expect(pcaCsr(csr(Array.from({ length: 30 }, () => [1, 2, 0, 3])), 2)).rejects.toThrow('all 30 cells are identical after normalisation');
  });

  it('a non-finite value is refused before the eigensolver', async () => {
    await expect(pcaCsr(csr([[1, 2], [Infinity, 1], [0, 1]]), 1)).rejects.toThrow('non-finite');
  });

  it('a single gene gives a defined one-component result', async () => {
    const r = await pcaCsr(csr([[1], [2], [4]]), 5);
    expect(r.nComps).toBe(1);
    expect([...r.scores].every(Number.isFinite)).toBe(true);
  });
});

describe('a damaged file', () => {
  async function inspect(args: string[]): Promise<{ code: number; lines: string[] }> {
    const lines: string[] = [];
    const { log, error } = console;
    console.log = () => {};
    console.error = (...a: unknown[]) => void lines.push(a.join(' '));
    try {
      return { code: await main(['inspect', ...args]), lines };
    } finally {
      console.log = log;
      console.error = error;
    }
  }

  it('ends in one line naming the file and where; --verbose adds HDF5\'s own stack', async () => {
    const bytes = readFileSync(join(__dirname, '../public/demo/pbmc68k_reduced_with_counts.h5ad'));
    bytes.fill(0, 12_000, 12_064); // inside X's first compressed chunk
    const p = join(dir, 'smashed.h5ad');
    writeFileSync(p, bytes);
    const plain = await inspect([p]);
    expect(plain.code).toBe(1);
    expect(plain.lines).toEqual(['scweb: error: smashed.h5ad: is damaged: HDF5 could not read it at "X" (filter returned failure during read)']);
    const verbose = await inspect([p, '--verbose']);
    expect(verbose.lines[0]).toBe(plain.lines[0]);
    expect(verbose.lines[1]).toMatch(/HDF5-DIAG[\s\S]*H5Dread/);
  });
});

describe('rows read again', () => {
  // Two rows over 3 genes; row 1 holds -1 (fine for log data, not for counts), row 0 NaN when asked
  // (always, or from the second read on: a file whose values changed after they were checked).
  function reader(opts: { nan?: boolean | 'after-first' } = {}) {
    let reads = 0;
    const inner = {
      encoding: 'csr' as const,
      dtype: '<f4',
      nRows: 2,
      nCols: 3,
      nnz: 3,
      notes: [],
      readRows(start: number, end: number): CsrChunk {
        reads++;
        const nan = opts.nan === true || (opts.nan === 'after-first' && reads > 1);
        return { start, end, nCols: 3, indptr: Float64Array.of(0, 2, 3).subarray(start, end + 1).map((x, _, a) => x - a[0]), indices: Uint32Array.of(0, 2, 1).subarray(start === 0 ? 0 : 2, end === 1 ? 2 : 3), data: Float32Array.of(nan ? NaN : 1, 2, -1).subarray(start === 0 ? 0 : 2, end === 1 ? 2 : 3) };
      },
    };
    return { inner, reads: () => reads };
  }

  it('are checked again under stricter rules (counts chosen after a first read) and after a failed check', async () => {
    const { CheckedReader } = await import('../src/io/checked-reader.ts');
    const plain = reader();
    const r = new CheckedReader(plain.inner as never, 'f.h5ad', 'X');
    expect(r.readRows(0, 2).data.length).toBe(3);
    expect(r.readRows(0, 2).data.length).toBe(3);
    r.usedAsCounts = true;
    expect(thrown(() => r.readRows(0, 2)).code).toBe('bad-counts');
    expect(thrown(() => r.readRows(1, 2)).code).toBe('bad-counts');
    expect(r.readRows(0, 1).data.length).toBe(2);
    const nan = reader({ nan: true });
    const bad = new CheckedReader(nan.inner as never, 'f.h5ad', 'X');
    expect(thrown(() => bad.readRows(0, 1)).message).toContain('NaN');
    expect(thrown(() => bad.readRows(0, 1)).message).toContain('NaN');
    expect(nan.reads()).toBe(2);
  });

  it('are not checked again once checked (an analysis reads each chunk five times or more)', async () => {
    const { CheckedReader } = await import('../src/io/checked-reader.ts');
    // The second read of row 0 holds NaN: had it been checked, it would throw.
    const { inner } = reader({ nan: 'after-first' });
    const r = new CheckedReader(inner as never, 'f.h5ad', 'X');
    expect(r.readRows(0, 1).data[0]).toBe(1);
    expect(Number.isNaN(r.readRows(0, 1).data[0])).toBe(true);
    // Stricter rules than the range was checked under: checked again.
    r.usedAsCounts = true;
    expect(thrown(() => r.readRows(0, 1)).message).toContain('NaN');
  });
});
