// Between the stores and a saved workspace: what to save now, and how to put a saved one back.
import { useAnalysis } from '../analysis-store.ts';
import { USER_LABEL, useAnnotation } from '../annotation-store.ts';
import { useApp } from '../store.ts';
import { useView } from '../view-store.ts';
import { WORKSPACE_VERSION, type Workspace } from './workspace.ts';

export function captureWorkspace(file: { name: string; size: number | null }): Workspace {
  const app = useApp.getState();
  const a = useAnalysis.getState();
  const v = useView.getState();
  const gene = app.colorBy?.startsWith('gene: ') ? app.colorBy.slice(6) : null;
  const hidden: Record<string, string[]> = {};
  for (const [name, cats] of Object.entries(v.hiddenBy)) if (cats.size > 0) hidden[name] = [...cats];
  const labels = useAnnotation.getState().labels;
  return {
    scweb: WORKSPACE_VERSION,
    savedAt: new Date().toISOString(),
    file,
    params: a.params,
    view: {
      embedding: app.embedding?.key ?? null,
      colorBy: gene ? null : app.colorBy,
      gene,
      hidden,
      ranges: v.ranges,
      pointSize: v.pointSize,
      opacity: v.opacity,
      showLabels: v.showLabels,
      tab: v.tab,
      recentGenes: v.recentGenes,
      clip: a.clip,
      markersGroupBy: a.markers && a.markers.groupBy !== 'selection' ? a.markers.groupBy : null,
      markersMethod: a.markers?.method === 't-test' ? 't-test' : 'wilcoxon',
    },
    labelsFrom: useAnnotation.getState().labelsFrom,
    ...(labels ? { labelColors: labels.colors } : {}),
  };
}

/** Applies a parsed (validated) workspace to the open dataset: parameters, view, labels, markers. */
export async function applyWorkspace(w: Workspace): Promise<void> {
  const app = useApp.getState();
  const summary = app.summary;
  if (!summary) return;
  useAnalysis.setState({ params: w.params, clip: w.view.clip });
  const view = useView.getState();
  const hiddenBy: Record<string, ReadonlySet<string>> = {};
  for (const [name, cats] of Object.entries(w.view.hidden)) hiddenBy[name] = new Set(cats);
  useView.setState({ pointSize: w.view.pointSize, opacity: w.view.opacity, showLabels: w.view.showLabels, tab: w.view.tab, recentGenes: w.view.recentGenes, hiddenBy, ranges: w.view.ranges });
  // Filters need their columns' values in the page.
  await Promise.all([...Object.keys(hiddenBy), ...Object.keys(w.view.ranges)].map((name) => view.loadColumn(name)));
  const jobs: Promise<unknown>[] = [];
  if (w.view.embedding && w.view.embedding !== app.embedding?.key) jobs.push(app.showEmbedding(w.view.embedding));
  if (w.view.gene) jobs.push(useAnalysis.getState().colorByGene(w.view.gene));
  else if (w.view.colorBy !== app.colorBy) jobs.push(app.setColorBy(w.view.colorBy));
  if (w.view.markersGroupBy && !useAnalysis.getState().markers) jobs.push(useAnalysis.getState().computeMarkers(w.view.markersGroupBy, w.view.markersMethod));
  const labels = summary.obs[USER_LABEL];
  if (labels?.categories) jobs.push(useAnnotation.getState().resumeLabels(w.labelsFrom, w.labelColors));
  await Promise.all(jobs);
}
