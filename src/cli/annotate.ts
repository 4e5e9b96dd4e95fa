// `scweb annotate`: label a query's cells. --method picks how (logreg, the default: logistic
// regression trained on a reference, see annotate-logreg.ts; knn: transfer from a reference by kNN
// vote in the reference's PCA, query projected, or in X_scGPT, embedded here with --model when
// missing; celltypist: a CellTypist model, see annotate-celltypist.ts; scgpt-head: scGPT's classifier
// head fine-tuned on the reference, see annotate-scgpt-head.ts). Each method parses its own flags;
// a new method is one more entry in METHODS.
import { DEFAULT_MAP_PARAMS, mapAcross, type MapParams } from '../analysis/mapping.ts';
import type { Dataset } from '../io/types.ts';
import { embedDataset } from '../model/embed.ts';
import { resolveModelArg } from '../model/hub/node-cache.ts';
import { loadEnsemblMap, loadModelDir, nodeEncoder, type NodeBackend } from '../model/node-model.ts';
import { intFlag, parseArgs } from './args.ts';
import { celltypistCommand } from './annotate-celltypist.ts';
import { scgptHeadCommand } from './annotate-scgpt-head.ts';
import { logregCommand } from './annotate-logreg.ts';
import { checkVotingColumn, evaluationLines, openReferenceAndQuery, transferArgs, VOTING_FLAGS, VOTING_SWITCHES, votingFlags, votingLines, writeAnnotated } from './annotate-output.ts';
import { UsageError } from './usage.ts';

const METHODS: Record<string, (argv: string[]) => Promise<number>> = {
  logreg: logregCommand,
  knn: knnCommand,
  celltypist: celltypistCommand,
  'scgpt-head': scgptHeadCommand,
};

/**
 * `--method NAME` (or `--method=NAME`) taken out of argv; default celltypist when --celltypist is
 * given, else logreg (the most accurate of logreg and knn on bench/annotate.ts's sets).
 */
function splitMethod(argv: string[]): { method: string; rest: string[] } {
  const rest: string[] = [];
  let method: string | null = null;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--method') method = argv[++i] ?? '';
    else if (argv[i].startsWith('--method=')) method = argv[i].slice('--method='.length);
    else rest.push(argv[i]);
  }
  return { method: method ?? (rest.some((a) => a === '--celltypist' || a.startsWith('--celltypist=')) ? 'celltypist' : 'logreg'), rest };
}

export async function annotateCommand(argv: string[]): Promise<number> {
  const { method, rest } = splitMethod(argv);
  const run = METHODS[method];
  if (!run) throw new UsageError(`--method must be one of ${Object.keys(METHODS).join(', ')}, got "${method}"`);
  return run(rest);
}

async function knnCommand(argv: string[]): Promise<number> {
  const p = parseArgs(argv, ['reference', 'label-col', 'out', 'embedding', 'model', 'k', 'min-confidence', 'weighted', 'backend', 'join', ...VOTING_FLAGS], VOTING_SWITCHES);
  const { inputs, input, refPath, labelColumn, out } = transferArgs(p);
  const embedding = p.flags.get('embedding') ?? 'pca';
  if (embedding !== 'pca' && embedding !== 'scgpt') throw new UsageError('--embedding must be pca or scgpt');
  const minConfidence = Number(p.flags.get('min-confidence') ?? DEFAULT_MAP_PARAMS.minConfidence);
  if (!(minConfidence >= 0 && minConfidence <= 1)) throw new UsageError('--min-confidence must be between 0 and 1');
  const backend = (p.flags.get('backend') ?? 'auto') as NodeBackend;
  if (!['webgpu', 'wasm', 'cpu', 'auto'].includes(backend)) throw new UsageError(`--backend must be auto, webgpu, wasm (float32 on the CPU) or cpu (the exact float64 reference), got "${backend}"`);
  const weighted = p.flags.get('weighted');
  const params: MapParams = { ...DEFAULT_MAP_PARAMS, method: 'knn', labelColumn, reference: 'missing', embedding: embedding === 'pca' ? 'pca' : 'X_scGPT', k: intFlag(p, 'k', 10), minConfidence, weighted: weighted === 'true' || weighted === '1', voting: votingFlags(p) };
  const log = (m: string) => process.stderr.write(`scweb: ${m}\n`);
  const { ref, query } = await openReferenceAndQuery(refPath, inputs, p, log);
  try {
    checkVotingColumn(query, params.voting);
    if (embedding === 'scgpt') {
      const modelDir = p.flags.get('model');
      if (!modelDir) throw new UsageError('--embedding scgpt needs --model DIR (a scGPT checkpoint folder or bundle)');
      const model = await loadModelDir(await resolveModelArg(modelDir, log));
      const { encoder, dispose } = await nodeEncoder(model, backend, log);
      try {
        for (const ds of [ref, query]) await ensureScgpt(ds, model, encoder, log);
      } finally {
        dispose();
      }
    }
    const { columns, report } = await mapAcross(ref, query, params, { onProgress: () => {} });
    log(`${report.nQuery} query cells from ${report.nRef} reference cells${report.nShared !== undefined ? ` (${report.nShared} of the reference's ${report.nHvg} HVGs shared)` : ''}; ${(report.summary.confidentShare * 100).toFixed(1)}% at confidence >= ${minConfidence}`);
    for (const l of report.summary.perLabel) log(`  ${l.label}: ${l.count} cells, mean confidence ${l.meanConfidence.toFixed(2)}`);
    if (report.summary.unassigned) log(`  unassigned: ${report.summary.unassigned}`);
    for (const line of evaluationLines(report.evaluation)) log(line);
    for (const line of votingLines(report.voting, report.warnings)) log(line);
    await writeAnnotated(query, input, columns, out, log);
  } finally {
    ref.close();
    query.close();
  }
  return 0;
}

async function ensureScgpt(ds: Dataset, model: Awaited<ReturnType<typeof loadModelDir>>, encoder: Parameters<typeof embedDataset>[2], log: (m: string) => void): Promise<void> {
  if (ds.embeddings.some((e) => e.key === 'X_scGPT')) return;
  log(`embedding ${ds.fileName} with scGPT (${ds.nObs} cells)`);
  const r = await embedDataset(ds, model, encoder, { ensemblToSymbol: await loadEnsemblMap() });
  ds.addEmbedding({ key: 'X_scGPT', shape: [ds.nObs, r.dim], data: r.embeddings });
}
