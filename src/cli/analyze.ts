// `scweb analyze`: the default pipeline from the command line. Writes a fresh .h5ad holding the
// input's content with what scanpy's pipeline would add or replace: obs/leiden and QC columns,
// obsm/X_pca, obsm/X_umap and uns/rank_genes_groups (markers per cluster, scanpy's layout).
// Several inputs are joined into one dataset first (io/concat.ts; obs/sample names each cell's file).
// With --batch-key: HVGs per batch, Harmony on the chosen embedding (obsm/X_pca_harmony, as
// harmony_integrate names it) and the graph, Leiden and UMAP on the corrected one.
import { writeFile } from 'node:fs/promises';
import { analysisDevice } from '../analysis/gpu-device.ts';
import { DEFAULT_PARAMS, Pipeline, type PipelineParams } from '../analysis/pipeline.ts';
import { qcGeneSummary } from '../analysis/qc.ts';
import { scanpyResults } from '../analysis/scanpy-results.ts';
import { analysisReport, integrationLine, markerTable, markerTableCsv } from '../analysis/report.ts';
import { nodeH5Runtime } from '../io/h5/node-runtime.ts';
import { writeWithResults } from '../io/h5ad/results.ts';
import { fileBytes } from '../io/node.ts';
import { openCliInputs } from './inputs.ts';
import { geneLabels } from '../io/gene-symbols.ts';
import { detectBackend } from '../model/backend.ts';
import { installNodeWebGPU } from '../model/node-gpu.ts';
import { loadEnsemblMap } from '../model/node-model.ts';
import { nodePool } from '../analysis/pool-node.ts';
import { intFlag, parseArgs, threadsFlag } from './args.ts';
import { UsageError } from './usage.ts';

