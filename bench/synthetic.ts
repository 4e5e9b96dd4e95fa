// Synthetic .h5ad files of realistic sparsity for the I/O benchmarks: counts for `nCells` x
// `nGenes` with about `genesPerCell` expressed genes per cell (varying 50%..150%), genes chosen
// with power-law popularity (a few genes in every cell, most in few), counts geometric with a
// gene-dependent mean. Deterministic for a given seed. Written block by block, so any size fits.
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { dirname } from 'node:path';
import { nodeH5Runtime } from '../src/io/h5/node-runtime.ts';
import { TypeFixes } from '../src/io/h5ad/type-fixes.ts';
import { CsrStreamWriter, writeFrame } from '../src/io/h5ad/write.ts';
import { mulberry32 } from '../src/model/random.ts';

export interface SyntheticSpec {
  nCells: number;
  nGenes: number;
  genesPerCell: number;
  seed: number;
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

  const f = new lib.File(tmp, 'w');
  f.create_attribute('encoding-type', 'anndata');
  f.create_attribute('encoding-version', '0.1.0');
  writeFrame(f, 'obs', { index: Array.from({ length: nCells }, (_, i) => `cell${i}`), columns: [] }, new TypeFixes());
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
    for (const genes of idx) {
      for (const g of genes) {
        // Geometric count >= 1 with mean meanOf[g].
        const q = 1 / meanOf[g];
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
