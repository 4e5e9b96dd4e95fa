// `scweb annotate --method scgpt-head`: trains scGPT's classifier head on the reference's labelled
// cells (the encoder frozen, or its last layer trained too) and annotates the query with it.
import { availableParallelism } from 'node:os';
import type { HeadParams } from '../analysis/scgpt-head.ts';
import { DEFAULT_HEAD_PARAMS, headAcross } from '../analysis/scgpt-head.ts';
import { openPaths } from '../io/node.ts';
import type { NumericColumn } from '../io/types.ts';
import { resolveModelArg } from '../model/hub/node-cache.ts';
import type { NodeBackend } from '../model/node-model.ts';
import { loadEnsemblMap, loadModelDir, nodeEncoder } from '../model/node-model.ts';
import { initNodeWasm } from '../model/node-wasm.ts';
import type { Parsed } from './args.ts';
import { intFlag, parseArgs } from './args.ts';
import { openCliInputs } from './inputs.ts';
import { checkVotingColumn, evaluationLines, VOTING_FLAGS, VOTING_SWITCHES, votingFlags, votingLines, writeAnnotated } from './annotate-output.ts';
import { UsageError } from './usage.ts';

function numberFlag(p: Parsed, name: string, dflt: number, ok: (v: number) => boolean, what: string): number {
  const text = p.flags.get(name);
  if (text === undefined) return dflt;
  const v = Number(text);
  if (text.trim() === '' || !ok(v)) throw new UsageError(`--${name} must be ${what}, got "${text}"`);
  return v;
}

