// "Annotate with a CellTypist model" in the annotation drawer: a model from CellTypist's list
// (downloaded once, cached in the browser) or a .pkl file the user picks; CellTypist's options;
// the result as obs columns (predicted_labels, majority_voting, conf_score) with a summary and
// buttons to colour by each. A file that is not a model fails with its name; the data stay as they were.
// Majority voting is the drawer's shared option (MajorityVoting.tsx).
import { useEffect, useState } from 'react';
import { useAnnotation } from '../annotation-store.ts';
import { useApp } from '../store.ts';
import { PanelError } from './PanelError.tsx';
import { dataClient } from '../worker-client.ts';
import { MajorityVotingOptions, MajorityVotingResult } from './MajorityVoting.tsx';

export function CelltypistSection({ categorical }: { categorical: string[] }) {
  const a = useAnnotation();
  const colorBy = useApp((s) => s.colorBy);
  const [choice, setChoice] = useState('');
  const models = a.celltypistModels;
  useEffect(() => {
    if (!models) void useAnnotation.getState().listCelltypistModels();
  }, [models]);
  const p = a.celltypistParams;
  const set = (patch: Partial<typeof p>) => a.setCelltypistParams({ ...p, ...patch });
  const registry = models?.registry ?? [];
  const picked = registry.find((e) => e.name === choice) ?? registry.find((e) => e.default) ?? registry[0];
  const r = a.celltypistReport;
  const overColumns = categorical.filter((n) => !r || (n !== r.predictedColumn && n !== r.majorityColumn && n !== r.overClusteringColumn));
  return (
    <section data-testid="celltypist">
      <h4>CellTypist model</h4>
      <fieldset disabled={!!a.job}>
        <legend>Annotate with a CellTypist model</legend>
        <label>
          model
          <select value={picked?.name ?? ''} onChange={(e) => setChoice(e.target.value)} data-testid="celltypist-model" title={picked ? `${picked.description}; ${picked.url}` : undefined}>
            {!models && <option value="">loading the list…</option>}
            {registry.map((e) => (
              <option key={e.name} value={e.name}>
                {e.name}
                {e.cellTypes ? ` (${e.cellTypes} types)` : ''}
                {models?.cached.includes(e.name) ? ', cached' : e.size ? `, ${(e.size / 1e6).toFixed(1)} MB` : ''}
              </option>
            ))}
          </select>
        </label>
        <label>
          or a .pkl file
          <input
            type="file"
            accept=".pkl"
            data-testid="celltypist-file"
            onChange={(e) => {
              const file = e.target.files?.[0];
              e.target.value = '';
              if (file) void a.runCelltypist({ kind: 'file', file });
            }}
          />
        </label>
        <label>
          mode
          <select value={p.mode} onChange={(e) => set({ mode: e.target.value as typeof p.mode })} data-testid="celltypist-mode">
            <option value="best match">best match (largest score)</option>
            <option value="prob match">prob match (every type above p)</option>
          </select>
        </label>
        {p.mode === 'prob match' && (
          <label>
            p threshold
            <input type="number" value={p.pThres} min={0} max={1} step={0.05} onChange={(e) => set({ pThres: Number(e.target.value) })} data-testid="celltypist-pthres" />
          </label>
        )}
        <MajorityVotingOptions value={p} onChange={(v) => set(v)} columns={overColumns} testId="celltypist" />
      </fieldset>
      <div className="row">
        <button className="primary" disabled={!picked || !!a.job} onClick={() => picked && void a.runCelltypist({ kind: 'registry', name: picked.name })} data-testid="celltypist-run" title={picked ? `${picked.description}. From ${a.celltypistEndpoint}` : undefined}>
          Annotate with {picked?.name ?? '…'}
        </button>
        {a.job && (
          <>
            <progress max={1} value={a.job.fraction} /> <span className="muted">{a.job.message}</span>
            <button onClick={() => dataClient().cancel(a.job!.id)} data-testid="celltypist-cancel">
              Cancel
            </button>
          </>
        )}
      </div>
      <PanelError panel="celltypist" />
      {r && (
        <div data-testid="celltypist-report">
          <p className="muted">
            {r.nCells.toLocaleString()} cells annotated with {r.model}: {r.nShared.toLocaleString()} of its {r.nFeatures.toLocaleString()} genes in this dataset
            {r.nMapped ? ` (${r.nMapped} through Ensembl ids/symbols)` : ''}; {r.mode}
            {r.mode === 'prob match' ? ` (p > ${r.pThres})` : ''}.
          </p>
          {r.warnings.map((w) => (
            <p key={w} className="muted" data-testid="celltypist-warning">
              {w}
            </p>
          ))}
          <div className="row">
            {[r.predictedColumn, r.confidenceColumn].map((c) => (
              <button key={c} className={colorBy === c ? 'chip active' : 'chip'} onClick={() => void useApp.getState().setColorBy(c)} data-testid={`celltypist-color-${c}`}>
                colour by {c}
              </button>
            ))}
          </div>
          {r.voting && <MajorityVotingResult report={r.voting} testId="celltypist" />}
          <table className="small" data-testid="celltypist-labels">
            <thead>
              <tr>
                <th>predicted_labels</th>
                <th>cells</th>
                <th>mean conf_score</th>
              </tr>
            </thead>
            <tbody>
              {r.perLabel.map((x) => (
                <tr key={x.label}>
                  <td>{x.label}</td>
                  <td>{x.count.toLocaleString()}</td>
                  <td>{x.meanConfidence.toFixed(2)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
