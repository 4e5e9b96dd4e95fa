// Cell-type annotation: reference mapping with per-cell confidence (logistic regression, kNN vote,
// or scGPT's classifier head fine-tuned here with its epochs shown as they come), marker-set
// suggestions per cluster, hand-edited labels (rename, merge, assign the lasso selection;
// undo/redo) and exports.
import { useMemo, useState } from 'react';
import { useAnalysis } from '../analysis-store.ts';
import { USER_LABEL, useAnnotation } from '../annotation-store.ts';
import { fateNote, suggestionFates } from '../label-helpers.ts';
import { resolveDefaulted, type RememberedChoice } from '../choice.ts';
import { useApp } from '../store.ts';
import { LogRegOptions } from './LogRegOptions.tsx';
import { MappingEvaluation, MappingTraining } from './MappingEvaluation.tsx';
import type { DevicePreference } from '../../model/backend.ts';
import type { HeadEpoch, HeadReport, MapReport } from '../../workers/protocol.ts';
import { ModelSelect } from './ModelSelect.tsx';
import { PanelError } from './PanelError.tsx';
import { CelltypistSection } from './CelltypistSection.tsx';
import { MajorityVotingOptions, MajorityVotingResult } from './MajorityVoting.tsx';

const isHead = (r: MapReport | HeadReport): r is HeadReport => r.method === 'scgpt-head';

