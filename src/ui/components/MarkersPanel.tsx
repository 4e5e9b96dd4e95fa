// Marker genes per group (clusters, any categorical obs column, or a lasso selection vs the rest):
// a table per group, a click on a gene colours the plot by it, and CSV export of every group.
// The group on show is remembered by name, so a recomputed table keeps it when it still exists and
// otherwise shows its first group; the select and the table always read the same group.
import { useState } from 'react';
import type { MarkerMethod } from '../../analysis/markers.ts';
import { markerTableCsv } from '../../analysis/report.ts';
import { useAnalysis } from '../analysis-store.ts';
import { resolveChoice } from '../choice.ts';
import { download, exportName } from '../download.ts';
import { useApp } from '../store.ts';
import { markerRows, sortRows, type MarkerKey } from '../plot/marker-sort.ts';
import { useView } from '../view-store.ts';
import { PanelError } from './PanelError.tsx';

const COLUMNS: [MarkerKey, string, string?][] = [
  ['gene', 'gene'],
  ['score', 'score'],
  ['logfc', 'log2FC'],
  ['padj', 'p adj', 'Benjamini-Hochberg adjusted p-value'],
  ['pctIn', '%in', 'percent of the group\'s cells expressing the gene'],
  ['pctOut', '%out', 'percent of the other cells expressing the gene'],
];

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
  const [sort, setSort] = useState<{ key: MarkerKey; desc: boolean }>({ key: 'score', desc: true });
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
        <select aria-label="markers of the groups of" title="markers of the groups of this column" value={groupBy} onChange={(e) => run(e.target.value, method)} data-testid="markers-groupby" disabled={categorical.length === 0 || !!job}>
          {categorical.length === 0 && <option value="">none yet: run Analyze</option>}
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
          aria-label="test"
          value={markers && !job && !markers.stored ? markers.method : method}
          onChange={(e) => {
            setMethod(e.target.value as MarkerMethod);
            if (groupBy) run(groupBy, e.target.value as MarkerMethod);
          }}
          disabled={!!job}
        >
          <option value="wilcoxon">wilcoxon</option>
          <option value="t-test">t-test</option>
        </select>
        <button disabled={!groupBy || showsSelection || !!job} onClick={() => run(groupBy, method)} data-testid="markers-compute" title="recompute (the column's labels may have changed)" aria-label="recompute">
          ↻
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
            <select className="grow" aria-label={`group of ${markers.groupBy}`} value={group.group} onChange={(e) => setShown(e.target.value)} data-testid="markers-group">
                {markers.groups.map((g) => (
                  <option key={g.group} value={g.group}>
                    {g.group}
                    {Number.isFinite(g.nCells) ? ` (${g.nCells.toLocaleString()} cells)` : ''}
                  </option>
                ))}
              </select>
            <span className="muted hidden-label" data-testid="markers-method">
              {markers.method}
            </span>
            <button onClick={() => useView.getState().setTab('plots')} disabled={markers.groupBy === 'selection'} data-testid="dotplot-button" title="dot plot, violins and matrix plot of these markers">
              Plots
            </button>
            <button onClick={() => download(exportName(useApp.getState().summary?.file, [markers.groupBy, 'markers', markers.method], 'csv'), new Blob([markerTableCsv(markers)], { type: 'text/csv' }))} data-testid="markers-csv" title="every group's markers as CSV">
              CSV
            </button>
          </div>
          {markers.stored && (
            <p className="muted small" data-testid="markers-stored">
              from the file: uns/rank_genes_groups ({markers.method}); recompute for % expressing
            </p>
          )}
          <div className="table-scroll">
            <table data-testid="markers-table" data-group={group.group} data-rows={group.genes.length}>
              <thead>
                <tr>
                  {COLUMNS.map(([key, label, title]) => (
                    <th key={key} title={title ?? (key === 'score' ? (markers.method === 'wilcoxon' ? 'z-score' : 't statistic') : undefined)} aria-sort={sort.key === key ? (sort.desc ? 'descending' : 'ascending') : 'none'}>
                      <button className="sort" onClick={() => setSort({ key, desc: sort.key === key ? !sort.desc : key !== 'gene' && key !== 'padj' && key !== 'rank' })} data-testid={`sort-${key}`}>
                        {label}
                        {sort.key === key ? (sort.desc ? ' ↓' : ' ↑') : ''}
                      </button>
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {sortRows(markerRows(group), sort.key, sort.desc).map((r) => (
                  <tr key={`${r.id}:${r.rank}`} onClick={() => void colorByGene(r.id)} title={hasIds ? `${r.id}: colour the plot by this gene` : 'colour the plot by this gene'}>
                    <td className="gene">{r.gene}</td>
                    <td>{r.score.toFixed(2)}</td>
                    <td>{Number.isFinite(r.logfc) ? r.logfc.toFixed(2) : '–'}</td>
                    {/* A file's logreg markers carry no p-values (scanpy stores none for that method). */}
                    <td>{Number.isFinite(r.padj) ? r.padj.toExponential(1) : '–'}</td>
                    <td>{Number.isFinite(r.pctIn) ? Math.round(r.pctIn * 100) : '–'}</td>
                    <td>{Number.isFinite(r.pctOut) ? Math.round(r.pctOut * 100) : '–'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
    </section>
  );
}
