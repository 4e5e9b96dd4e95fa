import { useState } from 'react';
import { approxBytes, DEFAULT_ENDPOINT, type RegistryEntry } from '../../model/hub/registry.ts';
import { useHub } from '../model-hub-store.ts';
import { useApp } from '../store.ts';

/** Registry models not cached in this browser yet. */
function useMissing(): RegistryEntry[] {
  const registry = useApp((s) => s.registry);
  const models = useApp((s) => s.models);
  return registry.filter((r) => !models.some((m) => m.card?.repo.toLowerCase() === r.repo.toLowerCase()));
}

/**
 * The registry models to offer before anything else: those not cached yet, while the chosen model
 * is the bundled one with random weights (or there is none), so its results would mean nothing.
 */
export function useRealModelOffer(): RegistryEntry[] {
  const missing = useMissing();
  const testChosen = useApp((s) => {
    const chosen = s.models.find((m) => m.id === s.modelChoice);
    return chosen ? !!chosen.test : !s.pickedModel || s.modelChoice !== '__picked__';
  });
  return testChosen ? missing : [];
}

const label = (r: RegistryEntry) => `Get ${r.title} (${Math.round(approxBytes(r.files) / 2 ** 20)} MiB)`;

/**
 * Said first where a model is chosen (the Embed drawer, the Networks tab) while the test model is
 * the choice and the real one is a download away: the download is the primary action; carrying on
 * with the test model stays possible, with its warning.
 */
export function RealModelFirst({ testIdPrefix = '' }: { testIdPrefix?: string }) {
  const offer = useRealModelOffer();
  const job = useHub((s) => s.job);
  const endpoint = useHub((s) => s.endpoint);
  if (offer.length === 0) return null;
  return (
    <div className="model-first" data-testid={`${testIdPrefix}model-first`}>
      <p className="small">
        <b>The bundled model has random weights</b>: it shows how the app works, but its results carry no biology. The released scGPT model is one download away and is then kept in this browser.
      </p>
      {offer.map((r) => (
        <button key={r.name} className="primary" data-testid={`${testIdPrefix}hub-get-${r.name}`} disabled={job !== null} title={`${r.repo} at ${r.revision} from ${endpoint}; ${r.licence}`} onClick={() => void useHub.getState().fetchModel(r.name)}>
          {label(r)}
        </button>
      ))}
      {job && (
        <p className="muted small" role="status" data-testid={`${testIdPrefix}model-first-progress`}>
          {job.message}
        </p>
      )}
      <p className="warn small">Or go on with the test model below, for a try of the steps only.</p>
    </div>
  );
}

/** "Get scGPT whole-human (196 MiB)": registry models not yet cached (those not offered first above), with progress and cancel, and the hub endpoint. */
export function ModelHubGet() {
  const job = useHub((s) => s.job);
  const endpoint = useHub((s) => s.endpoint);
  const { fetchModel, cancel, setEndpoint } = useHub.getState();
  const [draft, setDraft] = useState<string | null>(null);
  const offered = useRealModelOffer();
  const missing = useMissing().filter((r) => !offered.includes(r));
  return (
    <div className="model-hub">
      {missing.map((r) => (
        <button key={r.name} data-testid={`hub-get-${r.name}`} disabled={job !== null} title={`${r.repo} at ${r.revision} from ${endpoint}; ${r.licence}`} onClick={() => void fetchModel(r.name)}>
          {label(r)}
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
