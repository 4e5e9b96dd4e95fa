// `scweb annotate --method scgpt-head`: trains scGPT's classifier head on the reference's labelled
// cells (the encoder frozen, or its last layer trained too) and annotates the query with it;
// --head-out saves the trained head (model/head-file.ts), --head annotates with a saved one
// instead of training.
import { readFile, stat, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import type { HeadParams, HeadResult } from '../analysis/scgpt-head.ts';
import { DEFAULT_HEAD_PARAMS, headAcross, headFromFile } from '../analysis/scgpt-head.ts';
import type { VotingParams } from '../analysis/vote-predictions.ts';
import type { NumericColumn } from '../io/types.ts';
import type { LoadedModel } from '../model/bundle.ts';
import type { SavedHead } from '../model/head-file.ts';
import { HeadFileError, MAX_HEAD_BYTES, readHeadFile, writeHeadFile } from '../model/head-file.ts';
import { resolveModelArg } from '../model/hub/node-cache.ts';
import type { NodeBackend } from '../model/node-model.ts';
import { loadEnsemblMap, loadModelDir, nodeEncoder } from '../model/node-model.ts';
import { initNodeWasm } from '../model/node-wasm.ts';
import type { Parsed } from './args.ts';
import { intFlag, parseArgs } from './args.ts';
import { openCliInputs } from './inputs.ts';
import { checkVotingColumn, evaluationLines, openReferenceAndQuery, VOTING_FLAGS, VOTING_SWITCHES, votingFlags, votingLines, writeAnnotated } from './annotate-output.ts';
import { UsageError } from './usage.ts';
import { scwebVersion } from './version.ts';

function numberFlag(p: Parsed, name: string, dflt: number, ok: (v: number) => boolean, what: string): number {
  const text = p.flags.get(name);
  if (text === undefined) return dflt;
  const v = Number(text);
  if (text.trim() === '' || !ok(v)) throw new UsageError(`--${name} must be ${what}, got "${text}"`);
  return v;
}

/** What only training uses: refused with --head, whose head is applied as it was trained. */
const TRAINING_FLAGS = ['reference', 'label-col', 'epochs', 'lr', 'batch-size', 'seed', 'holdout', 'unfreeze-last', 'head-out', 'max-length'];

/** A saved head, read within bounds (its size checked before it is read). */
async function loadHead(path: string): Promise<SavedHead> {
  const size = (
    await stat(path).catch(() => {
      throw new HeadFileError(path, 'no such file (--head takes a .pt written by --head-out or the app\'s "Save head")');
    })
  ).size;
  if (size > MAX_HEAD_BYTES) throw new HeadFileError(path, `${(size / 2 ** 20).toFixed(0)} MiB is far more than a classifier head (at most ${MAX_HEAD_BYTES / 2 ** 20} MiB is read): not a saved head`);
  return readHeadFile(new Uint8Array(await readFile(path)), path);
}

export async function scgptHeadCommand(argv: string[]): Promise<number> {
  const p = parseArgs(
    argv,
    ['reference', 'label-col', 'out', 'model', 'min-confidence', 'backend', 'epochs', 'lr', 'batch-size', 'seed', 'holdout', 'threads', 'gene-col', 'max-length', 'join', 'head', 'head-out', ...VOTING_FLAGS],
    ['unfreeze-last', 'probabilities', ...VOTING_SWITCHES],
  );
  const inputs = p.positionals;
  const [input] = inputs;
  const refPath = p.flags.get('reference');
  const labelColumn = p.flags.get('label-col');
  const out = p.flags.get('out');
  const modelDir = p.flags.get('model');
  const headPath = p.flags.get('head');
  const headOut = p.flags.get('head-out');
  if (headPath !== undefined) {
    const extra = TRAINING_FLAGS.filter((f) => p.flags.has(f));
    if (extra.length) throw new UsageError(`--head annotates with a saved head as it was trained (its labels, label column and tokenization travel with it): drop ${extra.map((f) => `--${f}`).join(', ')}, or train a new head without --head`);
    if (!input || !out || !modelDir) throw new UsageError('annotate --method scgpt-head --head HEAD.pt needs QUERY (several are joined into one), --model DIR|hf:OWNER/NAME (the checkpoint the head was trained on) and --out OUT.csv|OUT.h5ad');
  } else if (!input || !refPath || !labelColumn || !out || !modelDir) {
    throw new UsageError('annotate --method scgpt-head needs QUERY (several are joined into one), --reference REF, --label-col NAME, --model DIR|hf:OWNER/NAME and --out OUT.csv|OUT.h5ad (or --head HEAD.pt instead of --reference and --label-col)');
  }
  if (!/\.(csv|h5ad)$/.test(out)) throw new UsageError('--out must end in .csv or .h5ad');
  if (headOut !== undefined && !/\.pth?$/.test(headOut)) throw new UsageError(`--head-out must end in .pt (a torch.save file), got "${headOut}"`);
  const params: HeadParams = {
    ...DEFAULT_HEAD_PARAMS,
    labelColumn: labelColumn ?? '',
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
  // Read first: a file that is not a head is refused before the model and the data are loaded.
  const saved = headPath !== undefined ? await loadHead(headPath) : null;
  if (saved) log(`head: ${saved.classes.length} labels of "${saved.labelColumn}", trained on ${saved.training.reference} (${saved.training.nTrain} cells) with the encoder "${saved.encoder.name}"${saved.lastLayer ? ' and its last layer' : ''}`);
  const model = await loadModelDir(await resolveModelArg(modelDir, log));
  log(`model: ${model.description}; ${model.weights.config.nLayers} layers, d ${model.weights.config.dModel}`);
  if (saved) return applySaved(p, saved, headPath!, model, modelDir, inputs, out, { minConfidence: params.minConfidence, voting: params.voting }, backend, threads, log);
  const { ref, query } = await openReferenceAndQuery(refPath!, inputs, p, log);
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
      modelName: modelDir,
      createdBy: `scWeb ${scwebVersion()}`,
      onProgress: (_f, message, epoch) => {
        if (!epoch && performance.now() - last < 2000) return;
        last = performance.now();
        log(message);
      },
    });
    // The head first: a failure writing the predictions does not lose the training.
    if (headOut !== undefined) {
      await writeFile(headOut, writeHeadFile(r.trained!));
      log(`wrote the head to ${headOut} (reuse: --head ${headOut}; PyTorch: torch.load)`);
    }
    const rep = r.report;
    const training = rep.history.reduce((s, e) => s + e.seconds, 0);
    log(`encoder: ${rep.encoder}; head trained on tfjs ${rep.backend}${rep.unfreezeLast ? ' with the last encoder layer' : ''}, ${rep.history.length} epochs in ${training.toFixed(1)} s (${rep.seconds.toFixed(1)} s in all)`);
    if (rep.heldOut) log(`held-out reference cells (${rep.heldOut.n}): accuracy ${(100 * rep.heldOut.accuracy).toFixed(1)}%, macro-F1 ${rep.heldOut.macroF1.toFixed(3)}`);
    if (rep.noGenes.reference || rep.noGenes.query) log(`cells with no expressed gene in the model's vocabulary, left out: ${rep.noGenes.reference} of the reference, ${rep.noGenes.query} of the query (no prediction)`);
    await writeResult(p, r, query, input, out, params.minConfidence, log);
  } finally {
    dispose();
    ref.close();
    query.close();
  }
  return 0;
}