export async function analyzeCommand(argv: string[]): Promise<number> {
  const p = parseArgs(argv, ['out', 'embedding', 'resolution', 'seed', 'n-neighbors', 'n-top-genes', 'flavor', 'min-genes', 'min-cells', 'max-pct-mt', 'markers', 'backend', 'counts', 'markers-csv', 'threads', 'join', 'batch-key', 'integrate', 'theta', 'max-iter-harmony', 'umap-init'], ['no-scale']);
  const inputs = p.positionals;
  const [input] = inputs;
  const out = p.flags.get('out');
  if (!input || !out) throw new UsageError('analyze needs an input (.h5ad, 10x .h5 or an mtx folder; several are joined into one) and --out OUT.h5ad');
  if (!out.endsWith('.h5ad')) throw new UsageError('--out must end in .h5ad');
  const num = (name: string, dflt: number) => {
    const v = p.flags.get(name);
    if (v === undefined) return dflt;
    const n = Number(v);
    if (!Number.isFinite(n)) throw new UsageError(`--${name} must be a number, got "${v}"`);
    return n;
  };
  const repName = (r: string) => (r === 'pca' ? 'X_pca' : r === 'scgpt' ? 'X_scGPT' : r);
  const keyText = p.flags.get('batch-key');
  const batchKeys = keyText === undefined ? [] : keyText.split(',').map((k) => k.trim()).filter(Boolean);
  if (keyText !== undefined && batchKeys.length === 0) throw new UsageError('--batch-key needs at least one obs column (KEY or KEY1,KEY2)');
  const integrate = p.flags.get('integrate');
  if (integrate !== undefined && batchKeys.length === 0) throw new UsageError('--integrate needs --batch-key: Harmony integrates over the batch key(s)');
  const embedding = p.flags.get('embedding');
  if (integrate !== undefined && embedding !== undefined && repName(integrate) !== repName(embedding)) {
    throw new UsageError(`--integrate ${integrate} and --embedding ${embedding} disagree: the graph is built on the integrated embedding (give one of them)`);
  }
  const rep = integrate ?? embedding ?? 'pca';
  const theta = num('theta', DEFAULT_PARAMS.batch.theta);
  if (!(theta >= 0)) throw new UsageError(`--theta must be a non-negative number, got "${p.flags.get('theta')}"`);
  const maxIterHarmony = intFlag(p, 'max-iter-harmony', DEFAULT_PARAMS.batch.maxIter);
  if (maxIterHarmony < 1) throw new UsageError('--max-iter-harmony must be at least 1');
  const flavor = p.flags.get('flavor') ?? 'seurat';
  if (flavor !== 'seurat' && flavor !== 'seurat_v3') throw new UsageError('--flavor must be seurat or seurat_v3');
  const method = p.flags.get('markers') ?? 'wilcoxon';
  if (method !== 'wilcoxon' && method !== 't-test') throw new UsageError('--markers must be wilcoxon or t-test');
  const backend = p.flags.get('backend') ?? 'auto';
  if (backend !== 'auto' && backend !== 'webgpu' && backend !== 'cpu') throw new UsageError('--backend must be webgpu, cpu or auto');
  const seed = intFlag(p, 'seed', 0);
  const umapInit = p.flags.get('umap-init') ?? 'pca';
  if (umapInit !== 'spectral' && umapInit !== 'pca') throw new UsageError('--umap-init must be spectral or pca');
  const params: PipelineParams = {
    ...DEFAULT_PARAMS,
    counts: p.flags.get('counts'),
    filter: { minGenes: num('min-genes', 0), minCounts: 0, maxPctMt: num('max-pct-mt', 100), minCells: num('min-cells', 3) },
    hvg: { flavor, nTopGenes: intFlag(p, 'n-top-genes', 2000) },
    scale: { enabled: p.flags.get('no-scale') === undefined, maxValue: 10 },
    neighbors: { ...DEFAULT_PARAMS.neighbors, useRep: repName(rep), nNeighbors: intFlag(p, 'n-neighbors', 15) },
    leiden: { resolution: num('resolution', 1), seed },
    umap: { ...DEFAULT_PARAMS.umap, seed, init: umapInit },
    markers: { method },
    batch: { keys: batchKeys, theta, maxIter: maxIterHarmony, seed },
    device: backend,
  };
  const threads = threadsFlag(p);
  const log = (m: string) => process.stderr.write(`scweb: ${m}\n`);
  // The workers start loading while the input is opened (they load quietly: a missing or broken
  // file is still the first thing reported, and the pool is stopped with it).
  const pool = nodePool(threads)?.warm() ?? null;
  let ds: Awaited<ReturnType<typeof openCliInputs>>;
  try {
    ds = await openCliInputs(inputs, p, log);
  } catch (err) {
    pool?.terminate();
    throw err;
  }
  try {
    let device: GPUDevice | null = null;
    if (backend !== 'cpu') {
      const gpu = await installNodeWebGPU();
      // 'auto' skips software renderers (SwiftShader, llvmpipe): our CPU paths are faster than them.
      device = gpu.ok ? await analysisDevice({ allowSoftware: backend === 'webgpu' }) : null;
      if (!device && backend === 'webgpu') throw new Error(`--backend webgpu: no WebGPU adapter (${gpu.ok ? 'Dawn found no adapter' : gpu.reason}; see \`scweb help\` for the Vulkan environment)`);
      const why = gpu.ok ? (await detectBackend(undefined, backend)).detail : `no WebGPU (${gpu.reason})`;
      log(device ? 'neighbours and UMAP on WebGPU' : `${why.replace(/; using the CPU.*$/, '')}: neighbours and UMAP on the CPU`);
    }
    if (params.neighbors.useRep !== 'X_pca' && !ds.embeddings.some((e) => e.key === params.neighbors.useRep)) {
      throw new Error(`--${integrate !== undefined ? 'integrate' : 'embedding'} ${rep}: the file has no obsm/${params.neighbors.useRep} (run \`scweb embed\` first for X_scGPT)`);
    }
    const ensemblToSymbol = await loadEnsemblMap();
    const r = await new Pipeline(ds).run(params, {
      device,
      pool,
      ensemblToSymbol,
      onStep: (e) => {
        if (e.state === 'running' && e.message === 'starting') log(`${e.step}: running`);
        // Harmony reports each iteration with its objective.
        else if (e.state === 'running' && e.step === 'harmony') log(`harmony: ${e.message}`);
        // The spectral start's fallback to PCA is said once, not the epochs' progress.
        else if (e.state === 'running' && e.step === 'umap' && e.message.includes('did not converge')) log(e.message);
        else if (e.state === 'skipped') return;
        else if (e.state !== 'running') log(`${e.step}: ${e.state === 'cached' ? 'cached' : `done in ${e.message}`}`);
      },
    });
    log(`input: ${r.input.reason}`);
    log(`qc: ${qcGeneSummary(r.qc)}${r.qc.pct_counts_mt ? '' : ' (no pct_counts_mt)'}`);
    log(`${r.nKept}/${r.nCells} cells pass QC; ${r.hvg.genes.length} HVGs; ${r.nClusters} Leiden clusters; neighbours ${r.neighbors.method}; UMAP on ${r.umapDevice}`);
    const integration = r.integration ? analysisReport(r, params).integration : undefined;
    if (integration) log(integrationLine(integration));
    const { lib } = await nodeH5Runtime();
    const results = scanpyResults(ds, r, params);
    const notes = await writeWithResults(lib, input, ds, out, results, fileBytes(input));
    for (const n of notes) log(`not copied: ${n}`);
    const csv = p.flags.get('markers-csv');
    if (csv) {
      const labels = geneLabels(ds, r.countsKey, ensemblToSymbol);
      await writeFile(csv, markerTableCsv(markerTable(r.markers, r.geneNames, 'leiden', method, 100, labels.source ? labels.symbols : undefined)));
    }
    log(`steps (s): ${Object.entries(r.timings).map(([k, v]) => `${k} ${((v ?? 0) / 1000).toFixed(2)}`).join(', ')}`);
    log(`wrote ${out}`);
  } finally {
    pool?.terminate();
    ds.close();
  }
  return 0;
}
