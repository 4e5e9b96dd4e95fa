# Parts of real files to join, and what anndata.concat makes of them:
#   concat_parts.py SHARED_DATA_DIR OUT_DIR
# From pbmc68k_reduced_with_counts.h5ad (700 cells x 765 genes, counts in layers/counts):
#   a.h5ad: cells 0-299, genes 0-699; no obs/louvain, an extra obs/only_a; obsm X_pca and X_umap.
#   b.h5ad: cells 300-699, genes 65-764 in reverse order; its first 10 obs names are a's (so names
#           collide); obs/note (strings); obsm X_pca only.
#   c.h5ad: cells 0-199, all genes, the counts in X (no layers), other obs names.
#   nocounts.h5ad: cells 0-99 of pbmc68k_reduced.h5ad (no counts anywhere).
#   mouse.h5ad: a's cells with genes renamed gene0.. (no gene shared with the others).
#   csc_a.h5ad, csc_b.h5ad: a's and b's counts as X stored CSC.
# expected_<inner|outer>.json: anndata.concat([a, b], join, label='sample', keys=['a', 'b'],
# index_unique='-') of the counts (X = layers/counts): obs names, sample, var names, X as sorted CSR,
# obs columns as text. expected_10x.json: the same (inner, no renaming needed) for the 10x v3 .h5
# and its MatrixMarket folder, both read here with h5py / scipy as scanpy's readers do.
import gzip, json, sys
import h5py, numpy as np, pandas as pd, anndata as ad, scipy.io, scipy.sparse as sp

data, out = sys.argv[1], sys.argv[2]
full = ad.read_h5ad(f"{data}/pbmc68k_reduced_with_counts.h5ad")
# The file's int32 data with int64 indptr: scipy cannot slice that mix.
L = full.layers["counts"]
full.layers["counts"] = sp.csr_matrix((L.data, L.indices.astype(np.int32), L.indptr.astype(np.int32)), shape=L.shape)

def part(cells, genes):
    p = full[cells][:, genes].copy()
    p.obsp = {}
    p.uns = {}
    p.varm = {}
    return p

a = part(list(range(0, 300)), list(range(0, 700)))
del a.obs["louvain"]
a.obs["only_a"] = np.arange(a.n_obs, dtype=np.float64) / 10
b = part(list(range(300, 700)), list(range(764, 64, -1)))
b.obs_names = list(a.obs_names[:10]) + list(b.obs_names[10:])
b.obs["note"] = ["b%d" % (i % 3) for i in range(b.n_obs)]
del b.obsm["X_umap"]
c = part(list(range(0, 200)), list(range(765)))
c = ad.AnnData(X=c.layers["counts"].astype(np.int32), obs=c.obs, var=c.var, dtype=np.int32)
c.obs_names = ["c%d" % i for i in range(c.n_obs)]
for name, p in [("a", a), ("b", b), ("c", c)]:
    p.write_h5ad(f"{out}/{name}.h5ad")
# The same counts stored gene-major (CSC), where one gene reads alone.
for name, p in [("a", a), ("b", b)]:
    ad.AnnData(X=sp.csc_matrix(p.layers["counts"]), obs=pd.DataFrame(index=p.obs_names), var=pd.DataFrame(index=p.var_names), dtype=np.int32).write_h5ad(f"{out}/csc_{name}.h5ad")
nc = ad.read_h5ad(f"{data}/pbmc68k_reduced.h5ad")[:100].copy()
nc.obsp = {}
nc.write_h5ad(f"{out}/nocounts.h5ad")
mouse = a.copy()
mouse.var_names = ["gene%d" % j for j in range(mouse.n_vars)]
mouse.raw = None
mouse.write_h5ad(f"{out}/mouse.h5ad")

def csr(m):
    m = sp.csr_matrix(m)
    m.sort_indices()
    return {"indptr": m.indptr.tolist(), "indices": m.indices.tolist(), "data": m.data.astype(np.float64).tolist()}

def summary(joined):
    obs = {}
    for col in joined.obs.columns:
        s = joined.obs[col]
        obs[col] = [None if pd.isna(v) else str(v) for v in s.tolist()]
    return {"obs_names": joined.obs_names.tolist(), "sample": [str(v) for v in joined.obs["sample"]], "var_names": joined.var_names.tolist(), "X": csr(joined.X), "obs": obs}

counts = [ad.AnnData(X=p.layers["counts"], obs=p.obs, var=p.var, dtype=np.int32) for p in (a, b)]
for join in ("inner", "outer"):
    j = ad.concat(counts, join=join, label="sample", keys=["a", "b"], index_unique="-")
    json.dump(summary(j), open(f"{out}/expected_{join}.json", "w"))

# 10x: the .h5 (genes x cells CSC = cells x genes CSR) and the MatrixMarket folder, as scanpy reads them.
with h5py.File(f"{data}/10x/v3_filtered_feature_bc_matrix.h5", "r") as f:
    m = f["matrix"]
    n_genes, n_cells = m["shape"][()]
    X = sp.csr_matrix((m["data"][()], m["indices"][()], m["indptr"][()]), shape=(n_cells, n_genes))
    barcodes = [x.decode() for x in m["barcodes"][()]]
    ids = [x.decode() for x in m["features/id"][()]]
    names = [x.decode() for x in m["features/name"][()]]
h5 = ad.AnnData(X=X, obs=pd.DataFrame(index=barcodes), var=pd.DataFrame({"gene_ids": ids}, index=names), dtype=np.float32)
h5.var_names_make_unique()
folder = f"{data}/10x/v3_filtered_feature_bc_matrix"
mx = scipy.io.mmread(gzip.open(f"{folder}/matrix.mtx.gz")).T.tocsr()
feats = [l.rstrip("\n").split("\t") for l in gzip.open(f"{folder}/features.tsv.gz", "rt")]
bcs = [l.strip() for l in gzip.open(f"{folder}/barcodes.tsv.gz", "rt")]
mtx = ad.AnnData(X=mx, obs=pd.DataFrame(index=bcs), var=pd.DataFrame({"gene_ids": [r[0] for r in feats]}, index=[r[1] for r in feats]), dtype=np.float32)
mtx.var_names_make_unique()
keys = ["v3_filtered_feature_bc_matrix", "v3_filtered_feature_bc_matrix-1"]
j = ad.concat([h5, mtx], join="inner", label="sample", keys=keys, index_unique="-")
json.dump(summary(j), open(f"{out}/expected_10x.json", "w"))
