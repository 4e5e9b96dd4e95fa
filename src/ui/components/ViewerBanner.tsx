// Shown over a shared link: what it is (source file, cells, date), that it is read-only, and the
// two ways out: the snapshot as an .h5ad (decrypted here), or a copy opened as one's own work.
import { useState } from 'react';
import { download } from '../download.ts';
import { fetchSharedFile } from '../share/viewer.ts';
import { useApp } from '../store.ts';

export function ViewerBanner() {
  const viewer = useApp((s) => s.viewer);
  const nObs = useApp((s) => s.summary?.n_obs);
  const nVars = useApp((s) => s.summary?.n_vars);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  if (!viewer) return null;
  const run = async (then: (f: File) => void | Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await then(await fetchSharedFile(viewer));
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="viewer-banner" role="status" data-testid="viewer-banner">
      <span>
        Shared analysis (read-only): <b data-testid="viewer-name">{viewer.name}</b>
        {nObs !== undefined ? `, ${nObs.toLocaleString()} cells` : ''}
        {nVars !== undefined ? (nVars > 0 ? `, expression of the ${nVars.toLocaleString()} genes chosen when it was shared` : ', no expression') : ''}, shared {new Date(viewer.createdAt).toLocaleDateString()}
        {viewer.key ? ', end-to-end encrypted' : ', public'}
      </span>
      <button onClick={() => void run((f) => download(f.name, f))} disabled={busy} data-testid="viewer-download">
        Download .h5ad
      </button>
      <button
        onClick={() =>
          void run(async (f) => {
            history.replaceState(null, '', '/');
            await useApp.getState().openFiles([f]);
          })
        }
        disabled={busy}
        data-testid="viewer-copy"
      >
        Open a copy in my workspace
      </button>
      {error && <span className="field-error">{error}</span>}
    </div>
  );
}
