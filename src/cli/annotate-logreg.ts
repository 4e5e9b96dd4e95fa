// `scweb annotate --method logreg` (the default method): logistic regression trained on a labelled
// reference (CellTypist's recipe, src/analysis/logistic-regression.ts), calibrated on held-back
// reference cells, applied to the query; the trained model can be written (JSON or a CellTypist
// .pkl) for reuse. --backend: where the training's gradient runs (analysis/logreg-engine.ts).
import { writeFile } from 'node:fs/promises';
import { linearAnnotatorToJson, linearAnnotatorToPkl } from '../analysis/linear-annotator-json.ts';
import { logRegGpu, type LogRegDevice } from '../analysis/logreg-engine.ts';
import { DEFAULT_MAP_PARAMS, mapAcross, type MapParams, type MapReport } from '../analysis/mapping.ts';
import { nodePool } from '../analysis/pool-node.ts';
import { installNodeWebGPU } from '../model/node-gpu.ts';
import { intFlag, parseArgs, threadsFlag, type Parsed } from './args.ts';
import { checkVotingColumn, evaluationLines, openReferenceAndQuery, transferArgs, VOTING_FLAGS, VOTING_SWITCHES, votingFlags, votingLines, writeAnnotated } from './annotate-output.ts';
import { UsageError } from './usage.ts';

export async function logregCommand(argv: string[]): Promise<number> {
  const p = parseArgs(argv, ['reference', 'label-col', 'out', 'multi-class', 'c', 'solver', 'top-genes', 'model-out', 'min-confidence', 'seed', 'threads', 'backend', 'join', ...VOTING_FLAGS], ['feature-selection', ...VOTING_SWITCHES]);
  const { inputs, input, refPath, labelColumn, out } = transferArgs(p);
  const modelOut = p.flags.get('model-out');
  if (modelOut !== undefined && !/\.(json|pkl)$/.test(modelOut)) throw new UsageError('--model-out must end in .json (scWeb) or .pkl (CellTypist)');
  const minConfidence = Number(p.flags.get('min-confidence') ?? DEFAULT_MAP_PARAMS.minConfidence);
  if (!(minConfidence >= 0 && minConfidence <= 1)) throw new UsageError('--min-confidence must be between 0 and 1');
  const backend = (p.flags.get('backend') ?? 'auto') as LogRegDevice;
  if (!['auto', 'webgpu', 'cpu'].includes(backend)) throw new UsageError(`--backend must be auto, webgpu or cpu, got "${backend}"`);
  const params: MapParams = { ...DEFAULT_MAP_PARAMS, method: 'logreg', labelColumn, reference: 'missing', minConfidence, logreg: { ...logregFlags(p), device: backend }, seed: intFlag(p, 'seed', 0), voting: votingFlags(p) };
  const log = (m: string) => process.stderr.write(`scweb: ${m}\n`);
  const pool = nodePool(threadsFlag(p));
  try {
    const { ref, query } = await openReferenceAndQuery(refPath, inputs, p, log);
    try {
      checkVotingColumn(query, params.voting);
      const gpu = await trainingGpu(backend, log);
      let last = 0;
      const onProgress = (f: number, m: string) => {
        const now = performance.now();
        if (now - last < 5000 && f < 1) return;
        last = now;
        log(m);
      };
      const { columns, report, model } = await mapAcross(ref, query, params, { onProgress, pool, gpu: gpu.gpu, noGpu: gpu.noGpu });
      for (const line of reportLines(report, minConfidence)) log(line);
      for (const line of votingLines(report.voting, report.warnings)) log(line);
      if (modelOut && model) {
        await writeFile(modelOut, modelOut.endsWith('.pkl') ? linearAnnotatorToPkl(model, report.training?.nCells) : linearAnnotatorToJson(model));
        log(`wrote the model (${model.classes.length} labels, ${model.features.length} genes) to ${modelOut}`);
      }
      await writeAnnotated(query, input, columns, out, log);
    } finally {
      ref.close();
      query.close();
    }
  } finally {
    pool?.terminate();
  }
  return 0;
}