export async function scgptHeadCommand(argv: string[]): Promise<number> {
  const p = parseArgs(
    argv,
    ['reference', 'label-col', 'out', 'model', 'min-confidence', 'backend', 'epochs', 'lr', 'batch-size', 'seed', 'holdout', 'threads', 'gene-col', 'max-length', 'join', ...VOTING_FLAGS],
    ['unfreeze-last', 'probabilities', ...VOTING_SWITCHES],
  );
  const inputs = p.positionals;
  const [input] = inputs;
  const refPath = p.flags.get('reference');
  const labelColumn = p.flags.get('label-col');
  const out = p.flags.get('out');
  const modelDir = p.flags.get('model');
  if (!input || !refPath || !labelColumn || !out || !modelDir) {
    throw new UsageError('annotate --method scgpt-head needs QUERY (several are joined into one), --reference REF, --label-col NAME, --model DIR|hf:OWNER/NAME and --out OUT.csv|OUT.h5ad');
  }
  if (!/\.(csv|h5ad)$/.test(out)) throw new UsageError('--out must end in .csv or .h5ad');
  const params: HeadParams = {
    ...DEFAULT_HEAD_PARAMS,
    labelColumn,
    epochs: intFlag(p, 'epochs', DEFAULT_HEAD_PARAMS.epochs),
    lr: numberFlag(p, 'lr', DEFAULT_HEAD_PARAMS.lr, (v) => v > 0 && v < 1, 'a learning rate between 0 and 1 (scGPT: 1e-4)'),
    batchSize: intFlag(p, 'batch-size', DEFAULT_HEAD_PARAMS.batchSize),
    seed: intFlag(p, 'seed', 0),
    holdout: numberFlag(p, 'holdout', DEFAULT_HEAD_PARAMS.holdout, (v) => v >= 0 && v < 1, 'a share in [0, 1)'),
    minConfidence: numberFlag(p, 'min-confidence', DEFAULT_HEAD_PARAMS.minConfidence, (v) => v >= 0 && v <= 1, 'between 0 and 1'),
    unfreezeLast: p.flags.get('unfreeze-last') === 'true',
    voting: votingFlags(p),
  };
  if (params.epochs < 1) throw new UsageError('--epochs must be at least 1');
  if (params.batchSize < 1) throw new UsageError('--batch-size must be at least 1');
  const backend = (p.flags.get('backend') ?? 'auto') as NodeBackend;
  if (!['webgpu', 'wasm', 'cpu', 'auto'].includes(backend)) throw new UsageError(`--backend must be auto, webgpu, wasm (float32 on the CPU) or cpu (the exact float64 reference), got "${backend}"`);
  const threads = intFlag(p, 'threads', availableParallelism());
  if (threads < 1) throw new UsageError('--threads must be at least 1');
  const log = (m: string) => process.stderr.write(`scweb: ${m}\n`);
  const model = await loadModelDir(await resolveModelArg(modelDir, log));
  log(`model: ${model.description}; ${model.weights.config.nLayers} layers, d ${model.weights.config.dModel}`);
  const ref = await openPaths([refPath]);
  const query = await openCliInputs(inputs, p, log).catch((err: unknown) => {
    ref.close();
    throw err;
  });
  let encoder: Awaited<ReturnType<typeof nodeEncoder>>['encoder'];
  let dispose: () => void;
  try {
    checkVotingColumn(query, params.voting);
    ({ encoder, dispose } = await nodeEncoder(model, backend, log, threads));
    // The exact float64 encoder uses no tfjs backend: the head trains on the WebAssembly one,
    // several times faster than tfjs's JavaScript cpu backend (float32 either way).
    if (backend === 'cpu') await initNodeWasm(threads).catch((err: unknown) => log(`the WebAssembly backend did not start (${(err as Error).message}): the head trains on tfjs's cpu backend`));
  } catch (err) {
    ref.close();
    query.close();
    throw err;
  }
  try {
    let last = 0;
    const r = await headAcross(ref, query, model, encoder, params, {
      ensemblToSymbol: await loadEnsemblMap(),
      geneColumn: p.flags.get('gene-col'),
      maxLength: intFlag(p, 'max-length', 1200),
      onProgress: (_f, message, epoch) => {
        if (!epoch && performance.now() - last < 2000) return;
        last = performance.now();
        log(message);
      },
    });
    const rep = r.report;
    const training = rep.history.reduce((s, e) => s + e.seconds, 0);
    log(`encoder: ${rep.encoder}; head trained on tfjs ${rep.backend}${rep.unfreezeLast ? ' with the last encoder layer' : ''}, ${rep.history.length} epochs in ${training.toFixed(1)} s (${rep.seconds.toFixed(1)} s in all)`);
    if (rep.heldOut) log(`held-out reference cells (${rep.heldOut.n}): accuracy ${(100 * rep.heldOut.accuracy).toFixed(1)}%, macro-F1 ${rep.heldOut.macroF1.toFixed(3)}`);
    if (rep.noGenes.reference || rep.noGenes.query) log(`cells with no expressed gene in the model's vocabulary, left out: ${rep.noGenes.reference} of the reference, ${rep.noGenes.query} of the query (no prediction)`);
    log(`${rep.nQuery} query cells annotated from ${rep.nRef} reference cells; ${(rep.summary.confidentShare * 100).toFixed(1)}% at probability >= ${params.minConfidence}`);
    for (const l of rep.summary.perLabel) log(`  ${l.label}: ${l.count} cells, mean probability ${l.meanConfidence.toFixed(2)}`);
    if (rep.summary.unassigned) log(`  unassigned: ${rep.summary.unassigned}`);
    for (const line of evaluationLines(rep.evaluation)) log(line);
    for (const line of votingLines(rep.voting, rep.warnings)) log(line);
    const columns = [...r.columns];
    if (p.flags.get('probabilities') === 'true') {
      const C = r.categories.length;
      r.categories.forEach((label, c) => {
        const values = new Float64Array(query.nObs).fill(NaN);
        r.queryCells.forEach((row, k) => (values[row] = r.probabilities[k * C + c]));
        columns.push({ kind: 'numeric', name: `${rep.predictedColumn}_prob_${label}`, values, dtype: 'float32' } satisfies NumericColumn);
      });
    }
    await writeAnnotated(query, input, columns, out, log);
  } finally {
    dispose();
    ref.close();
    query.close();
  }
  return 0;
}
