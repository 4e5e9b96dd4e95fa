// One progress indicator in the top bar for whatever runs (a load, the pipeline, an embedding,
// markers, a mapping or an export), with its cancel; the drawers keep their detailed step lists.
import { STEPS } from '../../analysis/pipeline.ts';
import { useAnalysis } from '../analysis-store.ts';
import { useAnnotation } from '../annotation-store.ts';
import { useGrn } from '../grn-store.ts';
import { useApp } from '../store.ts';
import { dataClient } from '../worker-client.ts';

interface Running {
  what: string;
  fraction: number;
  cancel(): void;
}

function useRunning(): Running | null {
  const loading = useApp((s) => s.loading);
  const embedJob = useApp((s) => s.embedJob);
  const job = useAnalysis((s) => s.job);
  const markersJob = useAnalysis((s) => s.markersJob);
  const { metricsJob, beforeJob } = useAnalysis((s) => s.integration);
  const annotationJob = useAnnotation((s) => s.job);
  const grnJob = useGrn((s) => s.job);
  if (loading) return { what: `Loading ${loading.fileName}: ${loading.message}`, fraction: loading.fraction, cancel: () => useApp.getState().cancelLoad() };
  if (job) {
    const done = STEPS.filter((s) => ['done', 'cached', 'skipped'].includes(job.steps[s]?.state ?? '')).length;
    const running = STEPS.find((s) => job.steps[s]?.state === 'running');
    const within = running ? (job.steps[running]?.fraction ?? 0) : 0;
    return { what: `Analysis: ${running ?? 'starting'}${running ? ` (${job.steps[running]?.message ?? ''})` : ''}`, fraction: (done + within) / STEPS.length, cancel: () => useAnalysis.getState().cancel() };
  }
  if (embedJob) {
    const rate = embedJob.cellsPerSecond !== undefined ? ` · ${embedJob.cellsPerSecond.toFixed(1)} cells/s` : '';
    return { what: `Embedding: ${embedJob.message}${rate}`, fraction: embedJob.fraction, cancel: () => useApp.getState().cancelEmbed() };
  }
  if (beforeJob) return { what: `UMAP without Harmony: ${beforeJob.message}`, fraction: beforeJob.fraction, cancel: () => useAnalysis.getState().cancelBefore() };
  if (metricsJob) return { what: `Integration metrics: ${metricsJob.message}`, fraction: metricsJob.fraction, cancel: () => useAnalysis.getState().cancelMetrics() };
  if (markersJob) return { what: `Markers: ${markersJob.message}`, fraction: markersJob.fraction, cancel: () => dataClient().cancel(markersJob.id) };
  if (annotationJob) return { what: `Annotation: ${annotationJob.message}`, fraction: annotationJob.fraction, cancel: () => dataClient().cancel(annotationJob.id) };
  if (grnJob) return { what: `${grnJob.kind === 'programs' ? 'Gene programs' : 'Attention GRN'}: ${grnJob.message}`, fraction: grnJob.fraction, cancel: () => useGrn.getState().cancel() };
  return null;
}

export function JobIndicator() {
  const running = useRunning();
  if (!running) return null;
  return (
    <div className="job" data-testid="progress" role="status" title={running.what}>
      <span className="job-text">{running.what}</span>
      <progress max={1} value={running.fraction} />
      <button onClick={running.cancel} data-testid="job-cancel">
        Cancel
      </button>
    </div>
  );
}
