import { useApp } from '../store.ts';

/** Progress of the current load with a cancel button, and the last load error (panel errors show in their panel). */
export function StatusBar() {
  const loading = useApp((s) => s.loading);
  const error = useApp((s) => s.error);
  const cancel = useApp((s) => s.cancelLoad);
  const dismiss = useApp((s) => s.dismissError);
  return (
    <>
      {loading && (
        <div className="progress" data-testid="progress" role="status">
          <span>
            Loading <b>{loading.fileName}</b>: {loading.message}
          </span>
          <progress max={1} value={loading.fraction} />
          <button onClick={cancel}>Cancel</button>
        </div>
      )}
      {error && !error.panel && (
        <div className="error" data-testid="error" role="alert">
          <b>{error.action ? `${error.action} failed:` : 'Could not load:'}</b> {error.message}
          <button onClick={dismiss} aria-label="dismiss">
            ×
          </button>
        </div>
      )}
    </>
  );
}
