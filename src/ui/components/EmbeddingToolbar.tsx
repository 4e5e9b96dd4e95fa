// Above the embedding: which embedding, what colours it, lasso and the selection, fit, point size
// and opacity, cluster labels, and image export.
import type { DatasetSummary } from '../../io/summary.ts';
import { useState } from 'react';
import { useAnalysis } from '../analysis-store.ts';
import { useApp } from '../store.ts';
import { useView } from '../view-store.ts';
import { SelectionBar } from './SelectionBar.tsx';

/** Point size, opacity and cluster labels: set once, so they sit behind one button. */
function ViewMenu({ pointSize, opacity, showLabels, set }: { pointSize: number; opacity: number; showLabels: boolean; set(p: { pointSize?: number; opacity?: number; showLabels?: boolean }): void }) {
  const [open, setOpen] = useState(false);
  return (
    <div className="menu" onBlur={(e) => !e.currentTarget.contains(e.relatedTarget) && setOpen(false)}>
      <button aria-haspopup="true" aria-expanded={open} onClick={() => setOpen(!open)} data-testid="view-menu" title="point size, opacity, cluster labels">
        View ▾
      </button>
      {open && (
        <div className="menu-items view-items">
          <label title="point size">
            size <input type="range" min={0.3} max={4} step={0.1} value={pointSize} onChange={(e) => set({ pointSize: Number(e.target.value) })} data-testid="point-size" />
          </label>
          <label title="point opacity">
            opacity <input type="range" min={0.1} max={1} step={0.05} value={opacity} onChange={(e) => set({ opacity: Number(e.target.value) })} data-testid="point-opacity" />
          </label>
          <label title="names of the coloured column's categories at their cells' medians">
            <input type="checkbox" checked={showLabels} onChange={(e) => set({ showLabels: e.target.checked })} data-testid="show-labels" /> cluster labels
          </label>
        </div>
      )}
    </div>
  );
}

/**
 * The embedding without and with Harmony: X_umap_pca <-> X_umap_pca_harmony (the uncorrected UMAP
 * is computed on first asking, from the integrated run's own X_pca), X_pca <-> X_pca_harmony.
 */
function BeforeAfter({ summary, shown }: { summary: DatasetSummary; shown: string }) {
  const report = useAnalysis((s) => s.report);
  const beforeJob = useAnalysis((s) => s.integration.beforeJob);
  const showBefore = useAnalysis((s) => s.showBefore);
  const showEmbedding = useApp((s) => s.showEmbedding);
  const after = shown.endsWith('_harmony') ? shown : summary.obsm[`${shown}_harmony`] ? `${shown}_harmony` : null;
  if (!after || !summary.obsm[after]) return null;
  const before = after.slice(0, -'_harmony'.length);
  // The uncorrected UMAP can be made only for the last integrated run's own UMAP.
  const canMake = report?.integration?.umapKey === after && report.integration.beforeUmapKey === before;
  if (!summary.obsm[before] && !canMake) return null;
  const onBefore = shown === before;
  return (
    <span className="segmented" role="group" aria-label="before or after Harmony" data-testid="before-after">
      <button
        className={onBefore ? 'on' : ''}
        aria-pressed={onBefore}
        disabled={!!beforeJob}
        onClick={() => void (summary.obsm[before] ? showEmbedding(before) : showBefore(before))}
        title={summary.obsm[before] ? `${before}: without Harmony` : `compute ${before}: the graph and UMAP of the same run without Harmony`}
        data-testid="show-before"
      >
        {beforeJob ? 'computing…' : 'before'}
      </button>
      <button className={onBefore ? '' : 'on'} aria-pressed={!onBefore} onClick={() => void showEmbedding(after)} title={`${after}: after Harmony`} data-testid="show-after">
        after Harmony
      </button>
    </span>
  );
}

export function EmbeddingToolbar({ summary }: { summary: DatasetSummary }) {
  const embedding = useApp((s) => s.embedding);
  const colorBy = useApp((s) => s.colorBy);
  const showEmbedding = useApp((s) => s.showEmbedding);
  const setColorBy = useApp((s) => s.setColorBy);
  const { pointSize, opacity, showLabels, set, fit } = useView();
  const embeddings = Object.entries(summary.obsm).filter(([, shape]) => shape[1] >= 2);
  const gene = colorBy?.startsWith('gene: ') ? colorBy : null;
  return (
    <div className="toolbar" data-testid="toolbar">
      <select data-testid="embedding-select" aria-label="embedding" title="embedding (obsm)" value={embedding?.key ?? ''} onChange={(e) => void showEmbedding(e.target.value)} disabled={embeddings.length === 0}>
        {embeddings.length === 0 && <option value="">no embedding</option>}
        {embeddings.map(([k, shape]) => (
          <option key={k} value={k}>
            {k}
            {shape[1] > 2 ? ` (${shape[1]}-D: 1, 2)` : ''}
          </option>
        ))}
      </select>
      {embedding && <BeforeAfter summary={summary} shown={embedding.key} />}
      <select data-testid="color-select" aria-label="colour by" title="colour by an obs column (or a gene, from the genes panel)" value={colorBy ?? ''} onChange={(e) => void setColorBy(e.target.value || null)}>
        <option value="">no colour</option>
        {gene && <option value={gene}>{gene}</option>}
        {Object.keys(summary.obs).map((name) => (
          <option key={name} value={name}>
            {name}
          </option>
        ))}
      </select>
      <SelectionBar />
      <span className="spacer" />
      <button onClick={fit} title="frame all cells" data-testid="fit-view">
        Fit
      </button>
      <ViewMenu pointSize={pointSize} opacity={opacity} showLabels={showLabels} set={set} />
    </div>
  );
}
