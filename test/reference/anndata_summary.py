"""Reads an .h5ad with the system's anndata (Debian python3-anndata) and prints what the scWeb
tests check as JSON: column dtypes, categoricals, uns colours, obsm shapes, rank_genes_groups."""
import json
import sys

import anndata
import numpy as np

adata = anndata.read_h5ad(sys.argv[1])


def frame(df):
    return {c: str(df[c].dtype) for c in df.columns}


def cats(df):
    return {c: {"ordered": bool(df[c].cat.ordered), "categories": [str(x) for x in df[c].cat.categories]}
            for c in df.columns if str(df[c].dtype) == "category"}


def plain(v):
    """numpy scalars and one-element arrays (older scanpy's params) as Python values."""
    if isinstance(v, np.ndarray):
        return v.item() if v.size == 1 else v.tolist()
    return v.item() if isinstance(v, np.generic) else v


out = {
    "anndata": anndata.__version__,
    "shape": list(adata.shape),
    "obs": frame(adata.obs),
    "var": frame(adata.var),
    "obs_categoricals": cats(adata.obs),
    "obsm": {k: list(v.shape) for k, v in adata.obsm.items()},
    "layers": list(adata.layers.keys()),
    "obsp": list(adata.obsp.keys()),
    "uns": sorted(adata.uns.keys()),
    "colors": {k: [str(x) for x in v] for k, v in adata.uns.items() if k.endswith("_colors")},
}
rgg = adata.uns.get("rank_genes_groups")
if rgg is not None:
    names = rgg["names"]
    groups = list(names.dtype.names)
    # What sc.get.rank_genes_groups_df does: one field per group, indexed by group name.
    out["rank_genes_groups"] = {
        "params": {k: plain(v) for k, v in rgg["params"].items()},
        "keys": sorted(k for k in rgg.keys() if k != "params"),
        "groups": groups,
        "n_genes": int(names.shape[0]),
        "dtypes": {k: str(rgg[k].dtype[0]) for k in rgg.keys() if k != "params"},
        "top": {g: [str(x) for x in names[g][:3]] for g in groups},
        "scores_top": {g: float(rgg["scores"][g][0]) for g in groups},
    }
json.dump(out, sys.stdout)
