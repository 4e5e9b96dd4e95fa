// After a pipeline run the analysis drawer closes, so the embedding gets its room back; what the
// run found stays in view on this line until put away, with a way back to the drawer's steps.
import { integrationLine } from '../../analysis/report.ts';
import { useAnalysis } from '../analysis-store.ts';
import { useView } from '../view-store.ts';

export function RunReport() {
  const report = useAnalysis((s) => s.report);
  const job = useAnalysis((s) => s.job);
  const shown = useView((s) => s.runReport);
  const metrics = useAnalysis((s) => s.integration.metrics);
  if (!shown || !report || job) return null;
  return (
    <div className="note run-report" role="status" data-testid="analysis-report">
      Pipeline done: {report.nKept.toLocaleString()} of {report.nCells.toLocaleString()} cells pass QC, {report.nHvg} HVGs, {report.nClusters} Leiden clusters; neighbours {report.neighborsMethod}, UMAP on {report.umapDevice}.{' '}
      {report.integration && (
        <>
          <span data-testid="report-integration">{integrationLine(report.integration)}.</span>{' '}
          {metrics && <b data-testid="report-reading">{metrics.reading}.</b>}{' '}
          <button className="link" onClick={() => useView.getState().drawer !== 'integration' && useView.getState().openDrawer('integration')} data-testid="analysis-report-metrics">
            Integration metrics
          </button>{' '}
        </>
      )}
      <button
        className="link"
        onClick={() => {
          if (useView.getState().drawer !== 'analysis') useView.getState().openDrawer('analysis');
        }}
        data-testid="analysis-report-details"
      >
        Steps and parameters
      </button>
      <button className="link" onClick={() => useView.setState({ runReport: false })} aria-label="dismiss" data-testid="analysis-report-dismiss">
        ×
      </button>
    </div>
  );
}
