export class UsageError extends Error {}

export const USAGE = `scweb - single-cell analysis from the command line

Usage:
  scweb inspect FILE [FILE...]
      Print a JSON summary of a dataset (.h5ad, 10x .h5, or a matrix.mtx folder / its files).
  scweb embed IN.h5ad --model DIR --out OUT.npy|OUT.h5ad [--gene-col NAME] [--max-length N]
              [--batch-size N] [--seed N] [--backend webgpu|cpu] [--counts KEY]
      scGPT cell embeddings (L2-normalised, rows in input order). DIR is a scGPT checkpoint folder
      (args.json, vocab.json, best_model.pt) or a bundle made by \`scweb convert\`. .h5ad output is
      the input file with obsm/X_scGPT added.
  scweb analyze IN.h5ad --out OUT.h5ad [--embedding pca|scgpt|OBSM_KEY] [--resolution R] [--seed N]
              [--n-neighbors K] [--flavor seurat|seurat_v3] [--n-top-genes N] [--min-genes N]
              [--min-cells N] [--max-pct-mt P] [--markers wilcoxon|t-test] [--backend webgpu|cpu]
              [--counts KEY] [--markers-csv FILE]
      The default scanpy-style pipeline (QC, normalize_total, log1p, HVG, scale, PCA, neighbors,
      Leiden, UMAP, markers). OUT is the input plus obs/leiden and QC columns, obsm/X_pca,
      obsm/X_umap and uns/rank_genes_groups (top 100 genes per cluster: names, scores,
      logfoldchanges, pvals_adj as [100, n_clusters] arrays). Names the input already has get a
      _scweb suffix (reported).
  scweb annotate QUERY.h5ad --reference REF.h5ad --label-col NAME --out OUT.csv|OUT.h5ad
              [--embedding pca|scgpt --model DIR] [--k 10] [--min-confidence 0.5] [--weighted true]
      Reference mapping: cosine kNN vote in the reference's PCA (query projected; genes matched by
      symbol) or in X_scGPT. Adds predicted_NAME (with "unassigned" below the confidence) and
      predicted_NAME_confidence; CSV has cell_id and those two columns.
  scweb convert CKPT_DIR OUT_DIR [--dtype f32|f16]
      Convert a scGPT checkpoint into an scWeb bundle (manifest + shards) for public/weights/.
  scweb help

WebGPU in Node uses Dawn and the system's Vulkan driver; without a GPU, SwiftShader works with
  LD_LIBRARY_PATH=/usr/lib/chromium VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json

Exit status: 0 on success, 1 when an input cannot be read or a model does not fit, 2 on a usage error.`;
