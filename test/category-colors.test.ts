// A file's own category colours (scanpy's uns/<column>_colors) reach the summary the app draws
// legends from, by category name; a list that does not fit its column is ignored, and a column
// computed again here (leiden after a new run) loses the file's colours.
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hexColor } from '../src/io/h5ad/category-colors.ts';
import { openPaths } from '../src/io/node.ts';
import { summarize } from '../src/io/summary.ts';
import { hasPythonAnndata } from './python-anndata.ts';

const DEMO = new URL('../public/demo/pbmc68k_reduced_with_counts.h5ad', import.meta.url).pathname;

describe('uns/<column>_colors', () => {
  it('the demo colours bulk_labels and louvain by name, as anndata reads them', async () => {
    const ds = await openPaths([DEMO]);
    try {
      const s = summarize(ds);
      // /usr/bin/python3 anndata: uns["bulk_labels_colors"] (matplotlib's tab10), uns["louvain_colors"].
      expect(s.obs.bulk_labels.colors).toMatchObject({ 'CD4+/CD25 T Reg': '#1f77b4', 'CD34+': '#7f7f7f', Dendritic: '#17becf' });
      expect(Object.keys(s.obs.bulk_labels.colors!)).toHaveLength(10);
      expect(s.obs.louvain.colors).toMatchObject({ '0': '#023fa5', '10': '#e07b91' });
      expect(s.obs.n_genes?.colors).toBeUndefined();
      // A column computed again here is not the one the file coloured.
      ds.setColumn({ kind: 'categorical', name: 'louvain', codes: new Int32Array(ds.nObs), categories: ['0'], ordered: false, dtype: 'category' });
      expect(summarize(ds).obs.louvain.colors).toBeUndefined();
      expect(summarize(ds).obs.bulk_labels.colors).toBeDefined();
    } finally {
      ds.close();
    }
  });

  it('hex colours as matplotlib writes them; anything else is not a colour here', () => {
    expect(['#1F77B4', '#abc', '#1f77b4ff', ' #ffffff '].map(hexColor)).toEqual(['#1f77b4', '#aabbcc', '#1f77b4', '#ffffff']);
    expect(['red', '#12345', 'rgb(1,2,3)', ''].map(hexColor)).toEqual([null, null, null, null]);
  });

  it.runIf(hasPythonAnndata())('a list of the wrong length, or with a named colour, is ignored (anndata writes both)', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'scweb-colors-')), 'c.h5ad');
    const py = `
import sys, anndata, numpy as np, pandas as pd
obs = pd.DataFrame({"a": pd.Categorical(["x", "y", "z", "x"]), "b": pd.Categorical(["p", "q", "p", "q"]), "c": pd.Categorical(["u", "v", "u", "v"])}, index=[f"c{i}" for i in range(4)])
a = anndata.AnnData(np.ones((4, 3), dtype=np.float32), obs=obs)
a.uns["a_colors"] = np.array(["#ff0000", "#00ff00"]); a.uns["b_colors"] = np.array(["red", "#0000ff"]); a.uns["c_colors"] = np.array(["#123456", "#abcdef"])
a.write_h5ad(sys.argv[1])`;
    const r = spawnSync('/usr/bin/python3', ['-W', 'ignore', '-c', py, file], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const ds = await openPaths([file]);
    const s = summarize(ds);
    ds.close();
    expect([s.obs.a.colors, s.obs.b.colors]).toEqual([undefined, undefined]);
    expect(s.obs.c.colors).toEqual({ u: '#123456', v: '#abcdef' });
  });
});
