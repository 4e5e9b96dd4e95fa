import { useApp } from '../store.ts';

/** The last load error (panel errors show in their panel; progress is in the top bar). */
export function StatusBar() {
  const error = useApp((s) => s.error);
  const dismiss = useApp((s) => s.dismissError);
  return (
    <>
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
