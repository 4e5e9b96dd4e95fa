// Which cells the obs panel's filters leave on the embedding.
import type { ColumnData } from '../../workers/protocol.ts';

/**
 * 1 for cells that pass every filter: not in a hidden category, inside every numeric range (NaN is
 * outside, as CELLxGENE's range filter). null when no filter is set.
 */
export function visibleMask(n: number, columns: Record<string, ColumnData>, hiddenBy: Record<string, ReadonlySet<string>>, ranges: Record<string, [number, number]>): Uint8Array | null {
  let mask: Uint8Array | null = null;
  const start = () => (mask ??= new Uint8Array(n).fill(1));
  for (const [name, hidden] of Object.entries(hiddenBy)) {
    const c = columns[name];
    if (hidden.size === 0 || c?.kind !== 'categorical' || c.codes.length !== n) continue;
    // Hidden by name: the codes of those names in this column as it is now.
    const off = Uint8Array.from(c.categories, (name) => (hidden.has(name) ? 1 : 0));
    const m = start();
    for (let i = 0; i < n; i++) if (off[c.codes[i]]) m[i] = 0;
  }
  for (const [name, [lo, hi]] of Object.entries(ranges)) {
    const c = columns[name];
    if (c?.kind !== 'numeric' || c.values.length !== n) continue;
    const m = start();
    for (let i = 0; i < n; i++) {
      const v = c.values[i];
      if (!(v >= lo && v <= hi)) m[i] = 0;
    }
  }
  return mask;
}
