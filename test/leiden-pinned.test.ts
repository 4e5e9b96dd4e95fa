// Leiden's labels, passes and quality pinned bit for bit: the values are those of the
// implementation before the typed-array rewrite (main 974ee72), so a faster Leiden must still give
// exactly these partitions. On scanpy's stored graph (pbmc68k_reduced, 700 cells) and on a seeded
// planted-partition graph (3,000 nodes, ~13 neighbours each, rows longer than 32 after aggregation),
// at several seeds, resolutions and iteration counts (CellTypist's over-clustering runs 2).
import { createHash } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import type { SparseGraph } from '../src/analysis/connectivities.ts';
import { leiden, type LeidenOptions } from '../src/analysis/leiden.ts';
import { CancelledError } from '../src/io/errors.ts';
import { mulberry32 } from '../src/model/random.ts';
import { readStoredGraph } from './graph-helpers.ts';
import { shared } from './helpers.ts';

type Pin = [LeidenOptions, string, number, number, number];

const PBMC: Pin[] = [
  [{ seed: 0 }, '655b8069579d1034', 12, 4, 3247.645562734883],
  [{ seed: 1, resolution: 2 }, '4e7af7b860fb71e7', 15, 4, 2819.413777400409],
  [{ seed: 0, resolution: 5, iterations: 2 }, '27ee0e3623bd18cb', 33, 2, 2179.905265242799],
  [{ seed: 7, resolution: 0.5 }, '4e780a3742940e6c', 9, 4, 3529.8856143727908],
];
const PLANTED: Pin[] = [
  [{ seed: 0 }, '24e1b6f3bed06e6d', 12, 4, 10567.497916645892],
  [{ seed: 1, resolution: 2 }, '7fef7b464d74dafe', 18, 8, 8789.807253372843],
  [{ seed: 0, resolution: 5, iterations: 2 }, '7824683cc67dd7d6', 138, 2, 5601.022477776228],
  [{ seed: 7, resolution: 0.5 }, 'ff6698a6e831ffcf', 1, 2, 10712.489188097417],
];

async function check(g: SparseGraph, pins: Pin[]): Promise<void> {
  for (const [opts, sha, nClusters, passes, quality] of pins) {
    const r = await leiden(g, opts);
    const got = { sha: createHash('sha256').update(r.labels).digest('hex').slice(0, 16), nClusters: r.nClusters, passes: r.passes, quality: r.quality };
    expect({ opts, ...got }).toEqual({ opts, sha, nClusters, passes, quality });
  }
}

describe('leiden, pinned partitions', () => {
  it("gives the same labels, passes and quality bits on scanpy's stored graph", async () => {
    await check(await readStoredGraph(shared('data/pbmc68k_reduced.h5ad')), PBMC);
  });

  it('gives the same labels, passes and quality bits on a planted-partition graph', async () => {
    await check(plantedGraph(3000, 12, 0.03, 0.002), PLANTED);
  });

  it('yields a turn between levels without setImmediate (browsers: a MessageChannel), same partition', async () => {
    vi.stubGlobal('setImmediate', undefined);
    try {
      await check(await readStoredGraph(shared('data/pbmc68k_reduced.h5ad')), PBMC.slice(0, 1));
    } finally {
      vi.unstubAllGlobals();
    }
  });

  it('is cancelled between levels: before it starts, and from its own progress', async () => {
    const g = plantedGraph(600, 6, 0.05, 0.005);
    await expect(leiden(g, { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(CancelledError);
    const ctl = new AbortController();
    const seen: string[] = [];
    const run = leiden(g, { signal: ctl.signal, onProgress: (_, message) => (seen.push(message), message.includes('level 2') && ctl.abort()) });
    await expect(run).rejects.toBeInstanceOf(CancelledError);
    expect(seen.at(-1)).toContain('pass 1, level 2');
  });
});

/** n nodes in `groups` groups (i mod groups), edges within a group with probability pIn, across pOut, weights in [0.05, 1.05). */
function plantedGraph(n: number, groups: number, pIn: number, pOut: number): SparseGraph {
  const rng = mulberry32(12345);
  const rows: Map<number, number>[] = Array.from({ length: n }, () => new Map());
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      if (rng() < (i % groups === j % groups ? pIn : pOut)) {
        const w = 0.05 + rng();
        rows[i].set(j, w);
        rows[j].set(i, w);
      }
    }
  }
  const indptr = new Int32Array(n + 1);
  rows.forEach((r, i) => (indptr[i + 1] = indptr[i] + r.size));
  const indices = new Int32Array(indptr[n]);
  const data = new Float32Array(indptr[n]);
  rows.forEach((r, i) => {
    const cols = [...r.keys()].sort((a, b) => a - b);
    cols.forEach((j, k) => {
      indices[indptr[i] + k] = j;
      data[indptr[i] + k] = r.get(j)!;
    });
  });
  return { n, indptr, indices, data };
}
