import { useEffect } from 'react';
import type { ModelEntry, RegistryEntry } from '../../workers/protocol.ts';
import { useHub } from '../model-hub-store.ts';
import { useApp } from '../store.ts';

function mb(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

function millions(n: number): string {
  return `${(n / 1e6).toFixed(n < 1e7 ? 2 : 1)} M`;
}

/** What the chosen model is: where it came from, under which licence, its shape, and its fit to the data. */
export function ModelCard({ geneColumn }: { geneColumn?: string }) {
  const models = useApp((s) => s.models);
  const registry = useApp((s) => s.registry);
  const choice = useApp((s) => s.modelChoice);
  const datasetId = useApp((s) => s.datasetId);
  const hasData = useApp((s) => s.summary !== null);
  const overlap = useHub((s) => s.overlap);
  const { refreshOverlap, deleteModel } = useHub.getState();
  useEffect(() => {
    if (hasData && choice) void refreshOverlap(geneColumn);
  }, [hasData, choice, datasetId, geneColumn, refreshOverlap]);
  const model: ModelEntry | undefined = models.find((m) => m.id === choice);
  if (!model) return null;
  const card = model.card;
  const entry: RegistryEntry | undefined = card?.entry ?? registry.find((r) => r.repo === card?.repo);
  const genes = overlap && overlap.key.endsWith(`:${choice}:${geneColumn ?? ''}`) && (
    <li data-testid="model-card-genes">
      genes of this dataset in the vocabulary: {overlap.matched.toLocaleString('en-US')} of {overlap.total.toLocaleString('en-US')} ({overlap.source})
    </li>
  );
  if (!card) {
    return (
      <div className="model-card" data-testid="model-card">
        <strong>{model.name}</strong>
        <ul>
          {model.test && <li className="warn">this bundled model checks the pipeline only: its embeddings carry no biology. Get scGPT whole-human for real embeddings.</li>}
          {genes}
        </ul>
      </div>
    );
  }
  const a = card.architecture;
  return (
    <div className="model-card" data-testid="model-card">
      <strong>{entry?.title ?? card.repo}</strong>
      <ul>
        <li data-testid="model-card-source">
          source: {card.endpoint}/{card.repo} at {card.revision}
          {card.commit && ` (commit ${card.commit.slice(0, 10)})`}
        </li>
        <li data-testid="model-card-licence">licence: {entry?.licence ?? 'not stated in the registry: see the hub repository'}</li>
        <li data-testid="model-card-architecture">
          architecture: {a.layers} layers, d_model {a.dModel}, {a.heads} heads, feed-forward {a.dHid}, vocabulary {a.vocab.toLocaleString('en-US')}
        </li>
        {entry && (entry.architecture.layers !== a.layers || entry.architecture.dModel !== a.dModel || entry.architecture.vocab !== a.vocab) && (
          <li className="warn" data-testid="model-card-mismatch">
            the registry lists {entry.architecture.layers} layers, d_model {entry.architecture.dModel}, vocabulary {entry.architecture.vocab.toLocaleString('en-US')} for {entry.repo}: this endpoint served a different model
          </li>
        )}
        <li data-testid="model-card-parameters">encoder parameters: {millions(card.parameters)}</li>
        <li data-testid="model-card-size">size on disk: {mb(model.bytes ?? 0)} ({card.bundleDtype} bundle in this browser)</li>
        <li>
          verified: {card.files.map((f) => `${f.name} ${f.sha256 ? 'SHA-256' : 'size only'}`).join(', ')}
        </li>
        {genes}
        {entry?.citation && <li className="muted">cite: {entry.citation}</li>}
      </ul>
      <button data-testid="model-delete" onClick={() => void deleteModel(model.id)}>
        Delete from this browser
      </button>
    </div>
  );
}
