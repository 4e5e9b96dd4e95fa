// Keyboard shortcuts of the explorer: / gene search, L lasso, Esc clears the selection (or leaves
// lasso mode), Ctrl+Z / Ctrl+Shift+Z undo and redo label edits, ? this list. Keys typed into a
// field are the field's, except Esc.
import { useEffect } from 'react';

export interface Shortcut {
  keys: string;
  does: string;
}

export const SHORTCUTS: Shortcut[] = [
  { keys: '/', does: 'focus the gene search' },
  { keys: 'L', does: 'lasso: draw a selection on the plot' },
  { keys: 'Esc', does: 'leave lasso mode, clear the selection, close a drawer or this help' },
  { keys: 'Ctrl+Z', does: 'undo a label edit' },
  { keys: 'Ctrl+Shift+Z', does: 'redo a label edit' },
  { keys: '?', does: 'show or hide this list' },
];

export interface ShortcutActions {
  focusGeneSearch(): void;
  toggleLasso(): void;
  escape(): void;
  undo(): void;
  redo(): void;
  toggleHelp(): void;
}

/** Which action a key press asks for, or null. Pure, so it is tested without a page. */
export function shortcutFor(e: { key: string; ctrlKey: boolean; metaKey: boolean; shiftKey: boolean; altKey: boolean }, inField: boolean): keyof ShortcutActions | null {
  if (e.key === 'Escape') return 'escape';
  const mod = e.ctrlKey || e.metaKey;
  if (mod && !e.altKey && e.key.toLowerCase() === 'z') return inField ? null : e.shiftKey ? 'redo' : 'undo';
  if (inField || mod || e.altKey) return null;
  if (e.key === '/') return 'focusGeneSearch';
  if (e.key === 'l' || e.key === 'L') return 'toggleLasso';
  if (e.key === '?') return 'toggleHelp';
  return null;
}

function isField(t: EventTarget | null): boolean {
  const el = t as HTMLElement | null;
  return !!el && (el.tagName === 'INPUT' || el.tagName === 'TEXTAREA' || el.tagName === 'SELECT' || el.isContentEditable);
}

export function useShortcuts(actions: ShortcutActions): void {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const action = shortcutFor(e, isField(e.target));
      if (!action) return;
      e.preventDefault();
      actions[action]();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [actions]);
}
