import { useRef, useState } from 'react';
import type { DevicePreference } from '../../model/backend.ts';
import { useAnalysis } from '../analysis-store.ts';
import { useApp } from '../store.ts';
import { ModelCard } from './ModelCard.tsx';
import { ModelHubGet, useRealModelOffer } from './ModelHubGet.tsx';
import { ModelSelect } from './ModelSelect.tsx';
import { PanelError } from './PanelError.tsx';

function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '…';
  return s < 90 ? `${Math.ceil(s)} s` : `${Math.round(s / 60)} min`;
}

/** Choose a scGPT model and embed the loaded cells, with progress and cancel. */
export function ModelPanel() {
  const choice = useApp((s) => s.modelChoice);
  const job = useApp((s) => s.embedJob);
  const stats = useApp((s) => s.embedStats);
  const backend = useApp((s) => s.backend);
  const varColumns = useApp((s) => s.summary?.var_columns);
  // Gene names are text: numeric and boolean var columns (n_cells, highly_variable) are not offered.
  const textColumns = useApp((s) => s.summary?.var_text_columns);
  const [geneColumn, setGeneColumn] = useState('');
  const { pickModelFiles, embed, cancelEmbed } = useApp.getState();
  const chosenName = useApp((s) => s.models.find((m) => m.id === s.modelChoice)?.name ?? (s.pickedModel ? 'the picked checkpoint' : null));
  const [seed, setSeed] = useState(0);
  const [device, setDevice] = useState<DevicePreference>('auto');
  const symbolsColumn = useApp((s) => s.summary?.gene_symbols_column ?? null);
  const ensemblIndex = useApp((s) => /^ENS[A-Z]*G\d/.test(s.summary?.var_names[0] ?? ''));
  // Says what "auto" will really use: a symbol column only when the file has one.
  const autoGenes = symbolsColumn ? `var/${symbolsColumn}` : ensemblIndex ? 'var index via the GENCODE map' : varColumns?.includes('feature_name') ? 'var/feature_name' : 'var index';
  const input = useRef<HTMLInputElement>(null);
  // With the real model a download away, embedding with the test model is the second choice.
  const testFirst = useRealModelOffer().length > 0;
  return (
    <section className="model-panel" data-testid="model-panel">
      <h3>scGPT cell embedding</h3>
      <div className="controls">
        <ModelSelect />
        <button onClick={() => input.current?.click()} title="a scGPT model folder: args.json, vocab.json, best_model.pt">
          Pick checkpoint files…
        </button>
        <input ref={input} type="file" multiple hidden data-testid="model-input" onChange={(e) => pickModelFiles([...(e.target.files ?? [])])} />
        <label title="which genes the model sees: scGPT's vocabulary is keyed by gene symbols">
          Gene names{' '}
          <select data-testid="gene-column" value={geneColumn} onChange={(e) => setGeneColumn(e.target.value)}>
            <option value="">auto ({autoGenes})</option>
            <option value="index">var index</option>
            {(textColumns ?? []).map((c) => (
              <option key={c} value={c}>
                var/{c}
              </option>
            ))}
          </select>
        </label>
        <label>
          Seed <input type="number" value={seed} min={0} style={{ width: 70 }} onChange={(e) => setSeed(Number(e.target.value) || 0)} />
        </label>
        <label>
          Run on{' '}
          <select value={device} onChange={(e) => setDevice(e.target.value as DevicePreference)} data-testid="embed-device">
            <option value="auto">auto: {backend?.kind === 'webgpu' ? 'GPU' : 'CPU'}</option>
            <option value="webgpu">WebGPU{backend?.software ? ' (software renderer, slower than the CPU)' : ''}</option>
            <option value="wasm">CPU (WebAssembly, float32)</option>
            <option value="cpu">CPU (float64 reference encoder)</option>
          </select>
        </label>
        <button className={testFirst ? '' : 'primary'} data-testid="embed" disabled={job !== null || !choice} onClick={() => void embed({ seed, backend: device, geneColumn: geneColumn || undefined, threads: useAnalysis.getState().threads })}>
          {testFirst ? 'Embed with the test model' : 'Embed with scGPT'}
        </button>
        {chosenName && (
          <span className="muted" data-testid="embed-uses">
            uses {chosenName}
          </span>
        )}
      </div>
      <ModelHubGet />
      <PanelError panel="model" />
      <ModelCard geneColumn={geneColumn || undefined} />
      {job && (
        <div className="progress" data-testid="embed-progress" role="status">
          <span>
            {job.message}
            {job.cellsPerSecond !== undefined && ` · ${job.cellsPerSecond.toFixed(1)} cells/s · ${formatSeconds(job.secondsLeft ?? NaN)} left`}
          </span>
          <progress max={1} value={job.fraction} />
          <button onClick={cancelEmbed}>Cancel</button>
        </div>
      )}
      {stats && (
        <p className="muted" data-testid="embed-stats">
          X_scGPT from <span data-testid="embed-model">{stats.modelName ?? stats.model}</span> on <span data-testid="embed-input">{stats.input}</span>: {stats.genesMatched.toLocaleString()}/{stats.genesTotal.toLocaleString()} genes in the vocabulary ({stats.geneSource}); {stats.encoder}; {stats.seconds.toFixed(1)} s
          {stats.nEmpty > 0 && <span className="warn"> · {stats.nEmpty} cells with no vocabulary gene have no embedding</span>}
          {stats.cachedAs && ` · model cached in this browser as ${stats.cachedAs}`}. Shown: its first two principal components (X_scGPT_pc).
        </p>
      )}
    </section>
  );
}
