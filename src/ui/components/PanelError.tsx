import type { Panel } from '../store.ts';
import { useApp } from '../store.ts';

/** The last error of an action started in this panel, shown where the user acted. */
export function PanelError({ panel }: { panel: Panel }) {
  const error = useApp((s) => s.error);
  const dismiss = useApp((s) => s.dismissError);
  if (!error || error.panel !== panel) return null;
  return (
    <div className="error" data-testid={`error-${panel}`} role="alert">
      <b>{error.action ?? 'The last action'} failed:</b> {error.message}
      <button onClick={dismiss} aria-label="dismiss">
        ×
      </button>
    </div>
  );
}
