// Share a read-only link: what goes in (genes, embeddings), encrypted or public, expiry, the size
// before anything is sent, progress with cancel, the link with a copy button, and the links this
// browser made (revocable). The snapshot is written by the worker; encryption happens here, in
// the browser, and the key only ever travels in the link's fragment.
import { userColors } from '../category-colors.ts';
import { useMemo, useState } from 'react';
import pkg from '../../../package.json';
import { containerSize } from '../../io/share/container.ts';
import { useAnalysis } from '../analysis-store.ts';
import { currentFile } from '../session/autosave.ts';
import { captureWorkspace } from '../session/capture.ts';
import { loadMyLinks, revokeLink, saveMyLinks, type MyLink } from '../share/my-links.ts';
import { sealSnapshot, uploadShare, type CreatedShare } from '../share/upload.ts';
import { useApp } from '../store.ts';
import { dataClient, WorkerRequestError } from '../worker-client.ts';
import { useWorkerResult } from './use-worker-result.ts';

type Genes = 'hvg+markers' | 'all' | 'none';

const mb = (n: number) => (n / 2 ** 20 < 10 ? (n / 2 ** 20).toFixed(1) : Math.round(n / 2 ** 20).toString());

function markerGenes(): string[] {
  const m = useAnalysis.getState().markers;
  if (!m) return [];
  return [...new Set(m.groups.flatMap((g) => g.geneIds ?? g.genes))];
}

