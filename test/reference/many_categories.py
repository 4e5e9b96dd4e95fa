# A .h5ad of N cells whose obs has a categorical column with N unique categories (and a small
# categorical, a float and an int column): many_categories.py N OUT. For the open-memory test.
import sys, numpy as np, pandas as pd, anndata as ad, scipy.sparse as sp
n = int(sys.argv[1]); out = sys.argv[2]
rng = np.random.default_rng(0)
names = np.array([f"bc-{i:09d}" for i in range(n)], dtype=object)
obs = pd.DataFrame(index=pd.Index([f"cell{i:09d}" for i in range(n)]))
obs["barcode"] = pd.Categorical(names[rng.permutation(n)])
obs["batch"] = pd.Categorical(rng.choice(["a", "b", "c"], n))
obs["score"] = rng.random(n).astype(np.float32)
obs["n"] = rng.integers(0, 100, n)
X = sp.csr_matrix((n, 5), dtype=np.float32)
a = ad.AnnData(X=X, obs=obs, var=pd.DataFrame(index=[f"g{i}" for i in range(5)]))
a.write_h5ad(out)
