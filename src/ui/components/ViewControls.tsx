import type { DatasetSummary } from '../../io/summary.ts';
import { useApp } from '../store.ts';

/** Which embedding to plot, what to colour by, and which matrix holds the counts. */
export function ViewControls({ summary }: { summary: DatasetSummary }) {
  const embedding = useApp((s) => s.embedding);
  const colorBy = useApp((s) => s.colorBy);
  const showEmbedding = useApp((s) => s.showEmbedding);
  const setColorBy = useApp((s) => s.setColorBy);
  const chooseCounts = useApp((s) => s.chooseCounts);
  const embeddings = Object.entries(summary.obsm).filter(([, shape]) => shape[1] >= 2);
  return (
    <div className="controls">
      <label>
        Embedding{' '}
        <select data-testid="embedding-select" value={embedding?.key ?? ''} onChange={(e) => void showEmbedding(e.target.value)} disabled={embeddings.length === 0}>
          {embeddings.length === 0 && <option value="">none in file</option>}
          {embeddings.map(([k, shape]) => (
            <option key={k} value={k}>
              {k} ({shape[1]}-D{shape[1] > 2 ? ', first 2 shown' : ''})
            </option>
          ))}
        </select>
      </label>
      <label>
        Colour by{' '}
        <select data-testid="color-select" value={colorBy ?? ''} onChange={(e) => void setColorBy(e.target.value || null)}>
          <option value="">(none)</option>
          {Object.entries(summary.obs).map(([name, c]) => (
            <option key={name} value={name}>
              {name} ({c.type})
            </option>
          ))}
        </select>
      </label>
      <label title={summary.counts_reason}>
        Counts matrix{' '}
        <select data-testid="counts-select" value={summary.counts_source ?? ''} onChange={(e) => void chooseCounts(e.target.value)} disabled={summary.matrices.length === 0}>
          {summary.counts_source === null && <option value="">none detected</option>}
          {summary.matrices.map((m) => (
            <option key={m.key} value={m.key}>
              {m.key} ({m.content})
            </option>
          ))}
        </select>
      </label>
    </div>
  );
}
