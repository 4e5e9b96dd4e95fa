// The plots scanpy users reach for, for the marker table's grouping (or leiden / the first
// categorical column): dot plot of the top markers per group.
import { useEffect, useState } from 'react';
import type { GroupStats } from '../../analysis/group-stats.ts';
import { topMarkerGenes } from '../../analysis/group-stats.ts';
import { useAnalysis } from '../analysis-store.ts';
import { useApp } from '../store.ts';
import { dataClient } from '../worker-client.ts';
import { DotPlot } from './DotPlot.tsx';
import { PanelError } from './PanelError.tsx';

export function PlotsTab() {
  const markers = useAnalysis((s) => s.markers);
  const fail = useApp((s) => s.fail);
  const [stats, setStats] = useState<GroupStats | null>(null);
  const groupBy = markers && markers.groupBy !== 'selection' ? markers.groupBy : null;
  // The top 3 markers of every group, each gene once, as sc.pl.rank_genes_groups_dotplot.
  const genes = markers && groupBy ? topMarkerGenes(markers.groups.map((g) => ({ genes: g.geneIds ?? g.genes })), 3) : [];
  const key = `${groupBy}:${genes.join(',')}`;
  useEffect(() => {
    if (!groupBy || genes.length === 0) return;
    let live = true;
    dataClient()
      .request<'group-stats'>({ type: 'group-stats', groupBy, genes })
      .done.then((r) => live && setStats(r.stats))
      .catch((err) => fail(err, 'markers', 'Dot plot'));
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key]);
  if (!groupBy) return <p className="muted pad">Compute markers of a grouping (run the analysis, or pick a column in the genes panel) to plot them here.</p>;
  return (
    <div className="plots">
      <PanelError panel="markers" />
      {stats ? <DotPlot stats={stats} /> : <p className="muted">computing…</p>}
    </div>
  );
}
