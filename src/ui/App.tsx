import { useEffect, useMemo, useState } from 'react';
import { AnalysisPanel } from './components/AnalysisPanel.tsx';
import { AnnotationPanel } from './components/AnnotationPanel.tsx';
import { GeneSearch } from './components/GeneSearch.tsx';
import { MarkersPanel } from './components/MarkersPanel.tsx';
import { PanelError } from './components/PanelError.tsx';
import { QcPanel } from './components/QcPanel.tsx';
import { SelectionBar } from './components/SelectionBar.tsx';
import { DropZone } from './components/DropZone.tsx';
import { ModelPanel } from './components/ModelPanel.tsx';
import { Legend } from './components/Legend.tsx';
import { ScatterView } from './components/ScatterView.tsx';
import { StatusBar } from './components/StatusBar.tsx';
import { SummaryPanel } from './components/SummaryPanel.tsx';
import { ViewControls } from './components/ViewControls.tsx';
import { useAnalysis } from './analysis-store.ts';
import { useAnnotation } from './annotation-store.ts';
import { ShortcutHelp } from './components/ShortcutHelp.tsx';
import { useShortcuts } from './shortcuts.ts';
import { useApp } from './store.ts';

export function App() {
  const summary = useApp((s) => s.summary);
  // Panels keep local choices (a column, a group); a new dataset starts them afresh.
  const datasetId = useApp((s) => s.datasetId);
  const [help, setHelp] = useState(false);
  const actions = useMemo(
    () => ({
      focusGeneSearch: () => document.querySelector<HTMLInputElement>('[data-testid="gene-search"]')?.focus(),
      toggleLasso: () => {
        const a = useAnalysis.getState();
        if (useApp.getState().embedding) a.setLassoMode(!a.lassoMode);
      },
      escape: () => {
        const a = useAnalysis.getState();
        if (help) setHelp(false);
        else if (a.lassoMode) a.setLassoMode(false);
        else a.clearSelection();
        (document.activeElement as HTMLElement | null)?.blur?.();
      },
      undo: () => useAnnotation.getState().undo(),
      redo: () => useAnnotation.getState().redo(),
      toggleHelp: () => setHelp((h) => !h),
    }),
    [help],
  );
  useShortcuts(actions);
  const detectBackend = useApp((s) => s.detectBackend);
  useEffect(() => {
    void detectBackend();
  }, [detectBackend]);
  return (
    <div className="app">
      <header>
        <h1>scWeb</h1>
        <span className="muted">single-cell analysis in your browser; your data never leaves this computer</span>
        <button className="link" onClick={() => setHelp(true)} title="keyboard shortcuts (?)" data-testid="shortcuts-button">
          Shortcuts <kbd>?</kbd>
        </button>
      </header>
      {help && <ShortcutHelp onClose={() => setHelp(false)} />}
      <DropZone compact={summary !== null} />
      <StatusBar />
      {summary && (
        <main className="workspace" key={datasetId}>
          <div className="side">
            <SummaryPanel summary={summary} />
            <AnalysisPanel />
            <QcPanel />
            <AnnotationPanel />
          </div>
          <section className="view">
            <ModelPanel />
            <ViewControls summary={summary} />
            <div className="controls">
              <GeneSearch />
            </div>
            <SelectionBar />
            <PanelError panel="view" />
            <ScatterView />
            <Legend />
            <MarkersPanel />
          </section>
        </main>
      )}
    </div>
  );
}
