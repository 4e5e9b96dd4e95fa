// `scweb grn attention`: scGPT's attention GRN between two groups of cells, the top targets of
// each TF as CSV and, with --save-mean, the two groups' mean rank-normalised attention as .npy.
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomically } from '../io/node-atomic.ts';
import { openPaths } from '../io/node.ts';
import { encodeNpy } from '../io/npy.ts';
import { attentionGrn } from '../model/grn/attention-grn.ts';
import { groupCells } from '../model/grn/groups.ts';
import { choosePanel } from '../model/grn/panel.ts';
import type { TargetOrder } from '../model/grn/targets.ts';
import { topTargets } from '../model/grn/targets.ts';
import { resolveModelArg } from '../model/hub/node-cache.ts';
import type { NodeBackend } from '../model/node-model.ts';
import { loadEnsemblMap, loadModelDirWithChecksum, nodeBackend } from '../model/node-model.ts';
import { initNodeWasm } from '../model/node-wasm.ts';
import { intFlag, parseArgs, threadsFlag } from './args.ts';
import { UsageError } from './usage.ts';

const list = (s: string) => s.split(',').map((x) => x.trim()).filter((x) => x.length > 0);

function csvField(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export async function grnAttentionCommand(argv: string[]): Promise<number> {
  const p = parseArgs(argv, ['model', 'groupby', 'groups', 'tf', 'panel', 'n-hvg', 'top', 'layer', 'counts', 'gene-col', 'backend', 'out', 'save-mean', 'seed', 'by', 'threads']);
  const [input] = p.positionals;
  const [modelArg, groupby, groupsText, tfText, out] = ['model', 'groupby', 'groups', 'tf', 'out'].map((f) => p.flags.get(f));
  if (!input || !modelArg || !groupby || !groupsText || !tfText || !out) {
    throw new UsageError('grn attention needs IN, --model DIR|hf:OWNER/NAME, --groupby COL, --groups A,B, --tf GENE[,GENE...] and --out targets.csv');
  }
  const groups = list(groupsText);
  if (groups.length !== 2) throw new UsageError(`--groups takes two values of --groupby separated by a comma (e.g. --groups "CD14+ Monocyte,CD19+ B"), got ${groups.length}`);
  const tfs = list(tfText);
  if (p.flags.has('panel') && p.flags.has('n-hvg')) throw new UsageError('--panel and --n-hvg exclude each other: the panel file lists every gene');
  const layerText = p.flags.get('layer') ?? '-1';
  const layer = Number(layerText);
  if (!Number.isInteger(layer)) throw new UsageError(`--layer must be an integer (negative counts from the end), got "${layerText}"`);
  const by = (p.flags.get('by') ?? 'difference') as TargetOrder;
  if (!['difference', 'a', 'b'].includes(by)) throw new UsageError(`--by must be difference, a or b, got "${by}"`);
  const backend = (p.flags.get('backend') ?? 'auto') as NodeBackend;
  if (!['webgpu', 'wasm', 'cpu', 'auto'].includes(backend)) throw new UsageError(`--backend must be auto, webgpu, wasm (float32 on the CPU) or cpu (the exact float64 reference), got "${backend}"`);
  const threads = threadsFlag(p);
  const top = intFlag(p, 'top', 20);
  const seed = intFlag(p, 'seed', 0);
  const log = (m: string) => process.stderr.write(`scweb: ${m}\n`);

  let panelFile: string[] | undefined;
  const panelPath = p.flags.get('panel');
  if (panelPath) panelFile = list((await readFile(panelPath, 'utf8')).replace(/\r?\n/g, ','));
  const { model } = await loadModelDirWithChecksum(await resolveModelArg(modelArg, log));
  log(`model: ${model.description}; ${model.weights.config.nLayers} layers, d ${model.weights.config.dModel}, ${model.weights.config.nHeads} heads`);
  const ds = await openPaths([input]);
  try {
    const [cellsA, cellsB] = groups.map((g) => groupCells(ds, groupby, g));
    const countsKey = p.flags.get('counts');
    const geneColumn = p.flags.get('gene-col');
    const ensemblToSymbol = await loadEnsemblMap();
    const panel = await choosePanel(ds, model, { tfs, genes: panelFile, nHvg: p.flags.has('n-hvg') ? intFlag(p, 'n-hvg', 0) : undefined, cellsA, cellsB, countsKey, geneColumn, ensemblToSymbol });
    log(`groups: ${groups[0]} (${cellsA.length} cells) vs ${groups[1]} (${cellsB.length} cells); panel of ${panel.length} genes (${tfs.length} TFs first), M = ${panel.length + 1} tokens`);
    const chosen = await nodeBackend(backend, log);
    // On the CPU: float32 on WebAssembly unless the float64 reference was asked for (or WASM fails).
    let kind: 'webgpu' | 'wasm' | 'cpu' = chosen.kind;
    if (kind === 'cpu' && backend !== 'cpu') {
      try {
        await initNodeWasm(threads);
        kind = 'wasm';
      } catch (err) {
        if (backend === 'wasm') throw err;
        log(`WebAssembly did not start (${(err as Error).message}): using the exact float64 CPU path`);
      }
    }
    let last = 0;
    const result = await attentionGrn(ds, model, {
      cellsA,
      cellsB,
      panel,
      layer,
      backend: kind,
      threads,
      adapter: chosen.kind === 'webgpu' ? chosen.adapter : undefined,
      countsKey,
      geneColumn,
      ensemblToSymbol,
      seed,
      onProgress: (done, total, rate) => {
        if (performance.now() - last < 2000 && done < total) return;
        last = performance.now();
        log(`${Number.isInteger(done) ? done : done.toFixed(2)}/${total} cells, ${rate.toFixed(rate < 1 ? 3 : 2)} cells/s`);
      },
    });
    log(`input: ${result.input}; layer ${result.layer}; ${result.backend}; ${result.seconds.toFixed(1)} s`);
    const lines = ['tf,rank,target,score,score_a,score_b'];
    for (const tf of tfs) {
      for (const t of topTargets(result, tf, top, by)) lines.push([csvField(tf), t.rank, csvField(t.target), t.score, t.scoreA, t.scoreB].join(','));
    }
    await writeFileAtomically(out, lines.join('\n') + '\n');
    log(`wrote ${out}`);
    const meanDir = p.flags.get('save-mean');
    if (meanDir) {
      await mkdir(meanDir, { recursive: true });
      await writeFileAtomically(join(meanDir, 'mean_A.npy'), encodeNpy(result.meanA, [result.m, result.m]));
      await writeFileAtomically(join(meanDir, 'mean_B.npy'), encodeNpy(result.meanB, [result.m, result.m]));
      await writeFileAtomically(join(meanDir, 'panel.txt'), result.panel.join('\n') + '\n');
      log(`wrote ${meanDir}/mean_A.npy, mean_B.npy ([M, M], token 0 = <cls>, token t = panel.txt line t) and panel.txt`);
    }
  } finally {
    ds.close();
  }
  return 0;
}
