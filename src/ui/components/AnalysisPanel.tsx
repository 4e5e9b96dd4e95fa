// Pipeline parameters under scanpy's names, the run/cancel button and the step list with progress.
import { batchKeyRefusal } from '../../analysis/batch-keys.ts';
import type { PipelineParams } from '../../analysis/pipeline.ts';
import { STEPS } from '../../analysis/pipeline.ts';
import type { DatasetSummary } from '../../io/summary.ts';
import { integrationLine } from '../../analysis/report.ts';
import { useAnalysis } from '../analysis-store.ts';
import { useApp } from '../store.ts';
import { PanelError } from './PanelError.tsx';

type Section = keyof PipelineParams;

/**
 * Batch keys for Harmony: every obs column, the usable ones to tick, the others greyed out with the
 * reason (numeric, one value, a batch under 3 cells). Any categorical column can be one: batch,
 * sample (several files opened as one dataset), donor.
 */
function BatchKeys({ summary, params, setParams, disabled }: { summary: DatasetSummary; params: PipelineParams; setParams(p: PipelineParams): void; disabled: boolean }) {
  const keys = params.batch.keys;
  const setBatch = (b: Partial<PipelineParams['batch']>) => setParams({ ...params, batch: { ...params.batch, ...b } });
  const columns = Object.entries(summary.obs).map(([name, c]) => ({ name, refusal: batchKeyRefusal(c), n: c.categories ? Object.values(c.categories).filter((v) => v > 0).length : (c.n_unique ?? 0) }));
  // Offered first: the columns that can be batch keys.
  columns.sort((a, b) => Number(a.refusal !== null) - Number(b.refusal !== null));
  return (
    <fieldset disabled={disabled} data-testid="batch-keys">
      <legend title="scanpy's highly_variable_genes(batch_key=...) and harmony_integrate">Batch integration</legend>
      <p className="muted small">
        {keys.length
          ? `HVGs per batch of ${keys[0]}; Harmony over ${keys.join(' and ')} corrects ${params.neighbors.useRep} into ${params.neighbors.useRep}_harmony, which the graph, Leiden and UMAP use.`
          : 'Tick the obs column(s) naming each cell’s batch (sample, batch, donor) to integrate over them with Harmony.'}
      </p>
      <ul className="batch-columns">
        {columns.map(({ name, refusal, n }) => (
          <li key={name} className={refusal ? 'muted' : ''}>
            <label title={refusal ? `${name} cannot be a batch key: ${refusal}` : `${n} batches`}>
              <input
                type="checkbox"
                disabled={refusal !== null}
                checked={keys.includes(name)}
                onChange={(e) => setBatch({ keys: e.target.checked ? [...keys, name] : keys.filter((k) => k !== name) })}
                data-testid={`batch-key-${name}`}
              />{' '}
              {name}
              <span className="small muted" data-testid={refusal ? `batch-key-refusal-${name}` : undefined}>
                {' '}
                {refusal ?? `${n} batches`}
              </span>
            </label>
          </li>
        ))}
      </ul>
      {keys.length > 0 && (
        <>
          <label title="diversity penalty: higher mixes batches harder (harmonypy's theta)">
            theta
            <input type="number" step={0.5} min={0} value={params.batch.theta} onChange={(e) => setBatch({ theta: Number(e.target.value) })} data-testid="param-theta" />
          </label>
          <label title="Harmony iterations at most (harmonypy's max_iter_harmony)">
            max_iter_harmony
            <input type="number" step={1} min={1} value={params.batch.maxIter} onChange={(e) => setBatch({ maxIter: Math.max(1, Math.floor(Number(e.target.value)) || 1) })} data-testid="param-max-iter-harmony" />
          </label>
        </>
      )}
    </fieldset>
  );
}

