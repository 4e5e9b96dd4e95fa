import { useState } from 'react';
import { approxBytes, DEFAULT_ENDPOINT } from '../../model/hub/registry.ts';
import { useHub } from '../model-hub-store.ts';
import { useApp } from '../store.ts';

/** "Get scGPT whole-human (196 MiB)": registry models not yet cached, with progress and cancel, and the hub endpoint. */
export function ModelHubGet() {
  const registry = useApp((s) => s.registry);
  const models = useApp((s) => s.models);
  const job = useHub((s) => s.job);
  const endpoint = useHub((s) => s.endpoint);
  const { fetchModel, cancel, setEndpoint } = useHub.getState();
  const [draft, setDraft] = useState<string | null>(null);
  const missing = registry.filter((r) => !models.some((m) => m.card?.repo.toLowerCase() === r.repo.toLowerCase()));
  return (
    <div className="model-hub">
      {missing.map((r) => (
        <button key={r.name} data-testid={`hub-get-${r.name}`} disabled={job !== null} title={`${r.repo} at ${r.revision} from ${endpoint}; ${r.licence}`} onClick={() => void fetchModel(r.name)}>
          Get {r.title} ({Math.round(approxBytes(r.files) / 2 ** 20)} MiB)
        </button>
      ))}
      <label title="where models are downloaded from: huggingface.co or a mirror of it (the address can also be given as ?hf_endpoint=URL)">
        Hub{' '}
        <input
          data-testid="hub-endpoint"
          value={draft ?? endpoint}
          placeholder={DEFAULT_ENDPOINT}
          onChange={(e) => setDraft(e.target.value)}
          onBlur={() => {
            if (draft !== null) setEndpoint(draft);
            setDraft(null);
          }}
        />
      </label>
      {job && (
        <div className="progress" data-testid="hub-progress" role="status">
          <span>{job.message}</span>
          <progress max={1} value={job.fraction} />
          <button data-testid="hub-cancel" onClick={cancel}>
            Cancel
          </button>
        </div>
      )}
    </div>
  );
}