/** The summary lines, then the columns (and with --probabilities one per label) into OUT. */
async function writeResult(p: Parsed, r: HeadResult, query: Awaited<ReturnType<typeof openCliInputs>>, input: string, out: string, minConfidence: number, log: (m: string) => void): Promise<void> {
  const rep = r.report;
  log(`${rep.nQuery} query cells annotated${rep.savedHead ? ` by ${rep.savedHead.file}` : ` from ${rep.nRef} reference cells`}; ${(rep.summary.confidentShare * 100).toFixed(1)}% at probability >= ${minConfidence}`);
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
}

/** --head: the saved head on every query cell, no training. */
async function applySaved(
  p: Parsed,
  saved: SavedHead,
  headPath: string,
  model: LoadedModel,
  modelArg: string,
  inputs: string[],
  out: string,
  params: { minConfidence: number; voting: VotingParams },
  backend: NodeBackend,
  threads: number,
  log: (m: string) => void,
): Promise<number> {
  const query = await openCliInputs(inputs, p, log);
  let encoder: Awaited<ReturnType<typeof nodeEncoder>>['encoder'];
  let dispose: () => void;
  try {
    checkVotingColumn(query, params.voting);
    ({ encoder, dispose } = await nodeEncoder(model, backend, log, threads));
    if (backend === 'cpu') await initNodeWasm(threads).catch((err: unknown) => log(`the WebAssembly backend did not start (${(err as Error).message}): the head runs on tfjs's cpu backend`));
  } catch (err) {
    query.close();
    throw err;
  }
  try {
    let last = 0;
    const r = await headFromFile(query, model, encoder, saved, headPath, params, {
      ensemblToSymbol: await loadEnsemblMap(),
      geneColumn: p.flags.get('gene-col'),
      modelName: modelArg,
      mismatchFix: `Pass the checkpoint it was trained on with --model ("${saved.encoder.name}"), or train a head for this model (--reference REF --label-col NAME --head-out HEAD.pt).`,
      onProgress: (_f, message) => {
        if (performance.now() - last < 2000) return;
        last = performance.now();
        log(message);
      },
    });
    log(`encoder: ${r.report.encoder}; head on tfjs ${r.report.backend}`);
    if (r.report.savedHead?.note) log(`note: ${r.report.savedHead.note}`);
    if (r.report.noGenes.query) log(`cells with no expressed gene in the model's vocabulary, left out: ${r.report.noGenes.query} of the query (no prediction)`);
    await writeResult(p, r, query, inputs[0], out, params.minConfidence, log);
  } finally {
    dispose();
    query.close();
  }
  return 0;
}
