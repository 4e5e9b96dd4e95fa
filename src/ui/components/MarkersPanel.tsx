// Marker genes per group (clusters, any categorical obs column, or a lasso selection vs the rest):
// a table per group, a click on a gene colours the plot by it, and CSV export of every group.
import { useState } from 'react';
import type { MarkerMethod } from '../../analysis/markers.ts';
import { markerTableCsv } from '../../analysis/report.ts';
import { useAnalysis } from '../analysis-store.ts';
import { download } from '../download.ts';
import { useApp } from '../store.ts';

export function MarkersPanel() {
  const markers = useAnalysis((s) => s.markers);
  const job = useAnalysis((s) => s.markersJob);
  const compute = useAnalysis((s) => s.computeMarkers);
  const colorByGene = useAnalysis((s) => s.colorByGene);
  const summary = useApp((s) => s.summary);
  const [groupBy, setGroupBy] = useState('');
  const [method, setMethod] = useState<MarkerMethod>('wilcoxon');
  const [shown, setShown] = useState(0);
  const categorical = Object.entries(summary?.obs ?? {}).filter(([, c]) => c.categories && Object.keys(c.categories).length >= 2 && Object.keys(c.categories).length <= 200).map(([n]) => n);
  const group = markers?.groups[Math.min(shown, (markers?.groups.length ?? 1) - 1)];
  return (
    <section className="panel markers" data-testid="markers-panel">
      <h3>Marker genes</h3>
      <div className="row">
        <select value={groupBy} onChange={(e) => setGroupBy(e.target.value)} data-testid="markers-groupby">
          <option value="">group by…</option>
          {categorical.map((n) => (
            <option key={n} value={n}>
              {n}
            </option>
          ))}
        </select>
        <select value={method} onChange={(e) => setMethod(e.target.value as MarkerMethod)}>
          <option value="wilcoxon">wilcoxon</option>
          <option value="t-test">t-test</option>
        </select>
        <button disabled={!groupBy || !!job} onClick={() => void compute(groupBy, method).then(() => setShown(0))}>
          Compute
        </button>
      </div>
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
              <select value={shown} onChange={(e) => setShown(Number(e.target.value))} data-testid="markers-group">
                {markers.groups.map((g, i) => (
                  <option key={g.group} value={i}>
                    {g.group} ({g.nCells.toLocaleString()} cells)
                  </option>
                ))}
              </select>
            </label>
            <button onClick={() => download(`markers_${markers.groupBy}_${markers.method}.csv`, new Blob([markerTableCsv(markers)], { type: 'text/csv' }))} data-testid="markers-csv">
              Export CSV
            </button>
          </div>
          <table data-testid="markers-table">
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
                <tr key={g} onClick={() => void colorByGene(g)} title="colour the plot by this gene">
                  <td className="gene">{g}</td>
                  <td>{group.scores[i].toFixed(2)}</td>
                  <td>{group.logFoldChanges[i].toFixed(2)}</td>
                  <td>{group.pvalsAdj[i].toExponential(1)}</td>
                  <td>
                    {Math.round(group.pctIn[i] * 100)} / {Math.round(group.pctOut[i] * 100)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}
