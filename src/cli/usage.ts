export class UsageError extends Error {}

export const USAGE = `scweb - single-cell analysis from the command line

Usage:
  scweb inspect FILE [FILE...] [--join inner|outer]
      Print a JSON summary of a dataset (.h5ad, 10x .h5, or a matrix.mtx folder / its files).
  IN, QUERY and REF are any dataset the reader takes: .h5ad, 10x .h5, or a matrix.mtx folder.
  IN and QUERY may be several (a.h5ad b.h5 sampleC/): they are joined into one dataset as
  anndata.concat(label='sample', keys=<file names>) joins them, without copying the matrices.
  obs/sample holds each cell's file name (without extension; a folder's name for an mtx folder, the
  sample folder above Cell Ranger's filtered_feature_bc_matrix/). Cell names that repeat across
  files become name-sample (anndata's index_unique='-'). --join inner (default): the genes every
  file has; outer: all genes, 0 where a file lacks one. Genes are matched by var name, or by
  Ensembl id (var/gene_ids) or symbol when the files name genes differently. obs columns: all of
  them (missing where a file lacks one); obsm: those every file has with the same width. Every file
  must have counts, or none. Output .h5ad of several inputs is a fresh file: X the joined counts
  (CSR), obs, var, obsm and the results (the files' layers, raw and uns are not carried over).
  scweb embed IN [IN...] --model DIR --out OUT.npy|OUT.h5ad [--gene-col NAME] [--max-length N]
              [--batch-size N] [--seed N] [--backend webgpu|wasm|cpu] [--threads N] [--counts KEY]
              [--part I/N] [--join inner|outer]
      scGPT cell embeddings (L2-normalised, rows in input order). DIR is a scGPT checkpoint folder
      (args.json, vocab.json, best_model.pt), a bundle made by \`scweb convert\`, or
      hf:OWNER/NAME[@REVISION] (e.g. hf:wanglab/scGPT-human): fetched from the model hub once,
      verified, converted and cached (see \`scweb models\`). .h5ad output is a fresh file: the input
      with obsm/X_scGPT added (or replaced).
      --part I/N embeds only cells [floor(I*N_cells/N), floor((I+1)*N_cells/N)) (0 <= I < N), reading
      only those rows, into a shard: OUT.npy plus its sidecar OUT.json (range, model checksum,
      options, input), for \`scweb merge\`. Each cell's random draws depend on (seed, cell index)
      only, so merged shards equal one whole run bit for bit.
  scweb merge SHARD... --out OUT.npy|OUT.h5ad [--into IN]
      Joins the shards (their .json or .npy) of one sharded embed into obsm/X_scGPT of a fresh copy
      of IN (as embed's .h5ad output), or a .npy. Refuses shards that disagree (input, model,
      seed, options, scWeb version) or that miss or repeat cells, naming the shards.
  scweb grn programs IN --model DIR|hf:OWNER/NAME --out programs.csv [--scores-out OUT.h5ad]
              [--n-hvg 1200] [--k 15] [--resolution 40] [--min-size 5] [--seed 0]
              [--flavor seurat|seurat_v3] [--gene-col NAME] [--counts KEY]
      scGPT's gene-embedding programs (Tutorial_GRN): the N most variable genes in the model's
      vocabulary (the analyze pipeline's HVG step; the tutorial uses seurat_v3), their embeddings
      LayerNorm(Embedding(id)), a kNN graph over them (scanpy's neighbors, k nearest, UMAP
      connectivities) and Leiden; programs are clusters of at least --min-size genes, numbered by
      size. programs.csv: gene,program (-1: in no program). --scores-out: a fresh copy of IN with
      obs/program_<n>_score, each program's scanpy score_genes (ctrl_size 50, n_bins 25, numpy
      seed --seed) min-max scaled to [0, 1] as scGPT does.
  scweb grn attention IN --model DIR --groupby COL --groups A,B --tf GENE[,GENE...] --out targets.csv
              [--panel FILE | --n-hvg N] [--top 20] [--by difference|a|b] [--layer -1] [--counts KEY]
              [--gene-col NAME] [--seed N] [--backend auto|webgpu|wasm|cpu] [--threads N] [--save-mean DIR]
      scGPT's attention GRN (its Tutorial_Attention_GRN): the panel is the TFs, then FILE's genes
      (one per line) or the N in-vocabulary genes of largest log-expression variance over the two
      groups (default: 1200 genes in all); each cell's tokens include zero genes; the chosen layer's
      raw q k^T per head is rank-normalised (rows, then columns), averaged over heads and over each
      group's cells. targets.csv: tf,rank,target,score,score_a,score_b, the top targets (rows of the
      TF's key column) by score = A minus B (--by a|b: by group A's or B's mean). --counts names
      the counts matrix (normalize_total 1e4 + log1p are applied to it). --save-mean DIR writes
      mean_A.npy, mean_B.npy ([M, M], token 0 is <cls>, token t is panel.txt line t) and panel.txt.
  scweb analyze IN [IN...] --out OUT.h5ad [--embedding pca|scgpt|OBSM_KEY] [--resolution R] [--seed N]
              [--n-neighbors K] [--flavor seurat|seurat_v3] [--n-top-genes N] [--min-genes N]
              [--min-cells N] [--max-pct-mt P] [--markers wilcoxon|t-test] [--backend webgpu|cpu]
              [--counts KEY] [--markers-csv FILE] [--threads N] [--no-scale] [--join inner|outer]
              [--umap-init spectral|pca] [--batch-key KEY[,KEY2] [--integrate pca|scgpt|OBSM_KEY] [--theta 2] [--max-iter-harmony 10]]
      The default scanpy-style pipeline (QC, normalize_total, log1p, HVG, scale, PCA, neighbors,
      Leiden, UMAP, markers). OUT is a fresh .h5ad: the input with obs/leiden, QC columns
      (total_counts, n_genes_by_counts, passes_qc, and total_counts_/pct_counts_ mt, ribo and hb
      for the genes found by symbol, var/feature_name on CELLxGENE files: MT-/mt-, RPS/RPL, HB as in
      scanpy's tutorial; var/mt, var/ribo, var/hb mark them), obsm/X_pca, obsm/X_umap,
      uns/leiden_colors and uns/rank_genes_groups in scanpy's layout (top 100 genes per cluster);
      keys the input already has are replaced, as scanpy would. --threads: workers for the CPU
      steps (default: all cores; same results for any N). --umap-init: UMAP's starting layout, pca
      (default: the first two principal components, umap-learn's init='pca') or spectral (scanpy's
      default: the graph's Laplacian eigenvectors, as umap-learn; slower; PCA if they do not converge).
      --batch-key: integrate over categorical obs column(s) (sample, when several inputs are joined):
      HVGs per batch of the first key (scanpy's highly_variable_genes(batch_key=...),
      var/highly_variable_nbatches and _intersection), PCA, Harmony over every key on --integrate
      (default the --embedding, X_pca) into obsm/X_pca_harmony (X_scGPT_harmony, OBSM_KEY_harmony),
      then neighbours, Leiden and UMAP (obsm/X_umap) on it. Refused, naming the column, for a
      numeric column, one value, or a batch under 3 cells.
  scweb integrate IN [IN...] --batch-key KEY[,KEY2] --out OUT.h5ad [--basis X_pca] [--theta 2] [--lambda 1]
              [--seed 0] [--max-iter 10] [--join inner|outer] [--threads N]
      Harmony batch integration (harmonypy's algorithm, float64) of obsm/BASIS over the obs batch
      column(s) KEY (categorical or string; several keys at once, --theta/--lambda one value or one
      per key). OUT is a fresh .h5ad: the input with obsm/BASIS_harmony added (or replaced). Prints
      the objective per iteration and progress within one. --seed: the k-means++ start and the
      block update orders. --threads: workers (default: all cores; same results for any N). A
      numeric batch column, a column with one value or with batches of fewer than 3 cells, and
      NaN or infinite coordinates are refused before anything is computed.
  scweb annotate QUERY [QUERY...] [--method logreg] --reference REF --label-col NAME --out OUT.csv|OUT.h5ad
              [--multi-class multinomial|ovr] [--c 1] [--feature-selection [--top-genes 300]]
              [--solver auto|lbfgs|sgd] [--model-out MODEL.json|MODEL.pkl] [--min-confidence 0.5] [--seed 0]
              [--threads N] [--backend auto|webgpu|cpu] [--join inner|outer] [--majority-voting [--over-clustering COL] [--min-prop 0]]
      Label transfer (the default method) by L2 logistic regression on log1p(CP10k) of REF's genes
      shared with QUERY (matched by name), CellTypist's recipe: genes without counts in REF
      dropped, StandardScaler, scaled values above 10 clipped; sklearn's objective (summed log-loss +
      ||W||^2/2C, intercepts unpenalised), multinomial (softmax) or one-vs-rest (CellTypist's);
      L-BFGS up to 100k reference cells, mini-batch SGD with early stopping above (--solver forces
      one). --feature-selection: a first fit, the --top-genes genes of largest |coefficient| per
      label, united, a second fit. 10% of REF (stratified, --seed) is held back: the
      probabilities' temperature is fitted on it, and its accuracy, macro-F1 and calibration error
      (ECE, 15 bins) are printed. Adds predicted_NAME ("unassigned" below --min-confidence) and
      predicted_NAME_confidence (calibrated probability); when QUERY has a NAME column too, accuracy,
      macro-F1 and per-label precision/recall against it are printed. --model-out writes the trained
      model (genes, scaler, coefficients, temperature) as scWeb JSON or as a CellTypist .pkl (for
      CellTypist or --method celltypist). --threads: workers for the training (same result for any N).
      --backend: where the training's gradient runs; auto: a hardware GPU for references of at least
      1e8 cells x genes x labels (float32 there, finished in float64 on the CPU), else the CPU;
      webgpu: any adapter at any size; cpu: the CPU pool.
  scweb annotate QUERY [QUERY...] [--method knn] --reference REF --label-col NAME --out OUT.csv|OUT.h5ad
              [--embedding pca|scgpt --model DIR|hf:OWNER/NAME] [--k 10] [--min-confidence 0.5] [--weighted true]
              [--join inner|outer] [--majority-voting [--over-clustering COL] [--min-prop 0]]
      Reference mapping: cosine kNN vote in the reference's PCA (query projected; genes matched by
      symbol) or in X_scGPT. Adds predicted_NAME (with "unassigned" below the confidence) and
      predicted_NAME_confidence (and, when QUERY has a NAME column, prints accuracy, macro-F1 and
      per-label precision/recall against it); CSV has cell_id and those two columns, .h5ad is a
      fresh file: the query with those columns added (or replaced).
  scweb annotate QUERY [QUERY...] [--method celltypist] --celltypist MODEL.pkl|NAME --out OUT.csv|OUT.h5ad
              [--mode best|prob] [--p-thres 0.5] [--majority-voting [--over-clustering COL] [--min-prop 0]]
              [--prefix P] [--matrices DIR] [--join inner|outer]
      celltypist.annotate: a CellTypist model (.pkl, read without running Python: only numpy and
      sklearn LogisticRegression/SGDClassifier/StandardScaler are accepted inside it) or a model of
      CellTypist's registry by NAME (e.g. Immune_All_Low; public/celltypist-models.json), downloaded
      once from $CELLTYPIST_ENDPOINT (default https://celltypist.cog.sanger.ac.uk) into $SCWEB_CACHE.
      The query's counts are normalised to 10,000 per cell and log1p'd (or its log1p(CP10k) X/raw/X
      used, or CP10k values log1p'd); genes matched by name (then via symbols/Ensembl ids), scaled,
      clipped at 10. --mode best: the largest decision; prob: every cell type with probability
      above --p-thres ("Unassigned" when none). --majority-voting: each cluster of COL (default:
      Leiden at CellTypist's resolution, 5 to 30 by cell count) takes its most common label
      ("Heterogeneous" below --min-prop). Adds predicted_labels, over_clustering, majority_voting
      and conf_score (prefixed by P); --matrices DIR writes decision_matrix.csv and
      probability_matrix.csv.
  scweb annotate QUERY [QUERY...] --method scgpt-head --reference REF --label-col NAME --model DIR|hf:OWNER/NAME
              --out OUT.csv|OUT.h5ad [--epochs 10] [--lr 1e-4] [--batch-size 32] [--unfreeze-last]
              [--min-confidence 0.5] [--holdout 0.1] [--seed 0] [--probabilities] [--backend auto|webgpu|wasm|cpu]
              [--threads N] [--gene-col COL] [--max-length 1200] [--join inner|outer] [--head-out HEAD.pt]
              [--majority-voting [--over-clustering COL] [--min-prop 0]]
  scweb annotate QUERY [QUERY...] --method scgpt-head --head HEAD.pt --model DIR|hf:OWNER/NAME --out OUT.csv|OUT.h5ad
              [--min-confidence 0.5] [--probabilities] [--backend auto|webgpu|wasm|cpu] [--threads N] [--gene-col COL]
              [--join inner|outer] [--majority-voting [--over-clustering COL] [--min-prop 0]]
      scGPT's classifier head (ClsDecoder: 2 x [Linear, ReLU, LayerNorm], Linear) trained on the
      reference's <cls> cell embeddings as scGPT's annotation tutorial does (cross-entropy, Adam with
      eps 1e-8 and no weight decay, batches of 32 in a seeded order, lr x 0.9 after each epoch);
      --unfreeze-last trains the encoder's last layer too. A stratified --holdout share of the
      reference is held back: its accuracy is printed after each epoch, with macro-F1 at the end.
      Adds predicted_NAME (the most probable label, "unassigned" below --min-confidence) and
      predicted_NAME_confidence (its softmax probability); --probabilities adds
      predicted_NAME_prob_LABEL for every label. Same seed and inputs, same result. --head-out saves
      the trained head as a .pt (torch.load opens it: scGPT's state-dict names, the labels, the
      encoder's fingerprint, the tokenization); --head annotates with a saved head, no training
      (its label column and tokenization come with it; a head of another encoder is refused).
      --majority-voting (logreg, knn, scgpt-head, celltypist): CellTypist's majority voting. Each
      cluster of COL (default: Leiden at CellTypist's resolution on the query's graph) takes the
      label most of its cells were given ("Heterogeneous" below --min-prop); adds
      predicted_NAME_over_clustering and predicted_NAME_majority_voting (celltypist:
      over_clustering, majority_voting) and, when QUERY has a NAME column, the voted labels'
      evaluation. "unassigned" cells and cells without a prediction do not vote but take their
      cluster's label (CellTypist's "Unassigned" votes, as in CellTypist). 50 cells or fewer: no vote.
  scweb metrics IN --basis OBSM_KEY --batch-key KEY [--label-col COL] [--out per_cell.csv]
              [--before OBSM_KEY] [--perplexity 30] [--threads N]
      Batch-integration metrics of the embedding obsm/OBSM_KEY (e.g. X_pca, a Harmony result):
      LISI per cell as harmonypy's compute_lisi (90 nearest neighbours, Euclidean, perplexity 30):
      iLISI on the batch column (1: one batch around a cell; up to the number of batches) and cLISI
      on the label column (near 1: cell types stay apart); scIB's batch ASW (1: batches mixed),
      label ASW ((s + 1) / 2) and graph connectivity (kNN graph, k = 15). Prints a JSON summary
      (medians, ASWs, connectivity, a one-line reading; --before: the same for another basis and a
      before -> after reading). --out: cell_id, lisi_KEY and lisi_COL per cell. Batch and label
      columns must be categorical (or text) with at least 2 values, every cell labelled and every
      category at least 3 cells; the embedding must be finite. Exact distances: O(cells^2), per cell
      on --threads workers (default: all cores; same results for any N).
  scweb convert CKPT_DIR OUT_DIR [--dtype f32|f16]
      Convert a scGPT checkpoint into an scWeb bundle (manifest + shards) for public/weights/.
  scweb serve [--port 8080] [--host localhost] [--data DIR] [--s3-bucket B --s3-endpoint URL
              --s3-region R --s3-prefix shares/] [--max-upload 2GiB] [--max-range-response 8MiB]
              [--base-url URL] [--expires-days 90] [--rate-limit 30] [--rate-window 1h]
              [--check-timeout 20] [--trust-proxy true] [--app DIR]
      Serve the built app (dist/) and the share API (server/README.md). Shares are kept under
      DIR/shares (default ~/.local/share/scweb) or in the S3 bucket. --rate-limit: shares one
      client address may create per --rate-window (1h, 10m, 90s or seconds), counted in this
      process only (several instances: limit at the proxy); refused uploads do not count; 0: no
      limit. --max-range-response: the most a snapshot request with a Range header this server
      does not honour (malformed, another unit) can get; past it such requests get 416.
      --check-timeout: seconds the check of one plain upload (opened with HDF5 on a worker
      thread) may take; a damaged file that makes HDF5 loop is stopped there and refused. --port 0
      picks a free port (printed). Environment: SCWEB_DATA, SCWEB_S3_BUCKET, SCWEB_S3_ENDPOINT,
      SCWEB_S3_REGION, SCWEB_MAX_UPLOAD, SCWEB_RATE_WINDOW, ... (each flag as SCWEB_NAME); AWS
      credentials the SDK's usual way.
  scweb share create FILE.h5ad --server URL [--public] [--expires 30d] [--name NAME] [--genes hvg+markers|all|none]
      Upload FILE as a read-only share on a \`scweb serve\` server. Encrypted (AES-256-GCM) unless
      --public; the key exists only in the printed link (after #k=). Prints JSON {url, id,
      ownerToken, expiresAt, bytes}; keep ownerToken to delete the share.
  scweb share get LINK --out FILE.h5ad
      Download a share and decrypt it with the key in the link.
  scweb share delete LINK --token OWNER_TOKEN
      Delete a share you created.
  scweb models list | pull NAME | rm NAME
      The model registry (public/models.json) and the local cache. NAME is a registry name
      (scgpt-human) or hf:OWNER/NAME[@REVISION]. Downloads go to $SCWEB_CACHE (default
      ~/.cache/scweb) from $HF_ENDPOINT (default https://huggingface.co): followed redirects,
      progress on stderr, resumed after a dropped connection (or a stopped run), size and SHA-256
      checked against what the hub states, converted once to an f16 bundle. --model
      hf:... anywhere a model is taken does the same.
  scweb help

Any command takes --verbose: for a damaged file, also print HDF5's own error stack.
Any command takes --h5-timeout SECONDS (or SCWEB_H5_TIMEOUT; default 30, 0: off): a damaged file
that makes HDF5 loop inside one read ends the command after that long, with the file and the
object named and exit status 1 (the command runs in a child process that scweb watches).

--backend: auto (the default) uses a hardware GPU when there is one, else the CPU; a software
renderer (SwiftShader, llvmpipe) is slower than the CPU and is used only with --backend webgpu.
For the scGPT encoder and the attention GRN the CPU means wasm: float32 on tfjs's WebAssembly backend (SIMD, --threads N
threads, default: the available cores; the same bits whatever N); --backend cpu is the exact
float64 reference encoder, 20-40x slower (bench/RESULTS.md).
WebGPU in Node uses Dawn and the system's Vulkan driver; without a GPU, SwiftShader works with
  LD_LIBRARY_PATH=/usr/lib/chromium VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json

Exit status: 0 on success, 1 when an input cannot be read, a model does not fit or a step fails,
2 on a usage error (only then is this text printed).`;