export function ShareDialog({ onClose }: { onClose(): void }) {
  const summary = useApp((s) => s.summary)!;
  const embedding = useApp((s) => s.embedding);
  const report = useAnalysis((s) => s.report);
  const twoD = Object.entries(summary.obsm).filter(([, s]) => s[1] >= 2 && s[1] <= 3).map(([k]) => k);
  const [genes, setGenes] = useState<Genes>('hvg+markers');
  const [embeddings, setEmbeddings] = useState<string[]>(() => (embedding ? [embedding.key] : twoD.slice(0, 1)));
  const [withScgpt, setWithScgpt] = useState(false);
  const [encrypt, setEncrypt] = useState(true);
  const [days, setDays] = useState(90);
  const [phase, setPhase] = useState<{ what: string; fraction: number; detail?: string } | null>(null);
  const [abort, setAbort] = useState<AbortController | null>(null);
  const [created, setCreated] = useState<CreatedShare | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [links, setLinks] = useState<MyLink[]>(loadMyLinks);
  const [copied, setCopied] = useState(false);

  // The genes of the HVG-and-markers choice, counted by the worker with the function that writes the snapshot.
  const markers = useAnalysis((s) => s.markers);
  const geneChoice = useMemo(() => ({ kind: 'hvg+markers' as const, markers: markerGenes() }), [markers]); // eslint-disable-line react-hooks/exhaustive-deps
  const counted = useWorkerResult<'snapshot-genes'>({ type: 'snapshot-genes', genes: geneChoice }, report ? `${report.nKept}:${report.nHvg}` : 'none');
  const hvgMarkers = counted.value?.count ?? null;
  // Before anything is sent: obs (8 bytes a value, names ~16), embeddings (float32), genes (value + cell index per stored entry).
  const estimate = useMemo(() => {
    const n = summary.n_obs;
    const counts = summary.matrices.find((m) => m.key === summary.analysis_input?.key);
    const perGene = counts?.nnz ? counts.nnz / Math.max(1, counts.shape[1]) : n * 0.1;
    const nGenes = genes === 'all' ? (counts?.shape[1] ?? summary.n_vars) : genes === 'none' ? 0 : (hvgMarkers ?? 0);
    const obs = n * (16 + 8 * Object.keys(summary.obs).length);
    const emb = [...embeddings, ...(withScgpt ? ['X_scGPT'] : [])].reduce((a, k) => a + n * (summary.obsm[k]?.[1] ?? 0) * 4, 0);
    const plain = obs + emb + nGenes * perGene * 8 + 64 * 1024;
    return { nGenes, bytes: encrypt ? containerSize(Math.round(plain)) : plain };
  }, [summary, genes, embeddings, withScgpt, encrypt, hvgMarkers]);

  const create = async () => {
    const controller = new AbortController();
    setAbort(controller);
    setError(null);
    setCreated(null);
    try {
      const file = currentFile();
      const keys = [...embeddings, ...(withScgpt && summary.obsm.X_scGPT ? ['X_scGPT'] : [])];
      const provenance = JSON.stringify({ source: file, app: 'scWeb', version: pkg.version, created: new Date().toISOString(), params: useAnalysis.getState().params, model: useApp.getState().embedStats?.model ?? null });
      const { id, done } = dataClient().request<'file'>({ type: 'snapshot', request: { genes: genes === 'hvg+markers' ? geneChoice : { kind: genes }, embeddings: keys, session: JSON.stringify(captureWorkspace(file)), provenance, colors: userColors() } }, (fraction, message) =>
        setPhase({ what: 'Writing the snapshot', fraction, detail: message }),
      );
      controller.signal.addEventListener('abort', () => dataClient().cancel(id));
      setPhase({ what: 'Writing the snapshot', fraction: 0 });
      const { bytes } = await done;
      setPhase({ what: encrypt ? 'Encrypting' : 'Preparing', fraction: 0 });
      const { body, key } = await sealSnapshot(bytes, encrypt);
      const made = await uploadShare(body, key, { expiresDays: days, name: summary.file }, (p) => setPhase({ what: 'Uploading', fraction: p.sent / p.total, detail: `${mb(p.sent)} of ${mb(p.total)} MB, ${(p.bytesPerSecond / 2 ** 20).toFixed(1)} MB/s` }), controller.signal);
      setCreated(made);
      const next = [{ ...made, name: summary.file, createdAt: new Date().toISOString() }, ...links];
      setLinks(next);
      saveMyLinks(next);
    } catch (err) {
      const cancelled = (err instanceof DOMException && err.name === 'AbortError') || (err instanceof WorkerRequestError && err.info.code === 'cancelled');
      if (!cancelled) setError(err instanceof WorkerRequestError ? err.info.message : err instanceof Error ? err.message : String(err));
    } finally {
      setPhase(null);
      setAbort(null);
    }
  };

  const revoke = async (link: MyLink) => {
    try {
      await revokeLink(link);
      const next = links.filter((l) => l.id !== link.id);
      setLinks(next);
      saveMyLinks(next);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  };

  const toggleEmbedding = (k: string, on: boolean) => setEmbeddings(on ? [...embeddings, k] : embeddings.filter((e) => e !== k));
  return (
    <div className="overlay" role="dialog" aria-label="Share a read-only link" data-testid="share-dialog">
      <div className="dialog share">
        <h3>Share a read-only link</h3>
        <fieldset disabled={!!phase}>
          <legend>Expression</legend>
          {(
            [
              ['hvg+markers', hvgMarkers === null ? 'highly variable genes and markers (counting…)' : `highly variable genes and markers (${hvgMarkers.toLocaleString()} genes)`],
              ['all', `all ${summary.n_vars.toLocaleString()} genes`],
              ['none', 'no expression (metadata and embeddings only)'],
            ] as [Genes, string][]
          ).map(([v, label]) => (
            <label key={v}>
              <input type="radio" name="genes" checked={genes === v} onChange={() => setGenes(v)} data-testid={`share-genes-${v}`} /> {label}
            </label>
          ))}
        </fieldset>
        <fieldset disabled={!!phase}>
          <legend>Embeddings</legend>
          {twoD.map((k) => (
            <label key={k}>
              <input type="checkbox" checked={embeddings.includes(k)} onChange={(e) => toggleEmbedding(k, e.target.checked)} /> {k}
            </label>
          ))}
          {summary.obsm.X_scGPT && (
            <label>
              <input type="checkbox" checked={withScgpt} onChange={(e) => setWithScgpt(e.target.checked)} /> X_scGPT ({summary.obsm.X_scGPT[1]}-D cell embeddings)
            </label>
          )}
        </fieldset>
        <fieldset disabled={!!phase}>
          <legend>Access</legend>
          <label>
            <input type="checkbox" checked={encrypt} onChange={(e) => setEncrypt(e.target.checked)} data-testid="share-encrypt" /> encrypted: only people with the link can read it; the server cannot
          </label>
          <label>
            expires after{' '}
            <select value={days} onChange={(e) => setDays(Number(e.target.value))} data-testid="share-expiry">
              {[7, 30, 90].map((d) => (
                <option key={d} value={d}>
                  {d} days
                </option>
              ))}
            </select>
          </label>
        </fieldset>
        <p className="small" data-testid="share-estimate">
          About {mb(estimate.bytes)} MB will be uploaded{encrypt ? ', encrypted in this browser' : ', readable by anyone with the link'}. The raw counts stay on this computer.
        </p>
        {phase && (
          <div className="row" role="status" data-testid="share-progress">
            <span>{phase.what}</span>
            <progress max={1} value={phase.fraction} />
            <span className="muted small">{phase.detail}</span>
            <button onClick={() => abort?.abort()} data-testid="share-cancel">
              Cancel
            </button>
          </div>
        )}
        {error && (
          <p className="error" role="alert" data-testid="share-error">
            Sharing failed: {error}
          </p>
        )}
        {created && (
          <div className="share-link" data-testid="share-created">
            <input readOnly value={created.url} data-testid="share-link" aria-label="the link" onFocus={(e) => e.target.select()} />
            <button
              onClick={() => {
                void navigator.clipboard?.writeText(created.url).then(() => setCopied(true));
              }}
              data-testid="share-copy"
            >
              {copied ? 'Copied' : 'Copy'}
            </button>
            <span className="muted small">expires {new Date(created.expiresAt).toLocaleDateString()}</span>
          </div>
        )}
        <div className="row">
          <button className="primary" onClick={() => void create()} disabled={!!phase} data-testid="share-create">
            Create link
          </button>
          <button onClick={onClose} data-testid="share-close">
            Close
          </button>
        </div>
        {links.length > 0 && (
          <>
            <h4>Links made in this browser</h4>
            <table className="small" data-testid="my-links">
              <tbody>
                {links.map((l) => (
                  <tr key={l.id}>
                    <td>{l.name}</td>
                    <td className="muted">expires {new Date(l.expiresAt).toLocaleDateString()}</td>
                    <td>
                      <button onClick={() => void navigator.clipboard?.writeText(l.url)}>Copy</button>
                    </td>
                    <td>
                      <button onClick={() => void revoke(l)} data-testid="revoke-link">
                        Revoke
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </>
        )}
      </div>
    </div>
  );
}
