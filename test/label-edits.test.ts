import { describe, expect, it } from 'vitest';
import { assignCells, labelsFrom, mergeCategories, renameCategory } from '../src/analysis/label-edits.ts';

const base = () => labelsFrom(Int32Array.from([0, 0, 1, 2, 2, -1]), ['0', '1', '2']);

describe('label edits', () => {
  it('renames, and merges when the new name exists', () => {
    const a = renameCategory(base(), 1, 'B cells');
    expect(a.categories).toEqual(['0', 'B cells', '2']);
    const b = renameCategory(a, 2, 'B cells');
    expect(b.categories).toEqual(['0', 'B cells']);
    expect(Array.from(b.codes)).toEqual([0, 0, 1, 1, 1, -1]);
    expect(() => renameCategory(a, 0, '  ')).toThrow(/empty/);
  });

  it('merges categories and assigns a selection, dropping unused labels', () => {
    const m = mergeCategories(base(), [0, 2], 'T');
    expect(m.categories).toEqual(['1', 'T']);
    expect(Array.from(m.codes)).toEqual([1, 1, 0, 1, 1, -1]);
    const s = assignCells(base(), Uint8Array.from([0, 0, 1, 0, 0, 1]), 'NK');
    expect(s.categories).toEqual(['0', '2', 'NK']);
    expect(Array.from(s.codes)).toEqual([0, 0, 2, 1, 1, 2]);
  });
});
