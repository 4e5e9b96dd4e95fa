// `scweb embed`: scGPT cell embeddings as .npy, or as obsm/X_scGPT of a fresh .h5ad holding the input.
import { writeFile } from 'node:fs/promises';
import { nodeH5Runtime } from '../io/h5/node-runtime.ts';
import { writeWithResults } from '../io/h5ad/results.ts';
import { fileBytes } from '../io/node.ts';
import { openPaths } from '../io/node.ts';
import { encodeNpy } from '../io/npy.ts';
import { embedDataset } from '../model/embed.ts';
import { resolveModelArg } from '../model/hub/node-cache.ts';
import { loadEnsemblMap, loadModelDir, nodeEncoder } from '../model/node-model.ts';
import { intFlag, parseArgs } from './args.ts';
import { UsageError } from './usage.ts';

export async function embedCommand(argv: string[]): Promise<number> {
  const p = parseArgs(argv, ['model', 'out', 'gene-col', 'max-length', 'batch-size', 'seed', 'backend', 'counts']);
  const [input] = p.positionals;
  const modelDir = p.flags.get('model');
  const out = p.flags.get('out');
  if (!input || !modelDir || !out) throw new UsageError('embed needs an input (.h5ad, 10x .h5 or an mtx folder), --model DIR|hf:OWNER/NAME[@REV] and --out OUT.npy|OUT.h5ad');
  if (!/\.(npy|h5ad)$/.test(out)) throw new UsageError('--out must end in .npy or .h5ad');
  const backend = (p.flags.get('backend') ?? 'auto') as 'webgpu' | 'cpu' | 'auto';
  if (!['webgpu', 'cpu', 'auto'].includes(backend)) throw new UsageError(`--backend must be webgpu or cpu (no WASM path is built: the CPU path is exact and used where WebGPU is missing)`);
  const log = (m: string) => process.stderr.write(`scweb: ${m}\n`);
  const model = await loadModelDir(await resolveModelArg(modelDir, log));
  log(`model: ${model.description}; ${model.weights.config.nLayers} layers, d ${model.weights.config.dModel}, vocab ${model.vocab.size}`);
  const ds = await openPaths([input]);
  const { encoder, dispose } = await nodeEncoder(model, backend, log);
  try {
    const counts = p.flags.get('counts');
    if (counts) ds.useCounts(counts);
    let last = 0;
    const result = await embedDataset(ds, model, encoder, {
      maxLength: intFlag(p, 'max-length', 1200),
      batchSize: intFlag(p, 'batch-size', 64),
      seed: intFlag(p, 'seed', 0),
      geneColumn: p.flags.get('gene-col'),
      ensemblToSymbol: await loadEnsemblMap(),
      onProgress: (pr) => {
        if (performance.now() - last < 2000 && pr.done < pr.total) return;
        last = performance.now();
        log(`${pr.done}/${pr.total} cells, ${pr.cellsPerSecond.toFixed(1)} cells/s, ~${Math.ceil(pr.secondsLeft)} s left`);
      },
    });
    log(`input: ${result.input.note}`);
    log(`genes: ${result.mapping.matched}/${result.mapping.total} in the vocabulary (${result.mapping.source}); encoder: ${result.encoder}`);
    if (result.nEmpty > 0) log(`${result.nEmpty} cells have no expressed gene in the vocabulary: their rows are NaN`);
    log(`${ds.nObs} cells in ${result.seconds.toFixed(1)} s (${(ds.nObs / result.seconds).toFixed(1)} cells/s)`);
    if (out.endsWith('.npy')) await writeFile(out, encodeNpy(result.embeddings, [ds.nObs, result.dim]));
    else {
      const { lib } = await nodeH5Runtime();
      const notes = await writeWithResults(lib, input, ds, out, { obsm: { X_scGPT: { shape: [ds.nObs, result.dim], data: result.embeddings } } }, fileBytes(input));
      for (const n of notes) log(`not copied: ${n}`);
    }
    log(`wrote ${out}`);
  } finally {
    dispose();
    ds.close();
  }
  return 0;
}
