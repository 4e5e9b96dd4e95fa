import { copyFile, writeFile } from 'node:fs/promises';
import { nodeH5Runtime } from '../io/h5/node-runtime.ts';
import { openPaths } from '../io/node.ts';
import { encodeNpy } from '../io/npy.ts';
import { embedDataset } from '../model/embed.ts';
import { loadEnsemblMap, loadModelDir, nodeEncoder } from '../model/node-model.ts';
import { intFlag, parseArgs } from './args.ts';
import { UsageError } from './usage.ts';

export async function embedCommand(argv: string[]): Promise<number> {
  const p = parseArgs(argv, ['model', 'out', 'gene-col', 'max-length', 'batch-size', 'seed', 'backend', 'counts']);
  const [input] = p.positionals;
  const modelDir = p.flags.get('model');
  const out = p.flags.get('out');
  if (!input || !modelDir || !out) throw new UsageError('embed needs IN.h5ad, --model DIR and --out OUT.npy|OUT.h5ad');
  if (!/\.(npy|h5ad)$/.test(out)) throw new UsageError('--out must end in .npy or .h5ad');
  const backend = (p.flags.get('backend') ?? 'auto') as 'webgpu' | 'cpu' | 'auto';
  if (!['webgpu', 'cpu', 'auto'].includes(backend)) throw new UsageError(`--backend must be webgpu or cpu (no WASM path is built: the CPU path is exact and used where WebGPU is missing)`);
  const log = (m: string) => process.stderr.write(`scweb: ${m}\n`);
  const model = await loadModelDir(modelDir);
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
    log(`genes: ${result.mapping.matched}/${result.mapping.total} in the vocabulary (${result.mapping.source}); encoder: ${result.encoder}`);
    if (result.nEmpty > 0) log(`${result.nEmpty} cells have no expressed gene in the vocabulary: their rows are NaN`);
    log(`${ds.nObs} cells in ${result.seconds.toFixed(1)} s (${(ds.nObs / result.seconds).toFixed(1)} cells/s)`);
    if (out.endsWith('.npy')) await writeFile(out, encodeNpy(result.embeddings, [ds.nObs, result.dim]));
    else {
      if (ds.format !== 'h5ad') throw new UsageError('--out .h5ad adds obsm/X_scGPT to an .h5ad input; for other inputs write .npy');
      await copyFile(input, out);
      const { lib } = await nodeH5Runtime();
      const f = new lib.File(out, 'a');
      try {
        if (!f.keys().includes('obsm')) {
          const g = f.create_group('obsm');
          g.create_attribute('encoding-type', 'dict');
          g.create_attribute('encoding-version', '0.1.0');
        }
        const obsm = f.get('obsm') as import('h5wasm').Group;
        if (obsm.keys().includes('X_scGPT')) throw new UsageError(`${input} already has obsm/X_scGPT; write to .npy or remove it first`);
        const dset = obsm.create_dataset({ name: 'X_scGPT', data: result.embeddings, shape: [ds.nObs, result.dim] });
        dset.create_attribute('encoding-type', 'array');
        dset.create_attribute('encoding-version', '0.2.0');
      } finally {
        f.close();
      }
    }
    log(`wrote ${out}`);
  } finally {
    dispose();
    ds.close();
  }
  return 0;
}
