// The shard arithmetic and the merge checks, without files or a model.
import { describe, expect, it } from 'vitest';
import { ShardError, SHARD_FORMAT, checkShardSet, parsePart, partRange, validateSidecar, type ShardSidecar } from '../src/model/shards.ts';

function sidecar(part: number, parts: number, nObs: number, over: Partial<ShardSidecar> = {}): ShardSidecar {
  return {
    format: SHARD_FORMAT,
    version: 1,
    part,
    parts,
    ...partRange(part, parts, nObs),
    n_obs: nObs,
    dim: 8,
    npy: `part-${part}.npy`,
    npy_sha256: 'x',
    n_empty: 0,
    input: { name: 'in.h5ad', bytes: 100 },
    model: { id: 'm', description: 'd', sha256: 'abc', files: ['vocab.json'] },
    params: { seed: 0, max_length: 1200, gene_col: 'var index', counts: 'X' },
    encoder: 'CPU',
    scweb_version: '0.1.0',
    seconds: 1,
    ...over,
  };
}

const named = (list: ShardSidecar[]) => list.map((s, k) => ({ name: `s${k}`, sidecar: s, item: k }));

describe('partRange', () => {
  it('tiles 0..N exactly once, parts differing by at most one cell, for awkward N and n', () => {
    for (const [nObs, parts] of [[700, 3], [10, 10], [3, 7], [0, 4], [1_000_003, 16], [10_000_000, 499]]) {
      let next = 0;
      const sizes: number[] = [];
      for (let i = 0; i < parts; i++) {
        const r = partRange(i, parts, nObs);
        expect(r.start).toBe(next);
        next = r.end;
        sizes.push(r.end - r.start);
      }
      expect(next).toBe(nObs);
      expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    }
    expect(partRange(1, 3, 700)).toEqual({ start: 233, end: 466 });
  });

  it('parsePart takes i/n with 0 <= i < n and explains anything else', () => {
    expect(parsePart('2/5')).toEqual({ part: 2, parts: 5 });
    for (const bad of ['5/5', '1/0', '-1/3', '1', 'a/b', '1.5/3']) expect(() => parsePart(bad), bad).toThrow(/--part must be i\/n/);
  });
});

describe('checkShardSet', () => {
  it('orders shards by cell range whatever order they are given in', () => {
    const set = checkShardSet(named([sidecar(2, 3, 700), sidecar(0, 3, 700), sidecar(1, 3, 700)]));
    expect(set.ordered.map((s) => s.sidecar.part)).toEqual([0, 1, 2]);
    expect([set.nObs, set.dim, set.notes]).toEqual([700, 8, []]);
  });

  it('accepts a re-split: part 1/2 redone as two halves still covers each cell once', () => {
    const a = sidecar(0, 2, 100);
    const b = { ...sidecar(0, 2, 100), start: 50, end: 75 };
    const c = { ...sidecar(0, 2, 100), start: 75, end: 100 };
    expect(checkShardSet(named([a, c, b])).ordered.map((s) => s.sidecar.start)).toEqual([0, 50, 75]);
  });

  it('refuses a missing part, naming the cells and the shards around the gap', () => {
    const err = () => checkShardSet(named([sidecar(0, 3, 700), sidecar(2, 3, 700)]));
    expect(err).toThrow(ShardError);
    expect(err).toThrow(/cells 233\.\.465 are in no shard \(between s0 and s1\): a part is missing/);
    expect(() => checkShardSet(named([sidecar(0, 3, 700), sidecar(1, 3, 700)]))).toThrow(/cells 466\.\.699 are in no shard \(after s1\)/);
    expect(() => checkShardSet(named([sidecar(2, 3, 700)]))).toThrow(/cells 0\.\.465 are in no shard \(between the start and s0\)/);
  });

  it('refuses a duplicated part and an overlap, naming both shards', () => {
    expect(() => checkShardSet(named([sidecar(0, 2, 10), sidecar(1, 2, 10), sidecar(1, 2, 10)]))).toThrow(/s1 and s2 both hold cells 5\.\.9: a part is given twice/);
    const overlap = { ...sidecar(1, 2, 10), start: 4 };
    expect(() => checkShardSet(named([sidecar(0, 2, 10), overlap]))).toThrow(/s1 \(cells 4\.\.9\) overlaps s0 \(cells up to 4\)/);
  });

  it('refuses shards of different runs, saying which field differs in which shard', () => {
    const cases: [Partial<ShardSidecar>, RegExp][] = [
      [{ params: { seed: 1, max_length: 1200, gene_col: 'var index', counts: 'X' } }, /seed: s0 has 0, s1 has 1/],
      [{ params: { seed: 0, max_length: 600, gene_col: 'var index', counts: 'X' } }, /max_length: s0 has 1200, s1 has 600/],
      [{ model: { id: 'm', description: 'd', sha256: 'def', files: [] } }, /model: s0 has m sha256 abc, s1 has m sha256 def/],
      [{ input: { name: 'in.h5ad', bytes: 101 } }, /input file: s0 has in.h5ad \(100 bytes\), s1 has in.h5ad \(101 bytes\)/],
      [{ n_obs: 701 }, /cell count: s0 has 700, s1 has 701/],
      [{ scweb_version: '0.2.0' }, /scWeb version/],
    ];
    for (const [over, msg] of cases) {
      expect(() => checkShardSet(named([sidecar(0, 2, 700), { ...sidecar(1, 2, 700), ...over }]))).toThrow(msg);
    }
  });

  it('merges shards from different encoders with a note (rows agree to tolerance only)', () => {
    const set = checkShardSet(named([sidecar(0, 2, 10), { ...sidecar(1, 2, 10), encoder: 'WebGPU' }]));
    expect(set.notes[0]).toMatch(/different encoders \(CPU, WebGPU\)/);
  });

  it('validateSidecar refuses other JSON and damaged sidecars with the file name', () => {
    expect(() => validateSidecar({ a: 1 }, 'x.json')).toThrow(/x.json is not an scWeb embedding shard sidecar/);
    expect(() => validateSidecar({ ...sidecar(0, 1, 5), version: 2 }, 'x.json')).toThrow(/version 2/);
    expect(() => validateSidecar({ ...sidecar(0, 1, 5), end: 9 }, 'x.json')).toThrow(/x.json: the sidecar is damaged/);
    expect(validateSidecar(sidecar(0, 1, 5), 'x.json').end).toBe(5);
  });
});
