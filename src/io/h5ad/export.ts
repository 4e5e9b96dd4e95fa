// A dataset as it stands in the app (its obs including computed columns such as leiden and
// annotations, var, every obsm including X_pca / X_umap / X_scGPT) written as a new .h5ad. X is
// the counts matrix (or X when none was detected), streamed chunk by chunk.
import type { H5Lib } from '../h5/runtime.ts';
import { forEachChunkAsync } from '../iterate.ts';
import type { Dataset } from '../types.ts';
import { CsrStreamWriter, encode, writeFrame } from './write.ts';

export async function exportH5ad(lib: H5Lib, path: string, ds: Dataset, opts: { signal?: AbortSignal; onProgress?: (f: number, m: string) => void } = {}): Promise<void> {
  const key = ds.countsKey ?? ds.matrices.find((m) => m.key === 'X')?.key ?? ds.matrices[0]?.key ?? null;
  const f = new lib.File(path, 'w');
  try {
    encode(f, 'anndata', '0.1.0');
    writeFrame(f, 'obs', ds.obs);
    writeFrame(f, 'var', { index: key ? ds.varNamesOf(key) : ds.var.index, columns: key && ds.varNamesOf(key).length !== ds.var.index.length ? [] : ds.var.columns });
    if (key) {
      const nCols = ds.varNamesOf(key).length;
      const w = new CsrStreamWriter(f, 'X', [ds.nObs, nCols]);
      await forEachChunkAsync(ds, key, (c) => w.append(c.indptr, Int32Array.from(c.indices), c.data), opts);
      w.finish();
    }
    const obsm = f.create_group('obsm');
    encode(obsm, 'dict', '0.1.0');
    for (const e of ds.embeddings) {
      const emb = ds.readEmbedding(e.key);
      const d = obsm.create_dataset({ name: e.key, data: emb.data, shape: emb.shape });
      d.create_attribute('encoding-type', 'array');
      d.create_attribute('encoding-version', '0.2.0');
    }
    for (const g of ['layers', 'obsp', 'varm', 'varp', 'uns']) encode(f.create_group(g), 'dict', '0.1.0');
  } finally {
    f.close();
  }
}
