// Marker genes per group (clusters, any categorical obs column, or a lasso selection vs the rest):
// a table per group, a click on a gene colours the plot by it, and CSV export of every group.
// The group on show is remembered by name, so a recomputed table keeps it when it still exists and
// otherwise shows its first group; the select and the table always read the same group.
import { useState } from 'react';
import type { MarkerMethod } from '../../analysis/markers.ts';
import { markerTableCsv } from '../../analysis/report.ts';
import { useAnalysis } from '../analysis-store.ts';
import { resolveChoice } from '../choice.ts';
import { download } from '../download.ts';
import { useApp } from '../store.ts';
import type { GroupStats } from '../../analysis/group-stats.ts';
import { topMarkerGenes } from '../../analysis/group-stats.ts';
import { dataClient } from '../worker-client.ts';
import { DotPlot } from './DotPlot.tsx';
import { PanelError } from './PanelError.tsx';

export function MarkersPanel() {
  const markers = useAnalysis((s) => s.markers);
  const job = useAnalysis((s) => s.markersJob);
  const compute = useAnalysis((s) => s.computeMarkers);
  const colorByGene = useAnalysis((s) => s.colorByGene);
  const summary = useApp((s) => s.summary);
  // A column picked while its markers compute; afterwards the select names the table's column.
  const [pending, setPending] = useState<string | null>(null);
  const [method, setMethod] = useState<MarkerMethod>('wilcoxon');
  const [shownName, setShown] = useState<string | null>(null);
  const [dot, setDot] = useState<{ table: typeof markers; stats: GroupStats } | null>(null);
  const [dotBusy, setDotBusy] = useState(false);
  const fail = useApp((s) => s.fail);
  const showDotPlot = async () => {
    if (!markers || markers.groupBy === 'selection') return;
    setDotBusy(true);
    try {
      // The top 3 markers of every group, each gene once, as sc.pl.rank_genes_groups_dotplot.
      const genes = topMarkerGenes(markers.groups.map((g) => ({ genes: g.geneIds ?? g.genes })), 3);
      const { stats } = await dataClient().request<'group-stats'>({ type: 'group-stats', groupBy: markers.groupBy, genes }).done;
      setDot({ table: markers, stats });
    } catch (err) {
      fail(err, 'markers', 'Dot plot');
    } finally {
      setDotBusy(false);
    }
  };
  const categorical = Object.entries(summary?.obs ?? {}).filter(([, c]) => c.categories && Object.keys(c.categories).length >= 2 && Object.keys(c.categories).length <= 200).map(([n]) => n);
  // The lasso's table (selection vs rest) is named in the select while it is on show.
  const showsSelection = markers?.groupBy === 'selection' && !job;
  const groupBy = showsSelection ? 'selection' : resolveChoice(job ? pending : null, categorical, markers?.groupBy, 'leiden');
  const run = (by: string, m: MarkerMethod) => {
    setPending(by);
    void compute(by, m);
  };
  const groupNames = markers?.groups.map((g) => g.group) ?? [];
  const shown = resolveChoice(shownName, groupNames);
  const group = markers?.groups.find((g) => g.group === shown);
  const hasIds = !!group?.geneIds;
  return (
    <section className="panel markers" data-testid="markers-panel">
      <h3>Marker genes</h3>
      <div className="row">
        <select value={groupBy} onChange={(e) => run(e.target.value, method)} data-testid="markers-groupby" disabled={categorical.length === 0 || !!job}>
          {categorical.length === 0 && <option value="">no categorical column: run the pipeline</option>}
          {showsSelection && (
            <option value="selection" disabled>
              lasso selection vs rest
            </option>
          )}
          {categorical.map((n) => (
            <option key={n} value={n}>
              {n}
            </option>
          ))}
        </select>
        <select
          value={markers && !job ? markers.method : method}
          onChange={(e) => {
            setMethod(e.target.value as MarkerMethod);
            if (groupBy) run(groupBy, e.target.value as MarkerMethod);
          }}
          disabled={!!job}
        >
          <option value="wilcoxon">wilcoxon</option>
          <option value="t-test">t-test</option>
        </select>
        <button disabled={!groupBy || showsSelection || !!job} onClick={() => run(groupBy, method)} data-testid="markers-compute" title="recompute (the column's labels may have changed)">
          Recompute
        </button>
      </div>
      <PanelError panel="markers" />
      {job && (
        <div className="row">
          <progress max={1} value={job.fraction} /> <span className="muted">{job.message}</span>
        </div>
      )}
      {markers && group && (
        <>
          <div className="row">
            <label>
              {markers.groupBy}{' '}
              <select value={group.group} onChange={(e) => setShown(e.target.value)} data-testid="markers-group">
                {markers.groups.map((g) => (
                  <option key={g.group} value={g.group}>
                    {g.group} ({g.nCells.toLocaleString()} cells)
                  </option>
                ))}
              </select>
            </label>
            <span className="muted" data-testid="markers-method">
              {markers.method}
            </span>
            <button onClick={() => void showDotPlot()} disabled={dotBusy || markers.groupBy === 'selection'} data-testid="dotplot-button">
              Dot plot
            </button>
            <button onClick={() => download(`markers_${markers.groupBy}_${markers.method}.csv`, new Blob([markerTableCsv(markers)], { type: 'text/csv' }))} data-testid="markers-csv">
              Export CSV
            </button>
          </div>
          <table data-testid="markers-table" data-group={group.group}>
            <thead>
              <tr>
                <th>gene</th>
                <th title={markers.method === 'wilcoxon' ? 'z-score' : 't statistic'}>score</th>
                <th>log2FC</th>
                <th>p adj (BH)</th>
                <th title="cells expressing the gene: in the group / in the rest">% in / out</th>
              </tr>
            </thead>
            <tbody>
              {group.genes.slice(0, 25).map((g, i) => (
                <tr key={`${g}:${i}`} onClick={() => void colorByGene(group.geneIds?.[i] ?? g)} title={hasIds ? `${group.geneIds![i]}: colour the plot by this gene` : 'colour the plot by this gene'}>
                  <td className="gene">{g}</td>
                  <td>{group.scores[i].toFixed(2)}</td>
                  <td>{Number.isFinite(group.logFoldChanges[i]) ? group.logFoldChanges[i].toFixed(2) : '–'}</td>
                  <td>{group.pvalsAdj[i].toExponential(1)}</td>
                  <td>
                    {Math.round(group.pctIn[i] * 100)} / {Math.round(group.pctOut[i] * 100)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {dot && dot.table === markers && <DotPlot stats={dot.stats} />}
        </>
      )}
    </section>
  );
}
