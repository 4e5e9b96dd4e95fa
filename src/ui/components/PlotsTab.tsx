// The plots scanpy users reach for, for any categorical grouping: dot plot, violins and a matrix
// plot of the top markers per group (the marker table's, as sc.pl.rank_genes_groups_dotplot picks
// them: the top 3 of each group, each gene once).
import { useState } from 'react';
import { topMarkerGenes } from '../../analysis/group-stats.ts';
import { useAnalysis } from '../analysis-store.ts';
import { resolveChoice } from '../choice.ts';
import { useApp } from '../store.ts';
import { PlotsPanel } from './PlotsPanel.tsx';

export function PlotsTab() {
  const markers = useAnalysis((s) => s.markers);
  const summary = useApp((s) => s.summary);
  const [picked, setPicked] = useState<string | null>(null);
  const categorical = Object.entries(summary?.obs ?? {})
    .filter(([, c]) => c.categories && Object.keys(c.categories).length >= 2 && Object.keys(c.categories).length <= 200)
    .map(([n]) => n);
  const markersBy = markers && markers.groupBy !== 'selection' ? markers.groupBy : null;
  const groupBy = resolveChoice(picked, categorical, markersBy ?? undefined, 'leiden');
  const genes = markers && markersBy === groupBy ? topMarkerGenes(markers.groups.map((g) => ({ genes: g.geneIds ?? g.genes })), 3) : [];
  if (!groupBy) return <p className="muted pad">No categorical column to group by: run the analysis (Analyze) for Leiden clusters.</p>;
  return (
    <div className="plots-tab">
      <div className="toolbar">
        <label>
          group by{' '}
          <select value={groupBy} onChange={(e) => setPicked(e.target.value)} data-testid="plots-groupby">
            {categorical.map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
        </label>
        {genes.length === 0 && (
          <span className="muted small" data-testid="plots-no-markers">
            no markers of {groupBy} yet: compute them in the genes panel for the dot and matrix plots
          </span>
        )}
      </div>
      <PlotsPanel groupBy={groupBy} genes={genes} />
    </div>
  );
}
