// `scweb embed`: scGPT cell embeddings as .npy, or as obsm/X_scGPT of a fresh .h5ad holding the input.
// With --part i/n: one shard of a sharded run (cells [floor(i*N/n), floor((i+1)*N/n)), only those
// rows read) as OUT.npy plus the sidecar OUT.json that `scweb merge` checks.
import { availableParallelism } from 'node:os';
import { basename, resolve } from 'node:path';
import { nodeH5Runtime } from '../io/h5/node-runtime.ts';
import { writeWithResults } from '../io/h5ad/results.ts';
import { writeAtomically, writeFileAtomically } from '../io/node-atomic.ts';
import { fileBytes } from '../io/node.ts';
import { openCliInputs } from './inputs.ts';
import { encodeNpy } from '../io/npy.ts';
import { embedDataset } from '../model/embed.ts';
import { resolveModelArg } from '../model/hub/node-cache.ts';
import type { NodeBackend } from '../model/node-model.ts';
import { loadEnsemblMap, loadModelDirWithChecksum, nodeEncoder } from '../model/node-model.ts';
import { SHARD_FORMAT, ShardError, parsePart, partRange } from '../model/shards.ts';
import { intFlag, parseArgs } from './args.ts';
import { sidecarPath, writeShard } from './shard-files.ts';
import { UsageError } from './usage.ts';
import { scwebVersion } from './version.ts';

export async function embedCommand(argv: string[]): Promise<number> {
  const p = parseArgs(argv, ['model', 'out', 'gene-col', 'max-length', 'batch-size', 'seed', 'backend', 'threads', 'counts', 'part', 'join']);
  const inputs = p.positionals;
  const [input] = inputs;
  const modelDir = p.flags.get('model');
  const out = p.flags.get('out');
  if (!input || !modelDir || !out) throw new UsageError('embed needs an input (.h5ad, 10x .h5 or an mtx folder; several are joined into one), --model DIR|hf:OWNER/NAME[@REV] and --out OUT.npy|OUT.h5ad');
  if (!/\.(npy|h5ad)$/.test(out)) throw new UsageError('--out must end in .npy or .h5ad');
  const partText = p.flags.get('part');
  let part: { part: number; parts: number } | null = null;
  if (partText !== undefined) {
    try {
      part = parsePart(partText);
    } catch (err) {
      throw new UsageError((err as ShardError).message);
    }
    if (!out.endsWith('.npy')) throw new UsageError(`--part writes a shard: --out must end in .npy (its sidecar ${basename(out).replace(/\.h5ad$/, '.json')} goes beside it); \`scweb merge\` makes the .h5ad`);
  }
  const backend = (p.flags.get('backend') ?? 'auto') as NodeBackend;
  if (!['webgpu', 'wasm', 'cpu', 'auto'].includes(backend)) throw new UsageError(`--backend must be auto, webgpu, wasm (float32 on the CPU) or cpu (the exact float64 reference), got "${backend}"`);
  const threads = intFlag(p, 'threads', availableParallelism());
  if (threads < 1) throw new UsageError('--threads must be at least 1');
  const log = (m: string) => process.stderr.write(`scweb: ${m}\n`);
  const { model, sha256: modelSha256, files: modelFiles } = await loadModelDirWithChecksum(await resolveModelArg(modelDir, log));
  log(`model: ${model.description}; ${model.weights.config.nLayers} layers, d ${model.weights.config.dModel}, vocab ${model.vocab.size}`);
  const ds = await openCliInputs(inputs, p, log);
  const { encoder, dispose } = await nodeEncoder(model, backend, log, threads);
  try {
    const counts = p.flags.get('counts');
    if (counts) ds.useCounts(counts);
    const range = part ? partRange(part.part, part.parts, ds.nObs) : { start: 0, end: ds.nObs };
    if (part) log(`part ${part.part}/${part.parts}: cells ${range.start}..${range.end - 1} of ${ds.nObs}`);
    const nCells = range.end - range.start;
    const [maxLength, seed] = [intFlag(p, 'max-length', 1200), intFlag(p, 'seed', 0)];
    let last = 0;
    const result = await embedDataset(ds, model, encoder, {
      maxLength,
      batchSize: intFlag(p, 'batch-size', 64),
      seed,
      range,
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
    log(`${nCells} cells in ${result.seconds.toFixed(1)} s (${(nCells / result.seconds).toFixed(1)} cells/s)`);
    if (part) {
      await writeShard(out, result.embeddings, {
        format: SHARD_FORMAT,
        version: 1,
        ...part,
        ...range,
        n_obs: ds.nObs,
        dim: result.dim,
        n_empty: result.nEmpty,
        // Several inputs: their names and total size (merge --into takes one file: merge them to .npy).
        input: { name: inputs.map((i) => basename(resolve(i))).join('+'), bytes: inputs.reduce((a, i) => a + fileBytes(i), 0) },
        model: { id: basename(resolve(modelDir)), description: model.description, sha256: modelSha256, files: modelFiles },
        params: { seed, max_length: maxLength, gene_col: result.mapping.source, counts: ds.countsKey ?? '' },
        encoder: result.encoder,
        scweb_version: scwebVersion(),
        seconds: Number(result.seconds.toFixed(3)),
      });
      log(`wrote ${out} and ${sidecarPath(out)}`);
      return 0;
    }
    if (out.endsWith('.npy')) await writeFileAtomically(out, encodeNpy(result.embeddings, [ds.nObs, result.dim]));
    else {
      const { lib } = await nodeH5Runtime();
      await writeAtomically(out, async (tmp) => {
        const notes = await writeWithResults(lib, input, ds, tmp, { obsm: { X_scGPT: { shape: [ds.nObs, result.dim], data: result.embeddings } } }, fileBytes(input));
        for (const n of notes) log(`not copied: ${n}`);
      });
    }
    log(`wrote ${out}`);
  } finally {
    dispose();
    ds.close();
  }
  return 0;
}