/** The GPU for the training's gradient: 'webgpu' without an adapter is refused; 'auto' falls back to the CPU (and says why in the report). */
async function trainingGpu(backend: LogRegDevice, log: (m: string) => void): Promise<Awaited<ReturnType<typeof logRegGpu>> & { noGpu: string }> {
  if (backend === 'cpu') return { gpu: null, detail: 'the CPU was chosen', noGpu: '--backend cpu' };
  const installed = await installNodeWebGPU();
  const r = installed.ok ? await logRegGpu(backend) : { gpu: null, detail: `no WebGPU (${installed.reason})` };
  if (!r.gpu && backend === 'webgpu') throw new Error(`--backend webgpu: no WebGPU adapter for the training (${r.detail}; see \`scweb help\` for the Vulkan environment)`);
  if (r.gpu) log(backend === 'webgpu' ? `training's gradient on WebGPU (${r.detail}), --backend webgpu` : `training's gradient on WebGPU (${r.detail}) if the reference is above the size threshold`);
  return { ...r, noGpu: r.detail.replace(/; using the CPU.*$/, '') };
}

function logregFlags(p: Parsed): MapParams['logreg'] {
  const d = DEFAULT_MAP_PARAMS.logreg;
  const multiClass = p.flags.get('multi-class') ?? d.multiClass;
  if (multiClass !== 'ovr' && multiClass !== 'multinomial') throw new UsageError('--multi-class must be multinomial or ovr');
  const C = Number(p.flags.get('c') ?? d.C);
  if (!(C > 0) || !Number.isFinite(C)) throw new UsageError(`--c must be a positive number, got "${p.flags.get('c')}"`);
  const solver = p.flags.get('solver') ?? d.solver;
  if (solver !== 'auto' && solver !== 'lbfgs' && solver !== 'sgd') throw new UsageError('--solver must be auto, lbfgs or sgd');
  const featureSelection = p.flags.get('feature-selection') === 'true';
  if (p.flags.has('top-genes') && !featureSelection) throw new UsageError('--top-genes is for --feature-selection');
  const topGenes = intFlag(p, 'top-genes', d.topGenes);
  if (topGenes < 1) throw new UsageError('--top-genes must be at least 1');
  return { ...d, multiClass, C, solver, featureSelection, topGenes };
}

/** What the log says of a logistic-regression mapping: counts, training, calibration, evaluation. */
export function reportLines(r: MapReport, minConfidence: number): string[] {
  const out = [`${r.nQuery} query cells from ${r.nRef} reference cells by logistic regression on ${r.nShared} shared genes (of the reference's ${r.nRefGenes}); ${(r.summary.confidentShare * 100).toFixed(1)}% at confidence >= ${minConfidence}`];
  const t = r.training;
  if (t) out.push(`trained (${t.solver}) on ${t.nCells} cells x ${t.nFeatures} genes in ${t.seconds.toFixed(1)} s: ${t.iterations} ${t.solver === 'lbfgs' ? 'iterations' : 'epochs'}, ${t.converged ? 'converged' : 'NOT converged'} (${t.message})${t.featureSelection ? `; feature selection: ${t.featureSelection}` : ''}`, `gradient on the ${t.engine}`);
  const c = r.calibration;
  if (c && c.nHeldOut === 0) out.push(`calibration: ${c.note}`);
  else if (c) out.push(`held-back reference cells (${c.nHeldOut}): accuracy ${c.accuracy.toFixed(3)}, macro-F1 ${c.macroF1.toFixed(3)}, ECE ${c.eceBefore.toFixed(3)} -> ${c.eceAfter.toFixed(3)} at temperature ${c.temperature.toFixed(3)}${c.note ? ` (${c.note})` : ''}`);
  for (const l of r.summary.perLabel) out.push(`  ${l.label}: ${l.count} cells, mean confidence ${l.meanConfidence.toFixed(2)}`);
  if (r.summary.unassigned) out.push(`  unassigned: ${r.summary.unassigned}`);
  return [...out, ...evaluationLines(r.evaluation)];
}
