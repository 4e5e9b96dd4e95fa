// What every annotate method writes: its columns into the query, then OUT.csv (cell_id and those
// columns) or OUT.h5ad (a fresh copy of the query, or of the joined inputs, with them in obs); and
// what every method takes and prints of majority voting (--majority-voting, --over-clustering,
// --min-prop, as CellTypist's annotate).
import { writeFile } from 'node:fs/promises';
import type { MappingEvaluation } from '../analysis/evaluation.ts';
import { annotationCsv } from '../analysis/mapping.ts';
import { checkVoting, type VoteReport, type VotingParams } from '../analysis/vote-predictions.ts';
import { nodeH5Runtime } from '../io/h5/node-runtime.ts';
import { writeWithResults } from '../io/h5ad/results.ts';
import { fileBytes, openPaths } from '../io/node.ts';
import type { Column, Dataset } from '../io/types.ts';
import type { Parsed } from './args.ts';
import { openCliInputs } from './inputs.ts';
import { UsageError } from './usage.ts';

export async function writeAnnotated(query: Dataset, input: string, columns: Column[], out: string, log: (m: string) => void): Promise<void> {
  for (const c of columns) query.setColumn(c);
  if (out.endsWith('.csv')) await writeFile(out, annotationCsv(query, columns.map((c) => c.name)));
  else {
    const { lib } = await nodeH5Runtime();
    for (const n of await writeWithResults(lib, input, query, out, { obs: columns }, fileBytes(input))) log(`not copied: ${n}`);
  }
  log(`wrote ${out}`);
}

/** The arguments every reference -> query method needs: QUERY..., --reference, --label-col, --out. */
export function transferArgs(p: Parsed): { inputs: string[]; input: string; refPath: string; labelColumn: string; out: string } {
  const inputs = p.positionals;
  const [input] = inputs;
  const refPath = p.flags.get('reference');
  const labelColumn = p.flags.get('label-col');
  const out = p.flags.get('out');
  if (!input || !refPath || !labelColumn || !out) throw new UsageError('annotate needs QUERY and --reference REF (each .h5ad, 10x .h5 or an mtx folder; several QUERY inputs are joined into one), --label-col NAME and --out OUT.csv|OUT.h5ad');
  if (!/\.(csv|h5ad)$/.test(out)) throw new UsageError('--out must end in .csv or .h5ad');
  return { inputs, input, refPath, labelColumn, out };
}

/** The voting flags every method takes: value flags and the switch, for parseArgs. */
/** The reference file and the query inputs (joined when several), the reference closed again when the query cannot be opened. */
export async function openReferenceAndQuery(refPath: string, inputs: string[], p: Parsed, log: (m: string) => void): Promise<{ ref: Dataset; query: Dataset }> {
  const ref = await openPaths([refPath]);
  const query = await openCliInputs(inputs, p, log).catch((err: unknown) => {
    ref.close();
    throw err;
  });
  return { ref, query };
}

export const VOTING_FLAGS = ['over-clustering', 'min-prop'];
export const VOTING_SWITCHES = ['majority-voting'];

/** --majority-voting [--over-clustering COL] [--min-prop P], checked before anything is read. */
export function votingFlags(p: Parsed): VotingParams {
  const majorityVoting = p.flags.get('majority-voting') === 'true';
  const overClustering = p.flags.get('over-clustering') ?? null;
  const text = p.flags.get('min-prop');
  if (text !== undefined && !majorityVoting) throw new UsageError('--min-prop is for --majority-voting: add --majority-voting, or leave --min-prop out');
  if (overClustering !== null && !majorityVoting) throw new UsageError(`--over-clustering ${overClustering} is for --majority-voting: add --majority-voting, or leave --over-clustering out`);
  const minProp = text === undefined ? 0 : Number(text);
  if (text !== undefined && (text.trim() === '' || !(minProp >= 0 && minProp <= 1))) throw new UsageError(`--min-prop must be between 0 and 1 (the share of an over-cluster's votes its top label needs), got "${text}"`);
  return { majorityVoting, overClustering, minProp };
}

/** The over-clustering column checked on the opened query (exists, categorical, every cell in a cluster), before any computing. */
export function checkVotingColumn(query: Dataset, v: VotingParams): void {
  checkVoting(query, v, null, { overClustering: '--over-clustering', minProp: '--min-prop', voting: '--majority-voting' });
}

/** Accuracy, macro-F1 and per-label precision/recall against known labels; `what` names the labels evaluated. */
export function evaluationLines(e: MappingEvaluation | undefined, what = ''): string[] {
  if (!e) return [];
  return [
    `${what}against the query's "${e.truthColumn}" (${e.nCells} cells): accuracy ${e.accuracy.toFixed(3)}, macro-F1 ${e.macroF1.toFixed(3)}`,
    ...e.perLabel.map((l) => `  ${l.label}: precision ${l.predicted > 0 ? l.precision.toFixed(3) : '-'}, recall ${l.recall.toFixed(3)} (${l.support} cells)`),
  ];
}

/** What the log says of a majority vote: the over-clustering, the labels, and its evaluation. */
export function votingLines(v: VoteReport | null | undefined, warnings: string[] = []): string[] {
  const out = warnings.map((w) => `warning: ${w}`);
  if (!v) return out;
  const abstain = v.abstain.length ? `; ${v.nCells - v.nVoters} cells ${v.abstain.join('/')} or without a prediction did not vote` : '';
  out.push(`majority voting over ${v.nClusters} clusters (${v.overClustering}) into ${v.votedColumn}: ${v.changed} of ${v.nCells} cells changed label${abstain}${v.heterogeneous ? `; ${v.heterogeneous} clusters Heterogeneous (top label below --min-prop ${v.minProp})` : ''}${v.noVotes ? `; ${v.noVotes} clusters without a vote` : ''}`);
  for (const l of v.perLabel) out.push(`  ${l.label}: ${l.count} cells`);
  return [...out, ...evaluationLines(v.evaluation, 'majority voting ')];
}
