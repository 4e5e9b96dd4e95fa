// Lasso controls: draw, the selected count, markers of the selection vs the rest, clear; and the
// colour scale's percentile clip when numbers colour the plot.
import { useAnalysis } from '../analysis-store.ts';
import { useApp } from '../store.ts';

export function SelectionBar() {
  const lassoMode = useAnalysis((s) => s.lassoMode);
  const setLassoMode = useAnalysis((s) => s.setLassoMode);
  const selection = useAnalysis((s) => s.selection);
  const clear = useAnalysis((s) => s.clearSelection);
  const markers = useAnalysis((s) => s.selectionMarkers);
  const busy = useAnalysis((s) => !!s.markersJob);
  const method = useAnalysis((s) => s.params.markers.method);
  const embedding = useApp((s) => s.embedding);
  const clip = useAnalysis((s) => s.clip);
  const setClip = useAnalysis((s) => s.setClip);
  const numeric = useApp((s) => s.colorColumn?.kind === 'numeric');
  return (
    <>
      <button className={lassoMode ? 'on' : ''} aria-pressed={lassoMode} onClick={() => setLassoMode(!lassoMode)} disabled={!embedding} data-testid="lasso-toggle" title="lasso (L): drag on the plot to select cells; pan and zoom otherwise">
        {lassoMode ? 'Lasso: drag' : 'Lasso'}
      </button>
      {selection && (
        <>
          <span data-testid="selection-count">{selection.count.toLocaleString()} selected</span>
          <button onClick={() => void markers(method)} disabled={busy || selection.count < 2} data-testid="selection-markers" title="marker genes of the selected cells against the rest">
            Markers vs rest
          </button>
          <button onClick={clear} title="clear the selection (Esc)">
            Clear
          </button>
        </>
      )}
      {numeric && (
        <label title="clip the colour scale to these percentiles (scanpy's vmin/vmax)">
          clip % <input type="number" min={0} max={100} value={clip[0]} onChange={(e) => setClip([Number(e.target.value), clip[1]])} className="pct" data-testid="clip-low" />–
          <input type="number" min={0} max={100} value={clip[1]} onChange={(e) => setClip([clip[0], Number(e.target.value)])} className="pct" data-testid="clip-high" />
        </label>
      )}
    </>
  );
}
