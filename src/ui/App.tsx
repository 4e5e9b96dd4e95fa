import { useEffect } from 'react';
import { DropZone } from './components/DropZone.tsx';
import { ModelPanel } from './components/ModelPanel.tsx';
import { Legend } from './components/Legend.tsx';
import { ScatterView } from './components/ScatterView.tsx';
import { StatusBar } from './components/StatusBar.tsx';
import { SummaryPanel } from './components/SummaryPanel.tsx';
import { ViewControls } from './components/ViewControls.tsx';
import { useApp } from './store.ts';

export function App() {
  const summary = useApp((s) => s.summary);
  const detectBackend = useApp((s) => s.detectBackend);
  useEffect(() => {
    void detectBackend();
  }, [detectBackend]);
  return (
    <div className="app">
      <header>
        <h1>scWeb</h1>
        <span className="muted">single-cell analysis in your browser; your data never leaves this computer</span>
      </header>
      <DropZone compact={summary !== null} />
      <StatusBar />
      {summary && (
        <main className="workspace">
          <SummaryPanel summary={summary} />
          <section className="view">
            <ModelPanel />
            <ViewControls summary={summary} />
            <ScatterView />
            <Legend />
          </section>
        </main>
      )}
    </div>
  );
}
