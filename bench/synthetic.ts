// Synthetic .h5ad files of realistic sparsity for the I/O benchmarks: counts for `nCells` x
// `nGenes` with about `genesPerCell` expressed genes per cell (varying 50%..150%), genes chosen
// with power-law popularity (a few genes in every cell, most in few), counts geometric with a
// gene-dependent mean. Deterministic for a given seed. Written block by block, so any size fits.
// With `types` K (the clustered variant, for benches that score clusters): each cell gets one of K
// cell types of uneven sizes (weights 1 / (t + 1)^0.7, shuffled), written as the categorical obs
// column `cell_type`; each type has `markersPerType` marker genes of middling popularity (ranks
// 100..4,000, none shared) that its cells express with probability `markerRate` and, wherever they
// are expressed in its cells, with `foldChange` times the gene's mean count. Markers count towards
// the cell's genes, so the sparsity is the same. Without `types` the output is the same bytes as
// before the option existed (the type draws come from a second generator).
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { dirname } from 'node:path';
import { nodeH5Runtime } from '../src/io/h5/node-runtime.ts';
import { TypeFixes } from '../src/io/h5ad/type-fixes.ts';
import { CsrStreamWriter, writeFrame } from '../src/io/h5ad/write.ts';
import type { Column } from '../src/io/types.ts';
import { mulberry32 } from '../src/model/random.ts';

export interface SyntheticSpec {
  nCells: number;
  nGenes: number;
  genesPerCell: number;
  seed: number;
  /** Number of cell types (the clustered variant); absent or 0: no structure. */
  types?: number;
  /** Marker genes per type (default 20), the chance a cell expresses each of its own (0.5), their fold change in mean count (2): Leiden recovers the types with ARI ~0.94 at 5,000 cells. */
  markersPerType?: number;
  markerRate?: number;
  foldChange?: number;
}

export interface CellTypePlan {
  /** Type per cell. */
  cellType: Int32Array;
  /** Type whose marker the gene is, per gene; -1: no type's. */
  markerOf: Int32Array;
  /** Marker genes per type, in draw order. */
  markers: Int32Array[];
}

/**
 * Types and marker genes for the clustered variant, from their own generator (seed + 1), so the
 * counts' generator draws the same stream whatever the types. `order[r]` is the gene at popularity rank r.
 */
export function planCellTypes(spec: SyntheticSpec, order: ArrayLike<number>): CellTypePlan {
  const k = spec.types ?? 0;
  const random = rng((spec.seed + 1) >>> 0);
  const perType = spec.markersPerType ?? 20;
  const lo = Math.min(100, spec.nGenes - 1);
  const hi = Math.min(4000, spec.nGenes);
  if (k * perType > hi - lo) throw new Error(`synthetic: ${k} types x ${perType} markers do not fit popularity ranks ${lo}..${hi} of ${spec.nGenes} genes`);
  const weights = Array.from({ length: k }, (_, t) => 1 / Math.pow(t + 1, 0.7));
  for (let i = k - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [weights[i], weights[j]] = [weights[j], weights[i]];
  }
  const cum = new Float64Array(k);
  let total = 0;
  for (let t = 0; t < k; t++) cum[t] = total += weights[t];
  const cellType = new Int32Array(spec.nCells);
  for (let c = 0; c < spec.nCells; c++) {
    const u = random() * total;
    let t = 0;
    while (t < k - 1 && cum[t] < u) t++;
    cellType[c] = t;
  }
  // Marker ranks: a shuffle of lo..hi-1, taken perType at a time.
  const ranks = Array.from({ length: hi - lo }, (_, i) => lo + i);
  for (let i = ranks.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [ranks[i], ranks[j]] = [ranks[j], ranks[i]];
  }
  const markerOf = new Int32Array(spec.nGenes).fill(-1);
  const markers: Int32Array[] = [];
  for (let t = 0; t < k; t++) {
    const m = Int32Array.from(ranks.slice(t * perType, (t + 1) * perType), (r) => order[r]);
    for (const g of m) markerOf[g] = t;
    markers.push(m);
  }
  return { cellType, markerOf, markers };
}

/** Category names of the clustered variant's `cell_type` column. */
export function typeName(t: number): string {
  return `type${String(t).padStart(2, '0')}`;
}

/** Seeded uniforms for synthetic data (the generator the model uses for binning ties). */
export const rng = mulberry32;

