// How well the last integrated run mixed its batches and kept cell types apart: LISI (harmonypy's
// compute_lisi), scIB's batch and label ASW and graph connectivity on the uncorrected embedding
// (X_pca) and on Harmony's (X_pca_harmony) side by side, per-cell LISI as violins, one line to read.
import { integrationLine } from '../../analysis/report.ts';
import type { ViolinResult } from '../../analysis/violin.ts';
import { useAnalysis } from '../analysis-store.ts';
import type { RGB } from '../colors.ts';
import { useApp } from '../store.ts';
import { PanelError } from './PanelError.tsx';
import { ViolinPlot } from './ViolinPlot.tsx';

const BEFORE_AFTER: RGB[] = [
  [150, 150, 150],
  [31, 119, 180],
];

const f = (v: number | null | undefined) => (v === null || v === undefined || Number.isNaN(v) ? '–' : v.toFixed(3));

function Row({ id, name, title, before, after, better }: { id: string; name: string; title: string; before: number | null; after: number | null; better: 'up' | 'down' | 'same' }) {
  const arrow = before === null || after === null ? '' : after > before ? '↑' : after < before ? '↓' : '=';
  return (
    <tr title={title}>
      <th scope="row">{name}</th>
      <td data-testid={`metric-${id}-before`}>{f(before)}</td>
      <td data-testid={`metric-${id}-after`}>{f(after)}</td>
      <td className="muted small">
        {arrow} {better === 'up' ? 'higher mixes more' : better === 'down' ? 'higher blurs cell types' : 'higher keeps types apart'}
      </td>
    </tr>
  );
}

function Violins({ result, testId }: { result: ViolinResult; testId: string }) {
  return <ViolinPlot result={result} colors={BEFORE_AFTER} testId={testId} xTitle="" height={160} />;
}

export function IntegrationPanel() {
  const report = useAnalysis((s) => s.report);
  const { metrics, labelKey, metricsJob } = useAnalysis((s) => s.integration);
  const computeMetrics = useAnalysis((s) => s.computeMetrics);
  const cancelMetrics = useAnalysis((s) => s.cancelMetrics);
  const summary = useApp((s) => s.summary);
  const integration = report?.integration;
  if (!integration || !summary) {
    return (
      <section className="panel" data-testid="integration-panel">
        <p className="muted">Run the pipeline with a batch key (Analyze, Batch integration) to compare the embedding before and after Harmony.</p>
      </section>
    );
  }
  const batchKeys = integration.keys.map((k) => k.key);
  const labelChoices = Object.entries(summary.obs)
    .filter(([name, c]) => !batchKeys.includes(name) && c.categories && Object.values(c.categories).filter((n) => n > 0).length >= 2)
    .map(([name]) => name);
  const m = metrics;
  const nBatches = integration.keys[0].batches.length;
  return (
    <section className="panel" data-testid="integration-panel">
      <p className="muted small" data-testid="integration-line">
        {integrationLine(integration)}.
      </p>
      <div className="row">
        <label title="cell-type labels for cLISI, the label ASW and graph connectivity (not a batch key)">
          labels
          <select value={labelKey ?? ''} onChange={(e) => void computeMetrics(e.target.value || null)} disabled={!!metricsJob} data-testid="metrics-label">
            <option value="">none (batch metrics only)</option>
            {labelChoices.map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
        </label>
        {metricsJob ? (
          <button onClick={cancelMetrics} data-testid="metrics-cancel">
            Cancel
          </button>
        ) : (
          <button onClick={() => void computeMetrics()} data-testid="metrics-compute">
            {m ? 'Compute again' : 'Compute metrics'}
          </button>
        )}
      </div>
      {metricsJob && (
        <p className="small" data-testid="metrics-progress">
          <progress max={1} value={metricsJob.fraction} /> {metricsJob.message}
        </p>
      )}
      <PanelError panel="integration" />
      {m && (
        <>
          <p className="reading" data-testid="metrics-reading">
            {m.reading}
          </p>
          <table className="metrics" data-testid="metrics-table">
            <thead>
              <tr>
                <th />
                <th>before ({m.before.key})</th>
                <th>after ({m.after.key})</th>
                <th />
              </tr>
            </thead>
            <tbody>
              <Row id="ilisi" name={`median iLISI (${m.batchKey}, of ${nBatches})`} title="inverse Simpson's index of the batches around each cell (harmonypy's compute_lisi, perplexity 30): 1 = one batch, up to the number of batches" before={m.before.iLisiMedian} after={m.after.iLisiMedian} better="up" />
              <Row id="batch-asw" name="batch ASW" title="scIB's silhouette_batch: 1 - |silhouette of the batches| within each cell type, averaged; 1 = batches mixed" before={m.before.batchAsw} after={m.after.batchAsw} better="up" />
              {m.labelKey && (
                <>
                  <Row id="clisi" name={`median cLISI (${m.labelKey})`} title="the same index over cell-type labels: near 1 = each cell among its own type" before={m.before.cLisiMedian} after={m.after.cLisiMedian} better="down" />
                  <Row id="label-asw" name="label ASW" title="scIB's silhouette of the labels, (s + 1) / 2: higher = cell types apart" before={m.before.labelAsw} after={m.after.labelAsw} better="same" />
                  <Row id="graph-connectivity" name="graph connectivity" title="scIB's graph_connectivity on a 15-NN graph: the share of each type's cells in its largest connected piece, averaged" before={m.before.graphConnectivity} after={m.after.graphConnectivity} better="same" />
                </>
              )}
            </tbody>
          </table>
          <p className="muted small">
            {m.nCells.toLocaleString()} cells, {m.seconds.toFixed(1)} s.
          </p>
          <Violins result={m.iLisi} testId="violin-ilisi" />
          {m.cLisi && <Violins result={m.cLisi} testId="violin-clisi" />}
        </>
      )}
    </section>
  );
}
