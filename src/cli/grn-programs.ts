// `scweb grn programs`: scGPT's gene-embedding programs (Tutorial_GRN) from the command line. The
// dataset's HVGs in the model's vocabulary, their embeddings LayerNorm(Embedding(id)), a kNN graph
// and Leiden over the genes; programs.csv lists each gene's program. --scores-out adds each
// program's activity per cell (score_genes, min-max scaled) as obs/program_<n>_score to a fresh
// copy of the input.
import { runGenePrograms } from '../analysis/gene-programs-run.ts';
import { csvLines, csvText } from '../io/csv.ts';
import { nodeH5Runtime } from '../io/h5/node-runtime.ts';
import { writeWithResults } from '../io/h5ad/results.ts';
import { writeAtomically, writeFileAtomically } from '../io/node-atomic.ts';
import { fileBytes, openPaths } from '../io/node.ts';
import { resolveModelArg } from '../model/hub/node-cache.ts';
import { loadEnsemblMap, loadModelDir } from '../model/node-model.ts';
import { intFlag, parseArgs } from './args.ts';
import { UsageError } from './usage.ts';

export async function grnProgramsCommand(argv: string[]): Promise<number> {
  const p = parseArgs(argv, ['model', 'out', 'scores-out', 'n-hvg', 'k', 'resolution', 'min-size', 'seed', 'gene-col', 'counts', 'flavor']);
  const [input] = p.positionals;
  const modelArg = p.flags.get('model');
  const out = p.flags.get('out');
  if (!input || !modelArg || !out) throw new UsageError('grn programs needs an input (.h5ad, 10x .h5 or an mtx folder), --model DIR|hf:OWNER/NAME[@REV] and --out programs.csv');
  if (!out.endsWith('.csv')) throw new UsageError('--out must end in .csv');
  const scoresOut = p.flags.get('scores-out');
  if (scoresOut !== undefined && !scoresOut.endsWith('.h5ad')) throw new UsageError('--scores-out must end in .h5ad');
  const resolution = Number(p.flags.get('resolution') ?? 40);
  if (!(Number.isFinite(resolution) && resolution > 0)) throw new UsageError(`--resolution must be a positive number, got "${p.flags.get('resolution')}"`);
  const nHvg = intFlag(p, 'n-hvg', 1200);
  const k = intFlag(p, 'k', 15);
  if (nHvg < 2 || k < 2) throw new UsageError('--n-hvg and --k must be at least 2');
  const minSize = intFlag(p, 'min-size', 5);
  const flavor = p.flags.get('flavor') ?? 'seurat';
  if (flavor !== 'seurat' && flavor !== 'seurat_v3') throw new UsageError('--flavor must be seurat or seurat_v3');
  const seed = intFlag(p, 'seed', 0);
  const log = (m: string) => process.stderr.write(`scweb: ${m}\n`);

  const model = await loadModelDir(await resolveModelArg(modelArg, log));
  log(`model: ${model.description}; d ${model.weights.config.dModel}, vocab ${model.vocab.size}`);
  const ds = await openPaths([input]);
  try {
    const counts = p.flags.get('counts');
    if (counts) ds.useCounts(counts);
    const run = await runGenePrograms(ds, model, {
      nHvg,
      k,
      resolution,
      minSize,
      seed,
      flavor,
      countsKey: counts,
      geneColumn: p.flags.get('gene-col'),
      ensemblToSymbol: await loadEnsemblMap(),
      scores: scoresOut !== undefined,
      onProgress: throttled(log),
    });
    const { embedded, programs: r } = run;
    log(`input: ${run.input.reason}`);
    log(`genes: ${run.vocab.matched}/${run.vocab.total} in the vocabulary (${run.vocab.source})`);
    log(`${embedded.set.genes.length} highly variable genes in the vocabulary${embedded.missing.length ? ` (${embedded.missing.length} repeat a vocabulary id and are left out)` : ''}`);
    const inPrograms = r.programs.reduce((s, q) => s + q.genes.length, 0);
    log(`${r.programs.length} programs of >= ${minSize} genes (${inPrograms} of ${r.genes.length} genes) at resolution ${resolution}`);
    if (r.programs.length === 0) log(`no cluster reaches ${minSize} genes at resolution ${resolution}: a lower --resolution gives larger clusters (a model with random weights gives little structure)`);
    log(`steps (s): ${Object.entries(r.timings).map(([s, ms]) => `${s} ${(ms / 1000).toFixed(2)}`).join(', ')}`);
    // Genes in program order (largest first), then those in no program (-1), each group in HVG order.
    const order = Array.from(r.genes.keys()).sort((a, b) => rankOf(r.membership[a]) - rankOf(r.membership[b]) || a - b);
    await writeFileAtomically(out, new TextEncoder().encode(csvLines(['gene', 'program'], order.map((i) => [csvText(r.genes[i]), String(r.membership[i])]))));
    log(`wrote ${out}`);
    if (scoresOut && run.scores) {
      const scored = run.scores;
      for (const d of scored.details) if (d.error) log(`${d.name}: set to 0 (as scGPT does when scanpy cannot score it): ${d.error}`);
      const { lib } = await nodeH5Runtime();
      await writeAtomically(scoresOut, async (tmp) => {
        for (const n of await writeWithResults(lib, input, ds, tmp, { obs: scored.columns }, fileBytes(input))) log(`not copied: ${n}`);
      });
      log(`wrote ${scoresOut} (${scored.columns.length} obs columns program_<n>_score)`);
    }
  } finally {
    ds.close();
  }
  return 0;
}

const rankOf = (program: number) => (program < 0 ? Number.MAX_SAFE_INTEGER : program);

/** A progress line at most every 2 s. */
function throttled(log: (m: string) => void): (fraction: number, message: string) => void {
  let last = 0;
  return (_f, message) => {
    if (performance.now() - last < 2000) return;
    last = performance.now();
    log(message);
  };
}
