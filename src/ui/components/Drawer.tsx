import type { ReactNode } from 'react';
import { useView, type Drawer as DrawerName } from '../view-store.ts';

/**
 * A side drawer over the genes panel for settings (analysis, model, annotation, dataset): not
 * modal, so the plot stays usable while parameters change; Esc or × closes it.
 */
export function Drawer({ name, title, children }: { name: Exclude<DrawerName, null>; title: string; children: ReactNode }) {
  const open = useView((s) => s.drawer === name);
  const close = () => useView.getState().openDrawer(null);
  if (!open) return null;
  return (
    <aside className="drawer" role="dialog" aria-label={title} data-testid={`drawer-${name}`}>
      <div className="drawer-head">
        <h2>{title}</h2>
        <button className="icon" onClick={close} aria-label={`close ${title}`} data-testid="drawer-close">
          ×
        </button>
      </div>
      <div className="drawer-body">{children}</div>
    </aside>
  );
}