export function AnalysisPanel() {
  const params = useAnalysis((s) => s.params);
  const setParams = useAnalysis((s) => s.setParams);
  const threads = useAnalysis((s) => s.threads);
  const setThreads = useAnalysis((s) => s.setThreads);
  const job = useAnalysis((s) => s.job);
  const stopped = useAnalysis((s) => s.stopped);
  const backend = useApp((s) => s.backend);
  const report = useAnalysis((s) => s.report);
  const run = useAnalysis((s) => s.run);
  const cancel = useAnalysis((s) => s.cancel);
  const summary = useApp((s) => s.summary);
  const input = summary?.analysis_input ?? null;
  const canRun = !!input && input.kind !== 'scaled';
  const reps = ['X_pca', ...Object.entries(summary?.obsm ?? {}).filter(([k, s]) => k !== 'X_pca' && !k.startsWith('X_umap') && s[1] >= 2).map(([k]) => k)];
  const set = <S extends Section>(section: S, key: string, value: unknown) => setParams({ ...params, [section]: { ...(params[section] as object), [key]: value } });
  const num = (section: Section, key: string, label: string, step = 1, title?: string) => (
    <label title={title}>
      {label}
      <input type="number" step={step} value={(params[section] as unknown as Record<string, number>)[key]} onChange={(e) => set(section, key, Number(e.target.value))} data-testid={`param-${key}`} />
    </label>
  );
  return (
    <section className="panel analysis" data-testid="analysis-panel">
      <h3>Analysis</h3>
      <fieldset disabled={!!job}>
        <legend>QC filters</legend>
        {num('filter', 'minGenes', 'min_genes', 1, 'filter_cells(min_genes)')}
        {num('filter', 'minCounts', 'min_counts', 1, 'filter_cells(min_counts)')}
        {num('filter', 'maxPctMt', 'max pct_counts_mt', 1, 'cells with more mitochondrial counts are removed')}
        {num('filter', 'minCells', 'min_cells', 1, 'filter_genes(min_cells)')}
      </fieldset>
      <fieldset disabled={!!job}>
        <legend>Features</legend>
        <label>
          flavor
          <select value={params.hvg.flavor} onChange={(e) => set('hvg', 'flavor', e.target.value)}>
            <option value="seurat">seurat (log data)</option>
            <option value="seurat_v3">seurat_v3 (counts)</option>
          </select>
        </label>
        {num('hvg', 'nTopGenes', 'n_top_genes')}
        <label>
          <input type="checkbox" checked={params.scale.enabled} onChange={(e) => set('scale', 'enabled', e.target.checked)} /> scale (max_value {params.scale.maxValue})
        </label>
        {num('pca', 'nComps', 'n_comps')}
      </fieldset>
      {summary && <BatchKeys summary={summary} params={params} setParams={setParams} disabled={!!job} />}
      <fieldset disabled={!!job}>
        <legend>Graph</legend>
        <label>
          use_rep
          <select value={params.neighbors.useRep} onChange={(e) => set('neighbors', 'useRep', e.target.value)} data-testid="param-useRep">
            {reps.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
        </label>
        {num('neighbors', 'nNeighbors', 'n_neighbors')}
        <label>
          method
          <select value={params.neighbors.method} onChange={(e) => set('neighbors', 'method', e.target.value)}>
            <option value="auto" title="exact on WebGPU or up to 20k cells, NN-descent otherwise">auto</option>
            <option value="exact">exact</option>
            <option value="nndescent">NN-descent</option>
          </select>
        </label>
        {num('leiden', 'resolution', 'resolution', 0.1)}
        {num('leiden', 'seed', 'random_state')}
        {num('umap', 'minDist', 'min_dist', 0.05)}
        {num('umap', 'spread', 'spread', 0.1)}
        <label title="UMAP's starting layout: the first two principal components (default), or spectral (scanpy's default, the graph's Laplacian eigenvectors; slower on large files)">
          init_pos
          <select value={params.umap.init ?? 'pca'} onChange={(e) => set('umap', 'init', e.target.value)} data-testid="param-umap-init">
            <option value="pca">pca</option>
            <option value="spectral">spectral</option>
          </select>
        </label>
        <label>
          markers
          <select value={params.markers.method} onChange={(e) => set('markers', 'method', e.target.value)}>
            <option value="wilcoxon">wilcoxon</option>
            <option value="t-test">t-test</option>
          </select>
        </label>
        <label>
          device
          <select value={params.device} onChange={(e) => setParams({ ...params, device: e.target.value as PipelineParams['device'] })} data-testid="param-device">
            <option value="auto">auto: {backend?.kind === 'webgpu' ? 'GPU' : 'CPU'}</option>
            <option value="webgpu" title={backend?.software ? 'a software renderer here: slower than the CPU' : undefined}>WebGPU{backend?.software ? ' (software)' : ''}</option>
            <option value="cpu">CPU (JavaScript)</option>
          </select>
        </label>
        <label title="CPU threads: workers for the passes over cells, neighbours, UMAP, PCA and markers, and the WebAssembly encoder's threads (fixed once it has started); the results do not depend on it">
          threads
          <input type="number" min={1} step={1} value={threads} onChange={(e) => setThreads(Number(e.target.value))} data-testid="param-threads" />
        </label>
      </fieldset>
      {/* Kept at the drawer's foot while the parameters scroll: in view at any window height. */}
      <div className="row run-row">
        {job ? (
          <button onClick={cancel} data-testid="cancel-analysis">
            Cancel
          </button>
        ) : (
          <button className="primary" onClick={() => void run()} data-testid="run-analysis" disabled={!canRun}>
            Run pipeline
          </button>
        )}
      </div>
      <p className={canRun ? 'muted small' : 'warn small'} data-testid="analysis-input">
        {input ? `Input: ${input.reason}.` : 'No expression matrix to analyse (no X, raw/X or layers).'}
      </p>
      <PanelError panel="analysis" />
      {(job || stopped || report) && (
        <ol className="steps" data-testid="steps">
          {STEPS.map((name) => {
            const live = job ?? stopped;
            const e = live?.steps[name];
            const ms = report?.timings[name];
            const interrupted = stopped && !job ? (e?.state === 'running' ? stopped.reason : 'not-run') : null;
            const settled = e?.state === 'done' || e?.state === 'cached' || e?.state === 'skipped';
            const unused = !job && !e && name === 'harmony' && !report?.integration ? 'skipped' : null;
            const state = interrupted && !settled ? interrupted : (e?.state ?? unused ?? (job ? 'waiting' : ms !== undefined ? 'done' : 'cached'));
            return (
              <li key={name} className={state} data-testid={`step-${name}`} data-state={state}>
                <span className="name">{name}</span>
                {state === 'running' ? <progress max={1} value={e?.fraction ?? 0} /> : null}
                <span className="muted">{state === 'running' ? e?.message : state === 'done' ? `${(((e?.ms ?? ms) ?? 0) / 1000).toFixed(2)} s` : state === 'skipped' ? `skipped${e?.message ? ` (${e.message})` : ''}` : state}</span>
              </li>
            );
          })}
        </ol>
      )}
      {report && !job && (
        <p className="muted" data-testid="analysis-summary">
          {report.nKept.toLocaleString()} of {report.nCells.toLocaleString()} cells pass QC, {report.nHvg} HVGs, {report.nClusters} Leiden clusters; neighbours {report.neighborsMethod}, UMAP on {report.umapDevice}.
        </p>
      )}
      {report?.integration && !job && (
        <p className="muted" data-testid="analysis-integration">
          {integrationLine(report.integration)}.
        </p>
      )}
    </section>
  );
}
