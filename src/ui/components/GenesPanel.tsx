// The right panel: genes. Search by symbol, the genes coloured recently, and the marker table of
// any grouping or of the lasso selection (a click on a gene colours the embedding by it).
import { useAnalysis } from '../analysis-store.ts';
import { useView } from '../view-store.ts';
import { GeneSearch } from './GeneSearch.tsx';
import { MarkersPanel } from './MarkersPanel.tsx';

function RecentGenes() {
  const recent = useView((s) => s.recentGenes);
  const colorByGene = useAnalysis((s) => s.colorByGene);
  if (recent.length === 0) return null;
  return (
    <div className="recent" data-testid="recent-genes">
      <span className="muted small">recent:</span>
      {recent.map((g) => (
        <button key={g} className="chip" onClick={() => void colorByGene(g)} data-testid="recent-gene">
          {g}
        </button>
      ))}
    </div>
  );
}

export function GenesPanel() {
  return (
    <aside className="right" data-testid="genes-panel">
      <GeneSearch />
      <RecentGenes />
      <MarkersPanel />
    </aside>
  );
}
