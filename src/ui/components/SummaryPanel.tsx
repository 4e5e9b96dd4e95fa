import type { DatasetSummary } from '../../io/summary.ts';
import { useApp } from '../store.ts';

const fmt = (n: number | null) => (n === null ? 'not counted' : n.toLocaleString('en-US'));

export function SummaryPanel({ summary }: { summary: DatasetSummary }) {
  const backend = useApp((s) => s.backend);
  const warnings = useApp((s) => s.warnings);
  const chooseCounts = useApp((s) => s.chooseCounts);
  const counts = summary.matrices.find((m) => m.key === summary.counts_source);
  const opened = useApp((s) => s.opened);
  const openFiles = useApp((s) => s.openFiles);
  return (
    <section className="summary" data-testid="summary">
      <p className="file">{summary.file}</p>
      <dl>
        <dt>Cells</dt>
        <dd>{fmt(summary.n_obs)}</dd>
        <dt>Genes</dt>
        <dd>{fmt(summary.n_vars)}</dd>
        <dt>Non-zeros</dt>
        <dd data-testid="nnz">{fmt(summary.nnz)}</dd>
        <dt>Counts</dt>
        <dd data-testid="counts-source" title={summary.counts_reason}>
          {counts ? `${counts.key} (${counts.encoding}, ${counts.dtype})` : <span className="warn">none found: {summary.counts_reason}</span>}
        </dd>
        <dt>Use as counts</dt>
        <dd>
          <select data-testid="counts-select" aria-label="counts matrix" value={summary.counts_source ?? ''} onChange={(e) => void chooseCounts(e.target.value)} disabled={summary.matrices.length === 0}>
            {summary.counts_source === null && <option value="">none detected</option>}
            {summary.matrices.map((m) => (
              <option key={m.key} value={m.key}>
                {m.key}
              </option>
            ))}
          </select>
        </dd>
        <dt>Format</dt>
        <dd data-testid="format" title={summary.format === 'h5ad' ? 'an .h5ad carries the version of its on-disk encoding (0.1.0 in every file anndata 0.8 and later writes), not the version of anndata that wrote it' : undefined}>
          {summary.format_detail}
        </dd>
        <dt>Compute</dt>
        <dd data-testid="backend">{backend ? `${backend.kind === 'webgpu' ? 'WebGPU' : 'CPU'}: ${backend.detail}` : 'detecting…'}</dd>
      </dl>
      {summary.samples && (
        <details open data-testid="samples">
          <summary>Samples ({summary.samples.length} files joined)</summary>
          <table>
            <thead>
              <tr>
                <th>sample</th>
                <th>file</th>
                <th>cells</th>
                <th>counts</th>
              </tr>
            </thead>
            <tbody>
              {summary.samples.map((s) => (
                <tr key={s.sample} data-testid="sample-row">
                  <td>{s.sample}</td>
                  <td title={s.file}>{s.file}</td>
                  <td>{fmt(s.n_obs)}</td>
                  <td>{s.counts ?? 'none'}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {opened && opened.files.length > 1 && (
            <label>
              Genes{' '}
              <select
                data-testid="join-select"
                aria-label="genes of the joined files"
                value={opened.join}
                onChange={(e) => void openFiles(opened.files, { paths: opened.paths, join: e.target.value === 'outer' ? 'outer' : 'inner' })}
              >
                <option value="inner">shared by every file (inner join)</option>
                <option value="outer">all, 0 where a file lacks one (outer join)</option>
              </select>
            </label>
          )}
          <ul className="muted">
            {(summary.join_notes ?? []).map((n) => (
              <li key={n}>{n}</li>
            ))}
          </ul>
        </details>
      )}
      {warnings.map((w) => (
        <p className="warn" key={w}>
          {w}
        </p>
      ))}
      <details open>
        <summary>Matrices ({summary.matrices.length})</summary>
        <table>
          <thead>
            <tr>
              <th>key</th>
              <th>storage</th>
              <th>shape</th>
              <th>nnz</th>
              <th>values</th>
            </tr>
          </thead>
          <tbody>
            {summary.matrices.map((m) => (
              <tr key={m.key}>
                <td>{m.key}</td>
                <td>
                  {m.encoding}, {m.dtype}
                </td>
                <td>
                  {m.shape[0].toLocaleString()} × {m.shape[1].toLocaleString()}
                </td>
                <td>{fmt(m.nnz)}</td>
                <td title={m.notes.join('; ')}>{m.content}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
      <details>
        <summary>obsm embeddings ({Object.keys(summary.obsm).length})</summary>
        <ul className="columns">
          {Object.entries(summary.obsm).map(([k, s]) => (
            <li key={k}>
              <b>{k}</b> <span className="muted">{s.join(' × ')}</span>
            </li>
          ))}
        </ul>
      </details>
      <p className="muted">
        Genes: {summary.var_names.slice(0, 6).join(', ')}…{summary.gene_symbols_column ? ` (symbols in var/${summary.gene_symbols_column})` : ''}
      </p>
    </section>
  );
}
