# CELLxGENE-style files for the QC gene sets, and what numpy computes from them as scanpy's tutorial
# does (var["mt"] = startswith("MT-"), ribo = startswith(("RPS", "RPL")), hb = contains("^HB[^(P)]"),
# then calculate_qc_metrics(qc_vars=["mt", "ribo", "hb"])):
#   cxg_qc.py SHARED_DATA OUT_DIR
# cxg_pbmc10k.h5ad: the real counts of scvi-tools' pbmc_10k_protein_v3 (200 cells, dense float32
# counts in the original), re-indexed as CELLxGENE files are: Ensembl ids (GENCODE v44, genes with
# no unique id dropped) in the var index, symbols in a categorical var/feature_name, X as CSR float32.
# mouse_symbols.h5ad: the same counts with the symbols written the mouse way (mt-Nd1, Rps3, Hbb) in
# the var index. expected.json: per file, gene counts per set and per-cell totals and percentages.
import json, sys
import numpy as np, pandas as pd, anndata as ad, scipy.sparse as sp

data, out = sys.argv[1], sys.argv[2]
src = ad.read_h5ad(f"{data}/format_variants/scvi_pbmc10k_protein_200x16727_denseX.h5ad")
ids = pd.read_csv(f"{data}/gene_maps/GENCODEv44_Gene_id2name.csv", header=None, names=["id", "symbol"])
ids = ids[~ids.symbol.duplicated(keep=False)].set_index("symbol")["id"]
symbols = pd.Index(src.var_names)
keep = symbols.isin(ids.index)
symbols = symbols[keep]
X = np.asarray(src.X, dtype=np.float32)[:, keep]
obs = pd.DataFrame(index=[str(c) for c in src.obs_names])
var = pd.DataFrame({"feature_name": pd.Categorical(symbols)}, index=pd.Index(ids[symbols].values, name="gene_ids"))
ad.AnnData(X=sp.csr_matrix(X), obs=obs, var=var, dtype=np.float32).write_h5ad(f"{out}/cxg_pbmc10k.h5ad")

def mouse(s):
    # MT-ND1 -> mt-Nd1, RPS3 -> Rps3, HBB -> Hbb, as MGI writes them.
    return "mt-" + s[3:].capitalize() if s.startswith("MT-") else s.capitalize()
msym = pd.Index([mouse(s) for s in symbols])
assert msym.is_unique
ad.AnnData(X=sp.csr_matrix(X), obs=obs, var=pd.DataFrame(index=msym), dtype=np.float32).write_h5ad(f"{out}/mouse_symbols.h5ad")

def qc(names, sets):
    Xd = X.astype(np.float64)
    total = Xd.sum(axis=1)
    res = {"total_counts": total.tolist()}
    for name, mask in sets.items():
        t = Xd[:, mask.values].sum(axis=1)
        res[name] = {"n": int(mask.sum()), "genes": list(names[mask.values]), "total_counts": t.tolist(), "pct_counts": (t / total * 100).tolist()}
    return res

s = symbols.to_series()
m = msym.to_series()
json.dump({
    "n_genes": int(keep.sum()),
    "cxg": qc(symbols, {"mt": s.str.startswith("MT-"), "ribo": s.str.startswith(("RPS", "RPL")), "hb": s.str.contains("^HB[^(P)]")}),
    "mouse": qc(msym, {"mt": m.str.startswith("mt-"), "ribo": m.str.startswith(("Rps", "Rpl")), "hb": m.str.contains("^Hb[^(p)]")}),
}, open(f"{out}/expected.json", "w"))
