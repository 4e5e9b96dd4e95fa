// What `scweb analyze` saves must be a consistent AnnData for the next scanpy call: the kNN graph
// (obsp, uns/neighbors), the HVG table (var), the PCA (varm/PCs, uns/pca) belong to this run, not
// the input's; an anndata 0.7 file (categoricals as object references, as CELLxGENE's example)
// keeps its categories. Read back with Debian's anndata 0.8.
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.ts';
import { shared } from './helpers.ts';
import { hasPythonAnndata } from './python-anndata.ts';

const CHECK = `
import sys, json, warnings
warnings.filterwarnings("ignore")
import anndata, numpy as np
a = anndata.read_h5ad(sys.argv[1]); i = anndata.read_h5ad(sys.argv[2])
c, ci = a.obsp["connectivities"], i.obsp.get("connectivities")
print(json.dumps({
  "cell_type": str(a.obs["cell_type"].dtype) if "cell_type" in a.obs else None,
  "cell_type_head": [str(x) for x in a.obs["cell_type"].head(2)] if "cell_type" in a.obs else None,
  "var_cats": sorted(k for k in a.var.columns if str(a.var[k].dtype) == "category"),
  "input_var_cats": sorted(k for k in i.var.columns if str(i.var[k].dtype) == "category"),
  "hv": int(a.var["highly_variable"].sum()), "hv_dtype": str(a.var["highly_variable"].dtype),
  "conn_shape": list(c.shape), "conn_sym": float(abs(c - c.T).max()),
  "conn_changed": None if ci is None else int((c != ci).nnz),
  "dist_per_row": int(a.obsp["distances"].getnnz(axis=1).max()),
  "neighbors": {k: (v.item() if hasattr(v, "item") else v) for k, v in a.uns["neighbors"]["params"].items()},
  "pcs": list(a.varm["PCs"].shape), "pcs_orth": float(abs(a.varm["PCs"].T @ a.varm["PCs"] - np.eye(a.varm["PCs"].shape[1])).max()),
  "pca_ratio0": float(a.uns["pca"]["variance_ratio"][0]),
  "raw": None if a.raw is None else list(a.raw.shape),
}))
`;

function check(out: string, input: string) {
  const r = spawnSync('/usr/bin/python3', ['-c', CHECK, out, input], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout);
}

describe.runIf(hasPythonAnndata())('scweb analyze saves a consistent AnnData', () => {
  it("scanpy's pbmc68k_reduced: the graph, HVGs and PCA are this run's; raw is kept", async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'scweb-state-')), 'p68.h5ad');
    expect(await main(['analyze', shared('data/pbmc68k_reduced.h5ad'), '--out', out, '--backend', 'cpu', '--n-top-genes', '300'])).toBe(0);
    const r = check(out, shared('data/pbmc68k_reduced.h5ad'));
    expect(r.conn_shape).toEqual([700, 700]);
    expect(r.conn_changed).toBeGreaterThan(0);
    expect(r.conn_sym).toBeLessThan(1e-6);
    expect(r.dist_per_row).toBe(14);
    expect(r.neighbors).toMatchObject({ n_neighbors: 15, method: 'umap', metric: 'euclidean' });
    expect(r.hv).toBe(300);
    expect(r.hv_dtype).toBe('bool');
    expect(r.pcs).toEqual([765, 50]);
    expect(r.pcs_orth).toBeLessThan(1e-4);
    expect(r.pca_ratio0).toBeGreaterThan(0);
    expect(r.raw).toEqual([700, 765]);
  }, 120_000);

  it("a Seurat conversion whose raw/X has more genes than X: markers say use_raw, the file's own PCA loadings go", async () => {
    const input = shared('data/format_variants/soma_pbmc-small.h5ad');
    const out = join(mkdtempSync(join(tmpdir(), 'scweb-state-')), 'soma.h5ad');
    expect(await main(['analyze', input, '--out', out, '--backend', 'cpu'])).toBe(0);
    const py = `
import sys, json, warnings
warnings.filterwarnings("ignore")
import anndata
a = anndata.read_h5ad(sys.argv[1]); i = anndata.read_h5ad(sys.argv[2])
names = {str(n) for row in a.uns["rank_genes_groups"]["names"] for n in row}
print(json.dumps({"use_raw": bool(a.uns["rank_genes_groups"]["params"]["use_raw"]), "in_raw": names <= set(a.raw.var_names), "in_var": len(names & set(a.var_names)), "n_names": len(names),
  "input_pcs": "PCs" in i.varm, "pcs": "PCs" in a.varm, "x_pca": list(a.obsm["X_pca"].shape), "n_vars": [a.n_vars, a.raw.n_vars]}))`;
    const r = spawnSync('/usr/bin/python3', ['-c', py, out, input], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const got = JSON.parse(r.stdout);
    // The analysis ran on raw/X (230 genes; X holds 20): scanpy's plots look the names up in raw.
    expect(got.n_vars).toEqual([20, 230]);
    expect(got.n_names).toBeGreaterThan(got.in_var);
    expect([got.use_raw, got.in_raw]).toEqual([true, true]);
    expect([got.input_pcs, got.pcs]).toEqual([true, false]);
    expect(got.x_pca[0]).toBe(80);
  }, 120_000);

  it('an anndata 0.7 file (CELLxGENE example) keeps its categoricals', async () => {
    const input = shared('data/format_variants/cellxgene_example_with_labels.h5ad');
    const out = join(mkdtempSync(join(tmpdir(), 'scweb-state-')), 'cxg.h5ad');
    expect(await main(['analyze', input, '--out', out, '--backend', 'cpu'])).toBe(0);
    const r = check(out, input);
    expect(r.cell_type).toBe('category');
    expect(r.cell_type_head).toEqual(['fibroblast', 'fibroblast']);
    expect(r.var_cats).toEqual(r.input_var_cats);
  }, 120_000);
});
