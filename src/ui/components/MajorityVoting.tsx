// CellTypist's majority voting, after any annotation method of the drawer (the reference mapping's
// logistic regression, kNN vote and scGPT head, and CellTypist models): the option with its
// over-clustering (CellTypist's own Leiden over-clustering, or a categorical obs column) and
// min_prop; then what the vote did, buttons to colour by the voted labels and the over-clusters,
// and, against known labels, the voted labels' evaluation.
import { useEffect, useMemo } from 'react';
import type { VoteReport, VotingParams } from '../../analysis/vote-predictions.ts';
import { useApp } from '../store.ts';
import { MappingEvaluation } from './MappingEvaluation.tsx';

/** The option; `columns`: the categorical obs columns offered as over-clusterings; `testId` prefixes the test ids. */
export function MajorityVotingOptions({ value, onChange, columns, testId }: { value: VotingParams; onChange: (v: VotingParams) => void; columns: string[]; testId: string }) {
  const set = (patch: Partial<VotingParams>) => onChange({ ...value, ...patch });
  // A column that is gone (another dataset, a dropped result) is no choice any more: what is shown is what is sent.
  const gone = value.overClustering !== null && !columns.includes(value.overClustering);
  useEffect(() => {
    if (gone) onChange({ ...value, overClustering: null });
  }, [gone, value, onChange]);
  const over = gone ? '' : (value.overClustering ?? '');
  return (
    <>
      <label title="CellTypist's majority voting: the query is over-clustered, and every over-cluster takes the label most of its cells were given">
        <span>
          <input type="checkbox" checked={value.majorityVoting} onChange={(e) => set({ majorityVoting: e.target.checked })} data-testid={`${testId}-majority`} /> majority voting
        </span>
      </label>
      {value.majorityVoting && (
        <>
          <label title="CellTypist's over-clustering: Leiden at a resolution of 5 to 30 (by the number of cells) on the query's neighbourhood graph">
            over-clustering
            <select value={over} onChange={(e) => set({ overClustering: e.target.value || null })} data-testid={`${testId}-overclustering`}>
              <option value="">Leiden at CellTypist&apos;s resolution</option>
              {columns.map((n) => (
                <option key={n} value={n}>
                  {n}
                </option>
              ))}
            </select>
          </label>
          <label title="an over-cluster whose top label holds less than this share of its votes is 'Heterogeneous' (CellTypist's min_prop)">
            min proportion
            <input type="number" value={value.minProp} min={0} max={1} step={0.05} onChange={(e) => set({ minProp: Number(e.target.value) })} data-testid={`${testId}-minprop`} />
          </label>
        </>
      )}
    </>
  );
}

/** The vote's result: clusters, changed cells, colour buttons and the evaluation of the voted labels. */
export function MajorityVotingResult({ report, testId }: { report: VoteReport; testId: string }) {
  const colorBy = useApp((s) => s.colorBy);
  const evaluated = useMemo(() => ({ predictedColumn: report.votedColumn, evaluation: report.evaluation }), [report]);
  const silent = report.nCells - report.nVoters;
  return (
    <div data-testid={`${testId}-voting`}>
      <p className="muted">
        Majority voting over {report.nClusters.toLocaleString()} clusters ({report.overClustering}): {report.changed.toLocaleString()} of {report.nCells.toLocaleString()} cells changed label
        {silent > 0 && report.abstain.length > 0 ? `; ${silent.toLocaleString()} cells ${report.abstain.join(' or ')} or without a prediction did not vote but took their cluster's label` : ''}
        {report.heterogeneous > 0 ? `; ${report.heterogeneous} clusters Heterogeneous (top label below ${report.minProp})` : ''}
        {report.noVotes > 0 ? `; ${report.noVotes} clusters without a vote` : ''}.
      </p>
      <div className="row">
        {[report.votedColumn, report.overClusteringColumn].map((c) => (
          <button key={c} className={colorBy === c ? 'chip active' : 'chip'} onClick={() => void useApp.getState().setColorBy(c)} data-testid={`${testId}-color-${c}`}>
            colour by {c}
          </button>
        ))}
      </div>
      <MappingEvaluation report={evaluated} testId="vote" what="Majority voting: " />
    </div>
  );
}
