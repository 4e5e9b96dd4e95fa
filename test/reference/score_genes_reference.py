"""A restatement of scanpy's tl.score_genes (scanpy 1.10/1.11, src/scanpy/tools/_score_genes.py,
ctrl_as_ref=True, sparse X) in numpy and pandas, which is what scanpy itself runs: np.random.seed,
pandas rank(method='min') // n_items bins, Series.sample for the control genes, index
difference/union, sparse means in float64. scanpy is not installed here; this keeps its arithmetic
and its random calls line for line. Also prints numpy's legacy permutations for the RNG test.

argv: DIR holding indptr.json, indices.json, data.npy (float32), shape.json and cases.json; prints JSON."""
import json
import sys

import numpy as np
import pandas as pd

d = sys.argv[1]
indptr = np.array(json.load(open(f"{d}/indptr.json")), dtype=np.int64)
indices = np.array(json.load(open(f"{d}/indices.json")), dtype=np.int64)
data = np.load(f"{d}/data.npy")
n_rows, n_cols = json.load(open(f"{d}/shape.json"))
cases = json.load(open(f"{d}/cases.json"))
var_names = pd.Index([f"G{i:05d}" for i in range(n_cols)])


def col_means(cols):
    # scanpy's _get_sparce_nanmean_indices on X[:, cols]: float64 sums in stored order / n_rows.
    sums = np.bincount(indices, weights=data.astype(np.float64), minlength=n_cols)
    return sums[cols] / n_rows


def row_means(cols):
    # _get_sparce_nanmean_indptr on X[:, cols]: per row, sum of the row's entries in those columns / len(cols).
    keep = np.zeros(n_cols, dtype=bool)
    keep[cols] = True
    out = np.empty(n_rows)
    for r in range(n_rows):
        s, e = indptr[r], indptr[r + 1]
        sel = keep[indices[s:e]]
        out[r] = data[s:e][sel].astype(np.float64).sum() / len(cols)
    return out


def score_genes(gene_list, ctrl_size, gene_pool, n_bins, random_state):
    np.random.seed(random_state)
    gene_list = pd.Index(gene_list).intersection(var_names)
    gene_pool = var_names.astype("string") if gene_pool is None else pd.Index(gene_pool, dtype="string").intersection(var_names)
    obs_avg = pd.Series(col_means(var_names.get_indexer(gene_pool)), index=gene_pool)
    obs_avg = obs_avg[np.isfinite(obs_avg)]
    n_items = int(np.round(len(obs_avg) / (n_bins - 1)))
    with np.errstate(divide="ignore"):
        obs_cut = obs_avg.rank(method="min") // n_items
    control_genes = pd.Index([], dtype="string")
    for cut in np.unique(obs_cut.loc[gene_list]):
        r_genes = obs_cut[obs_cut == cut].index
        if ctrl_size < len(r_genes):
            r_genes = r_genes.to_series().sample(ctrl_size).index
        r_genes = r_genes.difference(gene_list)
        control_genes = control_genes.union(r_genes)
    score = row_means(var_names.get_indexer(gene_list)) - row_means(var_names.get_indexer(control_genes))
    return sorted(int(i) for i in var_names.get_indexer(control_genes)), score.tolist()


out = {"cases": [], "permutations": []}
for c in cases["score"]:
    pool = None if c["pool"] is None else [var_names[i] for i in c["pool"]]
    control, score = score_genes([var_names[i] for i in c["genes"]], c["ctrl_size"], pool, c["n_bins"], c["seed"])
    out["cases"].append({"control": control, "scores": score})
for p in cases["permutations"]:
    np.random.seed(p["seed"])
    out["permutations"].append([np.random.permutation(n).tolist() for n in p["sizes"]])
print(json.dumps(out))
