// Cell-type annotation: reference mapping with per-cell confidence, marker-set suggestions per
// cluster, hand-edited labels (rename, merge, assign the lasso selection; undo/redo) and exports.
import { useMemo, useState } from 'react';
import { useAnalysis } from '../analysis-store.ts';
import { USER_LABEL, useAnnotation } from '../annotation-store.ts';
import { fateNote, suggestionFates } from '../label-helpers.ts';
import { resolveDefaulted, type RememberedChoice } from '../choice.ts';
import { useApp } from '../store.ts';
import { PanelError } from './PanelError.tsx';
import { CelltypistSection } from './CelltypistSection.tsx';

export function AnnotationPanel() {
  const summary = useApp((s) => s.summary);
  const a = useAnnotation();
  const selection = useAnalysis((s) => s.selection);
  // Choices remember the dataset and the options they were made among (see resolveDefaulted).
  const [groupByChoice, setGroupBy] = useState<(RememberedChoice & { file: string }) | null>(null);
  const [startFromChoice, setStartFrom] = useState<(RememberedChoice & { file: string }) | null>(null);
  const [mergeSel, setMergeSel] = useState<number[]>([]);
  // The merge and the selection each ask for their own label.
  const [mergeName, setMergeName] = useState('');
  const [assignName, setAssignName] = useState('');
  const [ownSets, setOwnSets] = useState(false);
  const fates = useMemo(() => suggestionFates(a.suggestions, a.labels), [a.suggestions, a.labels]);
  if (!summary) return null;
  const mine = <T extends { file: string }>(c: T | null) => (c && c.file === summary.file ? c : null);
  const categorical = Object.entries(summary.obs)
    .filter(([, c]) => (c.categories && Object.keys(c.categories).length >= 1 && Object.keys(c.categories).length <= 500) || (c.type === 'string' && (c.n_unique ?? Infinity) <= 500))
    .map(([n]) => n);
  // The selects show, and the buttons use, the same resolved column: leiden once it exists, and
  // before that the user's choice, never the first column by chance.
  const groupBy = resolveDefaulted(mine(groupByChoice), categorical, 'leiden');
  const labelSources = categorical.filter((n) => n !== USER_LABEL);
  const startFrom = resolveDefaulted(mine(startFromChoice), labelSources, 'leiden');
  const p = a.mapParams;
  const r = a.mapReport;
  const reps = ['pca', ...Object.keys(summary.obsm).filter((k) => k === 'X_scGPT' && (!a.useReference || (a.reference && 'X_scGPT' in a.reference.obsm)))];
  const labelSource = a.useReference && a.reference ? a.reference : summary;
  const labelColumns = Object.entries(labelSource.obs)
    .filter(([n, c]) => !n.startsWith('predicted_') && ((c.categories && Object.keys(c.categories).length <= 500) || (c.type === 'string' && (c.n_unique ?? Infinity) <= 500)))
    .map(([n]) => n);
  return (
    <section className="panel annotation" data-testid="annotation-panel">
      <h3>Cell-type annotation</h3>
      <fieldset disabled={!!a.job}>
        <legend>Reference mapping (kNN vote)</legend>
        <label>
          reference
          <select value={a.useReference ? 'file' : 'self'} onChange={(e) => a.setUseReference(e.target.value === 'file')} data-testid="map-source">
            <option value="self">this dataset&apos;s labelled cells</option>
            <option value="file" disabled={!a.reference}>
              {a.reference ? `${a.reference.file} (${a.reference.n_obs.toLocaleString()} cells)` : 'a reference file (load one)'}
            </option>
          </select>
        </label>
        <label>
          load reference .h5ad
          <input type="file" accept=".h5ad,.h5" onChange={(e) => void a.loadReference([...(e.target.files ?? [])])} data-testid="reference-file" />
        </label>
        <label>
          label column
          <select value={p.labelColumn} onChange={(e) => a.setMapParams({ ...p, labelColumn: e.target.value })} data-testid="map-label">
            <option value="">choose…</option>
            {labelColumns.map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
        </label>
        <label hidden={a.useReference}>
          reference cells
          <select value={p.reference} onChange={(e) => a.setMapParams({ ...p, reference: e.target.value as typeof p.reference })} data-testid="map-reference">
            <option value="missing">labelled cells map the unlabelled</option>
            <option value="half">a stratified half maps the other (evaluate)</option>
          </select>
        </label>
        <label>
          embedding
          <select value={p.embedding} onChange={(e) => a.setMapParams({ ...p, embedding: e.target.value })}>
            {reps.map((k) => (
              <option key={k} value={k}>
                {k === 'pca' ? "reference PCA (query projected)" : k}
              </option>
            ))}
          </select>
        </label>
        <label>
          k
          <input type="number" value={p.k} min={1} onChange={(e) => a.setMapParams({ ...p, k: Number(e.target.value) })} />
        </label>
        <label>
          min confidence
          <input type="number" value={p.minConfidence} min={0} max={1} step={0.05} onChange={(e) => a.setMapParams({ ...p, minConfidence: Number(e.target.value) })} />
        </label>
        <label>
          <span>
            <input type="checkbox" checked={p.weighted} onChange={(e) => a.setMapParams({ ...p, weighted: e.target.checked })} /> distance-weighted
          </span>
        </label>
      </fieldset>
      <div className="row">
        <button className="primary" disabled={!p.labelColumn || !!a.job} onClick={() => void a.runMap()} data-testid="run-map">
          Map labels
        </button>
        {a.job && (
          <>
            <progress max={1} value={a.job.fraction} /> <span className="muted">{a.job.message}</span>
          </>
        )}
      </div>
      <PanelError panel="mapping" />
      {r && (
        <div data-testid="map-report">
          <p className="muted">
            {r.nQuery.toLocaleString()} query cells mapped from {r.nRef.toLocaleString()} reference cells
            {r.nShared !== undefined ? ` on ${r.nShared} shared HVGs` : ` on ${r.embedding}`}; {(r.summary.confidentShare * 100).toFixed(1)}% confident (≥ {p.minConfidence}).
            {r.accuracy !== undefined && (
              <b data-testid="map-accuracy">
                {' '}
                Held-out accuracy {(r.accuracy * 100).toFixed(1)}%, macro-F1 {r.macroF1!.toFixed(3)}.
              </b>
            )}
          </p>
          <table className="small">
            <thead>
              <tr>
                <th>predicted</th>
                <th>cells</th>
                <th>mean confidence</th>
              </tr>
            </thead>
            <tbody>
              {r.summary.perLabel.map((x) => (
                <tr key={x.label}>
                  <td>{x.label}</td>
                  <td>{x.count.toLocaleString()}</td>
                  <td>{x.meanConfidence.toFixed(2)}</td>
                </tr>
              ))}
              {r.summary.unassigned > 0 && (
                <tr>
                  <td>unassigned</td>
                  <td>{r.summary.unassigned.toLocaleString()}</td>
                  <td />
                </tr>
              )}
            </tbody>
          </table>
        </div>
      )}

      <CelltypistSection categorical={categorical} />

      <h4>Suggestions from marker genes</h4>
      <div className="row">
        <select value={groupBy} onChange={(e) => setGroupBy({ value: e.target.value, offered: categorical, file: summary.file })} data-testid="suggest-groupby" aria-label="groups to suggest names for">
          {!groupBy && <option value="">choose a column…</option>}
          {categorical.map((n) => (
            <option key={n} value={n}>
              {n}
            </option>
          ))}
        </select>
        <label>
          <input type="checkbox" checked={ownSets} onChange={(e) => setOwnSets(e.target.checked)} /> my marker sets
        </label>
        <button disabled={!groupBy || !!a.job || (ownSets && !a.userSets.trim())} onClick={() => void a.suggest(groupBy, ownSets)} data-testid="suggest">
          Suggest
        </button>
      </div>
      <PanelError panel="suggestions" />
      {!groupBy && <p className="muted">{categorical.length ? 'No Leiden clusters yet: run the pipeline, or choose a column whose groups to name.' : 'No categorical column yet: run the pipeline for Leiden clusters.'}</p>}
      {ownSets && !a.userSets.trim() && <p className="muted">Paste your marker sets below to enable Suggest.</p>}
      {ownSets && <textarea rows={3} placeholder={'T cell: CD3E, CD3D\nB cell: MS4A1, CD79A\n(or CSV rows: cell_type,gene)'} value={a.userSets} onChange={(e) => a.setUserSets(e.target.value)} />}
      {a.suggestions && (
        <>
          <p className="muted">
            Click a suggestion to name that {a.suggestions.groupBy} group in {USER_LABEL}
            {a.labels && a.labelsFrom !== a.suggestions.groupBy ? ` (your labels were started from ${a.labelsFrom ?? 'another column'}: restart them from ${a.suggestions.groupBy} to apply these)` : ''}.
          </p>
          <table className="small" data-testid="suggestions">
            <tbody>
              {a.suggestions.table.map((g) => {
                const blocked = !!a.labels && a.labelsFrom !== a.suggestions!.groupBy;
                const fate = !blocked ? fates?.get(g.group) : undefined;
                const gone = fate && fate.kind !== 'label' ? fateNote(g.group, fate) : null;
                return (
                  <tr key={g.group}>
                    <td>{g.group}</td>
                    <td>
                      {g.suggestions.length === 0 && (
                        <span className="muted" data-testid="no-match">
                          no match
                        </span>
                      )}
                      {g.suggestions.map((s) => (
                        <button
                          key={s.name}
                          className="chip"
                          title={blocked ? `labels were started from ${a.labelsFrom ?? 'another column'}; restart them from ${a.suggestions!.groupBy} to apply` : gone ?? `score ${s.score.toFixed(2)} from ${s.found.join(', ')} (${s.source ?? ''}); click to name group ${g.group} "${s.name}"`}
                          disabled={blocked || !!gone}
                          onClick={() => void a.applySuggestion(a.suggestions!.groupBy, g.group, s.name)}
                        >
                          {s.name} <span className="muted">{s.score.toFixed(1)}</span>
                        </button>
                      ))}
                      {gone && (
                        <div className="muted" data-testid={`group-gone-${g.group}`}>
                          {gone}
                        </div>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </>
      )}

      <h4>Labels ({USER_LABEL})</h4>
      <div className="row">
        <select value={startFrom} onChange={(e) => setStartFrom({ value: e.target.value, offered: labelSources, file: summary.file })} data-testid="labels-from" aria-label="labels from">
          {!startFrom && <option value="">choose a column…</option>}
          {labelSources.map((n) => (
            <option key={n} value={n}>
              {n}
            </option>
          ))}
        </select>
        <button onClick={() => void a.startLabels(startFrom)} disabled={!startFrom} data-testid="labels-start">
          {a.labels ? 'Restart from' : 'Start from'} {startFrom || '…'}
        </button>
        <button onClick={a.undo} disabled={!a.past.length} data-testid="undo">
          Undo
        </button>
        <button onClick={a.redo} disabled={!a.future.length} data-testid="redo">
          Redo
        </button>
      </div>
      {a.labels && (
        <>
          <ul className="labels" data-testid="labels">
            {a.labels.categories.map((c, i) => (
              <li key={`${i}:${c}`}>
                <input type="checkbox" checked={mergeSel.includes(i)} onChange={(e) => setMergeSel(e.target.checked ? [...mergeSel, i] : mergeSel.filter((x) => x !== i))} aria-label={`select ${c}`} />
                <input
                  defaultValue={c}
                  data-testid={`label-${i}`}
                  onKeyDown={(e) => e.key === 'Enter' && a.rename(i, (e.target as HTMLInputElement).value)}
                  onBlur={(e) => e.target.value !== c && a.rename(i, e.target.value)}
                />
              </li>
            ))}
          </ul>
          <div className="row">
            <input placeholder="name for the checked labels" aria-label="name for the merged label" value={mergeName} onChange={(e) => setMergeName(e.target.value)} data-testid="new-label" />
            <button
              disabled={mergeSel.length < 2 || !mergeName.trim()}
              onClick={() => {
                a.merge(mergeSel, mergeName);
                setMergeSel([]);
                setMergeName('');
              }}
              data-testid="merge"
            >
              Merge checked
            </button>
          </div>
          <div className="row">
            <input
              placeholder={selection ? 'name for the selected cells' : 'lasso cells on the plot first'}
              aria-label="name for the selected cells"
              value={assignName}
              onChange={(e) => setAssignName(e.target.value)}
              disabled={!selection}
              data-testid="assign-label"
            />
            <button
              disabled={!selection || !assignName.trim()}
              onClick={() => {
                a.assignSelection(assignName);
                setAssignName('');
              }}
              data-testid="assign-selection"
            >
              Assign selection{selection ? ` (${selection.count})` : ''}
            </button>
          </div>
        </>
      )}
      <PanelError panel="labels" />
    </section>
  );
}
