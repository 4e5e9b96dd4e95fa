// `scweb analyze`: the default pipeline from the command line; writes the input's content plus
// obs/leiden and QC columns, obsm/X_pca, obsm/X_umap and uns/rank_genes_groups (markers per
// cluster) to a copy of the input.
import { copyFile, writeFile } from 'node:fs/promises';
import { analysisDevice } from '../analysis/gpu-device.ts';
import { DEFAULT_PARAMS, Pipeline, type PipelineParams } from '../analysis/pipeline.ts';
import { markerTable, markerTableCsv } from '../analysis/report.ts';
import { nodeH5Runtime } from '../io/h5/node-runtime.ts';
import { appendObsColumns, appendObsm, appendUnsDict } from '../io/h5ad/append.ts';
import { openPaths } from '../io/node.ts';
import type { Column } from '../io/types.ts';
import { installNodeWebGPU } from '../model/node-gpu.ts';
import { intFlag, parseArgs } from './args.ts';
import { UsageError } from './usage.ts';

export async function analyzeCommand(argv: string[]): Promise<number> {
  const p = parseArgs(argv, ['out', 'embedding', 'resolution', 'seed', 'n-neighbors', 'n-top-genes', 'flavor', 'min-genes', 'min-cells', 'max-pct-mt', 'markers', 'backend', 'counts', 'markers-csv', 'no-scale']);
  const [input] = p.positionals;
  const out = p.flags.get('out');
  if (!input || !out) throw new UsageError('analyze needs IN.h5ad and --out OUT.h5ad');
  if (!out.endsWith('.h5ad')) throw new UsageError('--out must end in .h5ad');
  const num = (name: string, dflt: number) => {
    const v = p.flags.get(name);
    if (v === undefined) return dflt;
    const n = Number(v);
    if (!Number.isFinite(n)) throw new UsageError(`--${name} must be a number, got "${v}"`);
    return n;
  };
  const rep = p.flags.get('embedding') ?? 'pca';
  const flavor = p.flags.get('flavor') ?? 'seurat';
  if (flavor !== 'seurat' && flavor !== 'seurat_v3') throw new UsageError('--flavor must be seurat or seurat_v3');
  const method = p.flags.get('markers') ?? 'wilcoxon';
  if (method !== 'wilcoxon' && method !== 't-test') throw new UsageError('--markers must be wilcoxon or t-test');
  const backend = p.flags.get('backend') ?? 'auto';
  if (backend !== 'auto' && backend !== 'webgpu' && backend !== 'cpu') throw new UsageError('--backend must be webgpu, cpu or auto');
  const seed = intFlag(p, 'seed', 0);
  const params: PipelineParams = {
    ...DEFAULT_PARAMS,
    counts: p.flags.get('counts'),
    filter: { minGenes: num('min-genes', 0), minCounts: 0, maxPctMt: num('max-pct-mt', 100), minCells: num('min-cells', 3) },
    hvg: { flavor, nTopGenes: intFlag(p, 'n-top-genes', 2000) },
    scale: { enabled: p.flags.get('no-scale') === undefined, maxValue: 10 },
    neighbors: { ...DEFAULT_PARAMS.neighbors, useRep: rep === 'pca' ? 'X_pca' : rep === 'scgpt' ? 'X_scGPT' : rep, nNeighbors: intFlag(p, 'n-neighbors', 15) },
    leiden: { resolution: num('resolution', 1), seed },
    umap: { ...DEFAULT_PARAMS.umap, seed },
    markers: { method },
    device: backend === 'cpu' ? 'cpu' : 'auto',
  };
  const log = (m: string) => process.stderr.write(`scweb: ${m}\n`);
  let device: GPUDevice | null = null;
  if (backend !== 'cpu') {
    await installNodeWebGPU();
    device = await analysisDevice();
    if (!device && backend === 'webgpu') throw new UsageError('--backend webgpu: no WebGPU adapter (see `scweb help` for the Vulkan environment)');
    log(device ? 'neighbours and UMAP on WebGPU' : 'no WebGPU adapter: neighbours and UMAP on the CPU');
  }
  const ds = await openPaths([input]);
  try {
    if (ds.format !== 'h5ad') throw new UsageError('analyze writes a copy of an .h5ad input; convert other formats to .h5ad first');
    if (params.neighbors.useRep !== 'X_pca' && !ds.embeddings.some((e) => e.key === params.neighbors.useRep)) {
      throw new UsageError(`--embedding ${rep}: the file has no obsm/${params.neighbors.useRep} (run \`scweb embed\` first for X_scGPT)`);
    }
    const r = await new Pipeline(ds).run(params, {
      device,
      onStep: (e) => {
        if (e.state === 'running' && e.message === 'starting') log(`${e.step}: running`);
        else if (e.state !== 'running') log(`${e.step}: ${e.state === 'cached' ? 'cached' : `done in ${e.message}`}`);
      },
    });
    log(`${r.nKept}/${r.nCells} cells pass QC; ${r.hvg.genes.length} HVGs; ${r.nClusters} Leiden clusters; neighbours ${r.neighbors.method}; UMAP on ${r.umapDevice}`);
    await copyFile(input, out);
    const { lib } = await nodeH5Runtime();
    const f = new lib.File(out, 'a');
    const renamed: string[] = [];
    try {
      const note = (want: string, used: string) => used !== want && renamed.push(`${want} -> ${used}`);
      const cols: Column[] = [
        { kind: 'categorical', name: 'leiden', codes: r.leiden, categories: Array.from({ length: r.nClusters }, (_, i) => String(i)), ordered: false, dtype: 'category' },
        { kind: 'numeric', name: 'total_counts', values: r.qc.total_counts, dtype: 'float64' },
        { kind: 'numeric', name: 'n_genes_by_counts', values: r.qc.n_genes_by_counts, dtype: 'float64' },
        ...(r.qc.pct_counts_mt ? [{ kind: 'numeric' as const, name: 'pct_counts_mt', values: r.qc.pct_counts_mt, dtype: 'float64' }] : []),
      ];
      appendObsColumns(f, input, cols).forEach((used, i) => note(`obs/${cols[i].name}`, `obs/${used}`));
      const k = r.pca.nComps;
      const pcs = new Float32Array(r.nCells * k).fill(NaN);
      for (let i = 0, row = 0; i < r.nCells; i++) if (r.keep[i]) pcs.set(r.pca.scores.subarray(row * k, (row++ + 1) * k), i * k);
      note('obsm/X_pca', `obsm/${appendObsm(f, 'X_pca', [r.nCells, k], pcs)}`);
      note('obsm/X_umap', `obsm/${appendObsm(f, 'X_umap', [r.nCells, 2], r.umap)}`);
      const table = markerTable(r.markers, r.geneNames, 'leiden', method, 100);
      const G = table.groups.length;
      const n = 100;
      const cell = <T>(fn: (g: (typeof table.groups)[number], i: number) => T) => Array.from({ length: n * G }, (_, t) => fn(table.groups[t % G], Math.floor(t / G)));
      const used = appendUnsDict(f, 'rank_genes_groups', {
        strings: { groupby: 'leiden', method, reference: 'rest', groups: table.groups.map((g) => g.group).join(',') },
        stringMatrices: { names: { shape: [n, G], values: cell((g, i) => g.genes[i] ?? '') } },
        floatMatrices: {
          scores: { shape: [n, G], values: Float64Array.from(cell((g, i) => g.scores[i] ?? NaN)) },
          logfoldchanges: { shape: [n, G], values: Float64Array.from(cell((g, i) => g.logFoldChanges[i] ?? NaN)) },
          pvals_adj: { shape: [n, G], values: Float64Array.from(cell((g, i) => g.pvalsAdj[i] ?? NaN)) },
        },
      });
      note('uns/rank_genes_groups', `uns/${used}`);
      const csv = p.flags.get('markers-csv');
      if (csv) await writeFile(csv, markerTableCsv(table));
    } finally {
      f.close();
    }
    for (const r2 of renamed) log(`the input already has ${r2.split(' -> ')[0]}: wrote ${r2.split(' -> ')[1]}`);
    log(`steps (s): ${Object.entries(r.timings).map(([k, v]) => `${k} ${((v ?? 0) / 1000).toFixed(2)}`).join(', ')}`);
    log(`wrote ${out}`);
  } finally {
    ds.close();
  }
  return 0;
}