/** The last epochs' numbers (a long run keeps the table short). */
function EpochTable({ epochs, last = 10 }: { epochs: HeadEpoch[]; last?: number }) {
  if (!epochs.length) return null;
  const shown = epochs.slice(-last);
  return (
    <table className="small" data-testid="head-epochs">
      {shown.length < epochs.length && <caption className="muted">last {shown.length} of {epochs.length} epochs</caption>}
      <thead>
        <tr>
          <th>epoch</th>
          <th>loss</th>
          <th>held-out loss</th>
          <th>held-out accuracy</th>
        </tr>
      </thead>
      <tbody>
        {shown.map((e) => (
          <tr key={e.epoch}>
            <td>
              {e.epoch}/{e.epochs}
            </td>
            <td>{e.trainLoss.toFixed(4)}</td>
            <td>{e.heldOutLoss?.toFixed(4) ?? '–'}</td>
            <td>{e.heldOutAccuracy !== undefined ? `${(100 * e.heldOutAccuracy).toFixed(1)}%` : '–'}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** The head's settings: the model (the embedding drawer's choice), epochs, learning rate, batch size, last layer, device. */
function HeadOptions() {
  const a = useAnnotation();
  const h = a.headSettings;
  return (
    <>
      <ModelSelect testId="head-model-select" />
      <label>
        epochs
        <input type="number" value={h.epochs} min={1} step={1} onChange={(e) => a.setHeadSettings({ ...h, epochs: Math.max(1, Math.floor(Number(e.target.value)) || 1) })} data-testid="head-epochs-input" />
      </label>
      <label title="Adam's learning rate; scGPT's annotation tutorial uses 1e-4, times 0.9 after every epoch">
        learning rate
        <input type="number" value={h.lr} min={0} step={0.0001} onChange={(e) => a.setHeadSettings({ ...h, lr: Number(e.target.value) })} data-testid="head-lr" />
      </label>
      <label>
        batch size
        <input type="number" value={h.batchSize} min={1} step={1} onChange={(e) => a.setHeadSettings({ ...h, batchSize: Math.max(1, Math.floor(Number(e.target.value)) || 1) })} />
      </label>
      <label title="train the encoder's last layer with the head: every training cell goes through the encoder up to that layer (slower)">
        <span>
          <input type="checkbox" checked={h.unfreezeLast} onChange={(e) => a.setHeadSettings({ ...h, unfreezeLast: e.target.checked })} data-testid="head-unfreeze" /> also train the last encoder layer
        </span>
      </label>
      <label>
        device
        <select value={h.device} onChange={(e) => a.setHeadSettings({ ...h, device: e.target.value as DevicePreference })} data-testid="head-device">
          <option value="auto">auto</option>
          <option value="webgpu">WebGPU</option>
          <option value="wasm">CPU (WebAssembly)</option>
          <option value="cpu">CPU (exact float64 encoder)</option>
        </select>
      </label>
      <label title="a head saved after training here (Save head) or by scweb annotate --head-out: annotates every cell of this dataset without training; the model above must be the one it was trained on">
        use a saved head
        <input
          type="file"
          accept=".pt,.pth"
          onChange={(e) => {
            const file = e.target.files?.[0];
            // Cleared, so picking the same file again runs again.
            e.target.value = '';
            if (file) void a.useSavedHead(file);
          }}
          data-testid="head-file"
        />
      </label>
    </>
  );
}

/** What the head learnt: its input, device, time, the held-back cells' scores and the epochs; or, for a saved head, where it came from. */
function HeadSummary({ r }: { r: HeadReport }) {
  const a = useAnnotation();
  const training = r.history.reduce((s, e) => s + e.seconds, 0);
  const saved = r.savedHead;
  if (saved) {
    return (
      <p className="muted" data-testid="head-report">
        Saved head {saved.file} ({saved.classes} labels of {saved.labelColumn}, trained on {saved.reference}, {r.nRef.toLocaleString()} cells, with the encoder {saved.encoder}
        {r.unfreezeLast ? ' and its last layer' : ''}) on {r.embedding} ({r.encoder}; tfjs {r.backend}; {r.seconds.toFixed(1)} s).
        {r.heldOut && ` When trained, its held-out reference cells (${r.heldOut.n}) scored accuracy ${(r.heldOut.accuracy * 100).toFixed(1)}%, macro-F1 ${r.heldOut.macroF1.toFixed(3)}.`}
        {r.noGenes.query > 0 && ` ${r.noGenes.query} cells have no expressed gene in the model's vocabulary: no prediction.`}
        {saved.note && ` Note: ${saved.note}.`}
      </p>
    );
  }
  return (
    <>
      <p className="muted" data-testid="head-report">
        Classifier head on {r.embedding} ({r.encoder}; trained on tfjs {r.backend}, {r.history.length} epochs in {training.toFixed(1)} s; {r.seconds.toFixed(1)} s in all).
        {r.heldOut && (
          <b data-testid="head-heldout">
            {' '}
            Held-out reference cells ({r.heldOut.n}): accuracy {(r.heldOut.accuracy * 100).toFixed(1)}%, macro-F1 {r.heldOut.macroF1.toFixed(3)}.
          </b>
        )}
        {r.noGenes.reference + r.noGenes.query > 0 && ` ${r.noGenes.reference + r.noGenes.query} cells have no expressed gene in the model's vocabulary: no prediction.`}
      </p>
      <EpochTable epochs={r.history} />
      <div className="row">
        <button onClick={() => void a.downloadHead()} data-testid="head-save" title="the trained head (and its encoder layer, when trained) as a .pt: PyTorch's torch.load opens it with scGPT's key names; reuse it here or with scweb annotate --head">
          Save head
        </button>
      </div>
    </>
  );
}

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
  const method = a.method;
  const reps = ['pca', ...Object.keys(summary.obsm).filter((k) => k === 'X_scGPT' && (!a.useReference || (a.reference && 'X_scGPT' in a.reference.obsm)))];
  // Over-clusterings: any categorical column but predicted labels (an earlier vote's over-clusters are fine).
  const overColumns = categorical.filter((n) => !n.startsWith('predicted_') || n.endsWith('_over_clustering'));
  const labelSource = a.useReference && a.reference ? a.reference : summary;
  const labelColumns = Object.entries(labelSource.obs)
    .filter(([n, c]) => !n.startsWith('predicted_') && ((c.categories && Object.keys(c.categories).length <= 500) || (c.type === 'string' && (c.n_unique ?? Infinity) <= 500)))
    .map(([n]) => n);
  return (
    <section className="panel annotation" data-testid="annotation-panel">
      <h3>Cell-type annotation</h3>
      <fieldset disabled={!!a.job}>
        <legend>Reference mapping</legend>
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
        <label>
          method
          <select value={method} onChange={(e) => a.setMethod(e.target.value as typeof method)} data-testid="map-method">
            <option value="logreg">logistic regression (CellTypist&apos;s recipe)</option>
            <option value="knn">kNN vote in an embedding</option>
            <option value="scgpt-head">scGPT classifier head (fine-tuned here)</option>
          </select>
        </label>
        {method === 'logreg' && <LogRegOptions p={p} set={a.setMapParams} />}
        {method === 'scgpt-head' && <HeadOptions />}
        <label hidden={a.useReference}>
          reference cells
          <select value={p.reference} onChange={(e) => a.setMapParams({ ...p, reference: e.target.value as typeof p.reference })} data-testid="map-reference">
            <option value="missing">labelled cells map the unlabelled</option>
            <option value="half">a stratified half maps the other (evaluate)</option>
          </select>
        </label>
        <label hidden={method !== 'knn'}>
          embedding
          <select value={p.embedding} onChange={(e) => a.setMapParams({ ...p, embedding: e.target.value })}>
            {reps.map((k) => (
              <option key={k} value={k}>
                {k === 'pca' ? "reference PCA (query projected)" : k}
              </option>
            ))}
          </select>
        </label>
        <label hidden={method !== 'knn'}>
          k
          <input type="number" value={p.k} min={1} onChange={(e) => a.setMapParams({ ...p, k: Number(e.target.value) })} />
        </label>
        <label>
          min confidence
          <input type="number" value={p.minConfidence} min={0} max={1} step={0.05} onChange={(e) => a.setMapParams({ ...p, minConfidence: Number(e.target.value) })} />
        </label>
        <label hidden={method !== 'knn'}>
          <span>
            <input type="checkbox" checked={p.weighted} onChange={(e) => a.setMapParams({ ...p, weighted: e.target.checked })} /> distance-weighted
          </span>
        </label>
        <MajorityVotingOptions value={p.voting} onChange={(voting) => a.setMapParams({ ...p, voting })} columns={overColumns} testId="map" />
      </fieldset>
      <div className="row">
        <button className="primary" disabled={!p.labelColumn || !!a.job} onClick={() => void a.runMap()} data-testid="run-map">
          {method === 'scgpt-head' ? 'Train and annotate' : 'Map labels'}
        </button>
        {a.job && (
          <>
            <progress max={1} value={a.job.fraction} /> <span className="muted" data-testid="map-progress">{a.job.message}</span>
            <button onClick={a.cancelJob} data-testid="map-cancel">
              Cancel
            </button>
          </>
        )}
      </div>
      {method === 'scgpt-head' && a.job && <EpochTable epochs={a.headEpochs} />}
      <PanelError panel="mapping" />
      {r && (
        <div data-testid="map-report">
          {isHead(r) && <HeadSummary r={r} />}
          <p className="muted">
            {r.nQuery.toLocaleString()} query cells {isHead(r) ? 'annotated' : 'mapped'} from {r.nRef.toLocaleString()} reference cells
            {isHead(r) ? '' : r.method === 'logreg' ? ` by logistic regression on ${r.nShared} shared genes` : r.nShared !== undefined ? ` on ${r.nShared} shared HVGs` : ` on ${r.embedding}`}; {(r.summary.confidentShare * 100).toFixed(1)}% confident (≥ {p.minConfidence}{isHead(r) ? ' probability' : ''}).
            {r.splitColumn && <> Predictions for the held-out half only ({r.splitColumn} says which half a cell was in).</>}
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
          {!isHead(r) && <MappingTraining report={r} />}
          <MappingEvaluation report={r} />
          {r.warnings?.map((w) => (
            <p key={w} className="muted" data-testid="map-warning">
              {w}
            </p>
          ))}
          {r.voting && <MajorityVotingResult report={r.voting} testId="map" />}
          {!isHead(r) && r.training && (
            <div className="row">
              Download the model:
              <button onClick={() => void a.downloadModel('json')} data-testid="map-model-download" title="genes, scaler, coefficients and temperature as JSON">
                .json
              </button>
              <button onClick={() => void a.downloadModel('pkl')} data-testid="map-model-pkl" title="a CellTypist model (sklearn LogisticRegression + StandardScaler), for CellTypist or the CellTypist section">
                CellTypist .pkl
              </button>
            </div>
          )}
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