export async function writeSynthetic(path: string, spec: SyntheticSpec, onProgress?: (done: number) => void): Promise<void> {
  const { lib } = await nodeH5Runtime();
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.partial`;
  const random = rng(spec.seed);
  const { nCells, nGenes, genesPerCell } = spec;
  // Gene popularity ~ 1 / rank^0.9, shuffled over gene positions.
  const order = Array.from({ length: nGenes }, (_, i) => i);
  for (let i = nGenes - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  const cumulative = new Float64Array(nGenes);
  let total = 0;
  for (let r = 0; r < nGenes; r++) {
    total += 1 / Math.pow(r + 1, 0.9);
    cumulative[r] = total;
  }
  const meanOf = new Float64Array(nGenes);
  for (let r = 0; r < nGenes; r++) meanOf[order[r]] = 1 + 8 / Math.sqrt(r + 1);

  const plan = spec.types ? planCellTypes(spec, order) : null;
  const fold = spec.foldChange ?? 2;
  const markerRate = spec.markerRate ?? 0.5;

  const f = new lib.File(tmp, 'w');
  f.create_attribute('encoding-type', 'anndata');
  f.create_attribute('encoding-version', '0.1.0');
  const columns: Column[] = plan
    ? [{ kind: 'categorical', name: 'cell_type', codes: plan.cellType, categories: plan.markers.map((_, t) => typeName(t)), ordered: false, dtype: 'category' }]
    : [];
  const fixes = new TypeFixes();
  writeFrame(f, 'obs', { index: Array.from({ length: nCells }, (_, i) => `cell${i}`), columns }, fixes);
  // The markers' own draws (expressed or not) come from a third generator (seed + 2), not the
  // counts' one. The counts' stream still differs with types: a cell's pre-picked markers take the
  // place of some gene draws. Without types it is the stream of before the option.
  const markerRandom = rng((spec.seed + 2) >>> 0);
  writeFrame(f, 'var', { index: Array.from({ length: nGenes }, (_, i) => `GENE${i}`), columns: [] }, new TypeFixes());
  const writer = new CsrStreamWriter(f, 'X', [nCells, nGenes], 1 << 20);
  const block = 2000;
  const picked = new Uint8Array(nGenes);
  for (let start = 0; start < nCells; start += block) {
    const n = Math.min(block, nCells - start);
    const indptr = new Float64Array(n + 1);
    const idx: Int32Array[] = [];
    for (let c = 0; c < n; c++) {
      const want = Math.min(nGenes, Math.round(genesPerCell * (0.5 + random())));
      const genes = new Int32Array(want);
      let k = 0;
      if (plan) {
        for (const g of plan.markers[plan.cellType[start + c]]) {
          if (k < want && markerRandom() < markerRate) {
            picked[g] = 1;
            genes[k++] = g;
          }
        }
      }
      while (k < want) {
        const u = random() * total;
        let lo = 0;
        let hi = nGenes - 1;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if (cumulative[mid] < u) lo = mid + 1;
          else hi = mid;
        }
        const g = order[lo];
        if (picked[g]) continue;
        picked[g] = 1;
        genes[k++] = g;
      }
      genes.sort();
      for (const g of genes) picked[g] = 0;
      idx.push(genes);
      indptr[c + 1] = indptr[c] + want;
    }
    const indices = new Int32Array(indptr[n]);
    const data = new Float32Array(indptr[n]);
    let p = 0;
    for (let c = 0; c < n; c++) {
      const type = plan ? plan.cellType[start + c] : -1;
      for (const g of idx[c]) {
        // Geometric count >= 1 with mean meanOf[g] (times the fold change for the cell type's markers).
        const q = plan && plan.markerOf[g] === type ? 1 / (meanOf[g] * fold) : 1 / meanOf[g];
        data[p] = 1 + Math.floor(Math.log(1 - random()) / Math.log(1 - q + 1e-12));
        indices[p++] = g;
      }
    }
    writer.append(indptr, indices, data);
    onProgress?.(start + n);
  }
  writer.finish();
  for (const g of ['layers', 'obsm', 'obsp', 'varm', 'varp', 'uns']) {
    const grp = f.create_group(g);
    grp.create_attribute('encoding-type', 'dict');
    grp.create_attribute('encoding-version', '0.1.0');
  }
  f.close();
  // The categorical's `ordered` attribute as h5py's bool (anndata refuses an int8 one).
  await fixes.apply(lib, tmp);
  renameSync(tmp, path);
}

export async function ensureSynthetic(path: string, spec: SyntheticSpec): Promise<void> {
  if (existsSync(path)) return;
  const t = performance.now();
  let last = 0;
  await writeSynthetic(path, spec, (done) => {
    if (performance.now() - last > 10_000) {
      last = performance.now();
      console.error(`  writing ${path}: ${done.toLocaleString('en-US')} / ${spec.nCells.toLocaleString('en-US')} cells`);
    }
  });
  console.error(`  wrote ${path} in ${((performance.now() - t) / 1000).toFixed(1)} s`);
}
