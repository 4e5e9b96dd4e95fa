// `scweb annotate QUERY --celltypist MODEL.pkl|NAME`: celltypist.annotate on the command line. The
// model is a CellTypist .pkl (read by the safe unpickler) or a name from the CellTypist registry
// (public/celltypist-models.json), downloaded once into the cache. Output: CellTypist's columns
// (predicted_labels, over_clustering, majority_voting, conf_score) as CSV or in a fresh .h5ad;
// --matrices DIR also writes decision_matrix.csv and probability_matrix.csv as its to_table does.
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { celltypistAnnotate, DEFAULT_CELLTYPIST_PARAMS, type CelltypistParams } from '../analysis/celltypist.ts';
import { readCelltypistModel } from '../analysis/celltypist-model.ts';
import { csvLines, csvNumber, csvText } from '../io/csv.ts';
import { openCliInputs } from './inputs.ts';
import { findCelltypistModel } from '../model/hub/celltypist-registry.ts';
import { ensureCelltypistModel, forgetCelltypistModel, loadCelltypistRegistry } from '../model/hub/celltypist-node.ts';
import { loadEnsemblMap } from '../model/node-model.ts';
import { parseArgs } from './args.ts';
import { checkVotingColumn, VOTING_FLAGS, VOTING_SWITCHES, votingFlags, votingLines, writeAnnotated } from './annotate-output.ts';
import { UsageError } from './usage.ts';

async function loadModel(arg: string, log: (m: string) => void) {
  if (existsSync(arg)) return readCelltypistModel(new Uint8Array(await readFile(arg)), basename(arg));
  const registry = await loadCelltypistRegistry();
  const entry = findCelltypistModel(registry, arg);
  if (!entry) {
    if (arg.endsWith('.pkl') || arg.includes('/')) throw new UsageError(`--celltypist: no file ${arg}`);
    throw new UsageError(`--celltypist: "${arg}" is neither a .pkl file nor a registry model (${registry.map((e) => e.name).join(', ')})`);
  }
  const path = await ensureCelltypistModel(entry, log);
  try {
    return readCelltypistModel(new Uint8Array(await readFile(path)), entry.filename);
  } catch (err) {
    // Not verified by a checksum and not a model: do not keep it for the next run.
    if (!entry.sha256) await forgetCelltypistModel(entry);
    throw err;
  }
}

function number(p: ReturnType<typeof parseArgs>, name: string, dflt: number, lo: number, hi: number): number {
  const v = p.flags.get(name);
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!(n >= lo && n <= hi)) throw new UsageError(`--${name} must be between ${lo} and ${hi}, got "${v}"`);
  return n;
}

export async function celltypistCommand(argv: string[]): Promise<number> {
  const p = parseArgs(argv, ['celltypist', 'out', 'mode', 'p-thres', 'prefix', 'matrices', 'join', ...VOTING_FLAGS], VOTING_SWITCHES);
  const inputs = p.positionals;
  const [input] = inputs;
  const modelArg = p.flags.get('celltypist');
  const out = p.flags.get('out');
  if (!input || !modelArg || !out) throw new UsageError('annotate --method celltypist needs QUERY, --celltypist MODEL.pkl|NAME and --out OUT.csv|OUT.h5ad');
  if (!/\.(csv|h5ad)$/.test(out)) throw new UsageError('--out must end in .csv or .h5ad');
  const mode = p.flags.get('mode') ?? 'best';
  if (!['best', 'prob', 'best match', 'prob match'].includes(mode)) throw new UsageError('--mode must be best or prob (CellTypist\'s "best match" / "prob match")');
  const params: CelltypistParams = {
    ...DEFAULT_CELLTYPIST_PARAMS,
    mode: mode.startsWith('prob') ? 'prob match' : 'best match',
    pThres: number(p, 'p-thres', 0.5, 0, 1),
    ...votingFlags(p),
    prefix: p.flags.get('prefix') ?? '',
  };
  const log = (m: string) => process.stderr.write(`scweb: ${m}\n`);
  // The model first: a file that is no model (or names a foreign global) stops before the query is read.
  const { model, info } = await loadModel(modelArg, log);
  log(`${info.fileName}: CellTypist model (${info.estimator}${info.sklearnVersion ? `, sklearn ${info.sklearnVersion}` : ''}) with ${model.classes.length} cell types and ${model.features.length.toLocaleString('en-US')} genes`);
  const query = await openCliInputs(inputs, p, log);
  try {
    checkVotingColumn(query, params);
    let last = 0;
    const { columns, report, prediction } = await celltypistAnnotate(query, model, params, {
      modelName: info.fileName,
      ensemblToSymbol: await loadEnsemblMap(),
      onProgress: (f, m) => {
        const now = performance.now();
        if (now - last < 1000 && f < 1) return;
        last = now;
        log(m);
      },
    });
    log(`input: ${report.input}`);
    log(`${report.nShared.toLocaleString('en-US')} of the model's ${report.nFeatures.toLocaleString('en-US')} genes in the query${report.nMapped ? ` (${report.nMapped} through the Ensembl/symbol map)` : ''}; ${report.nCells.toLocaleString('en-US')} cells, ${report.mode}${report.mode === 'prob match' ? ` (p > ${report.pThres})` : ''}`);
    for (const w of report.warnings) log(`warning: ${w}`);
    for (const l of report.perLabel) log(`  ${l.label}: ${l.count} cells, mean conf_score ${l.meanConfidence.toFixed(3)}`);
    for (const line of votingLines(report.voting)) log(line);
    await writeAnnotated(query, input, columns, out, log);
    const dir = p.flags.get('matrices');
    if (dir) {
      await mkdir(dir, { recursive: true });
      const C = prediction.classes.length;
      const table = (m: Float64Array) =>
        csvLines(
          ['', ...prediction.classes.map(csvText)],
          (function* () {
            for (let i = 0; i < prediction.nCells; i++) yield [csvText(query.obs.index[i]), ...Array.from(m.subarray(i * C, (i + 1) * C), (v) => csvNumber(v))];
          })(),
        );
      await writeFile(join(dir, `${params.prefix}decision_matrix.csv`), table(prediction.decision));
      await writeFile(join(dir, `${params.prefix}probability_matrix.csv`), table(prediction.probability));
      log(`wrote ${join(dir, `${params.prefix}decision_matrix.csv`)} and probability_matrix.csv`);
    }
  } finally {
    query.close();
  }
  return 0;
}
