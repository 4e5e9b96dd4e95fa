// The workspace: a top bar, obs on the left, the embedding (or the plots, or QC) in the centre
// filling the window, genes on the right; settings open as a drawer at the right edge, beside the
// genes panel: the centre gives it the room (the embedding shrinks and refits), nothing is covered.
import { useEffect, useMemo, useState } from 'react';
import { AnalysisPanel } from './components/AnalysisPanel.tsx';
import { AnnotationPanel } from './components/AnnotationPanel.tsx';
import { ColorScale } from './components/ColorScale.tsx';
import { Drawer } from './components/Drawer.tsx';
import { DropZone } from './components/DropZone.tsx';
import { EmbeddingToolbar } from './components/EmbeddingToolbar.tsx';
import { GenesPanel } from './components/GenesPanel.tsx';
import { IntegrationPanel } from './components/IntegrationPanel.tsx';
import { ModelPanel } from './components/ModelPanel.tsx';
import { NetworksTab } from './components/NetworksTab.tsx';
import { ObsPanel } from './components/ObsPanel.tsx';
import { PanelError } from './components/PanelError.tsx';
import { PlotsTab } from './components/PlotsTab.tsx';
import { QcPanel } from './components/QcPanel.tsx';
import { ScatterView } from './components/ScatterView.tsx';
import { ShortcutHelp } from './components/ShortcutHelp.tsx';
import { StatusBar } from './components/StatusBar.tsx';
import { pickedFromDrop } from './picked-files.ts';
import { SummaryPanel } from './components/SummaryPanel.tsx';
import { TopBar } from './components/TopBar.tsx';
import { useAnalysis } from './analysis-store.ts';
import { useAnnotation } from './annotation-store.ts';
import { useShortcuts } from './shortcuts.ts';
import { useApp } from './store.ts';
import { useView, type Tab } from './view-store.ts';
import { resumeLastSession, startFresh, useSession } from './session/autosave.ts';
import { isSharePath, openShareFromLocation, shareRoute, urlParam } from './share/viewer.ts';
import { ViewerBanner } from './components/ViewerBanner.tsx';
import { RunReport } from './components/RunReport.tsx';

const TABS: [Tab, string][] = [
  ['embedding', 'Embedding'],
  ['plots', 'Plots'],
  ['qc', 'QC'],
  ['networks', 'Networks'],
];

function Centre() {
  const summary = useApp((s) => s.summary)!;
  const tab = useView((s) => s.tab);
  const setTab = useView((s) => s.setTab);
  // A shared link has no QC to revisit: it carries results, not the counts they came from.
  const viewer = useApp((s) => s.viewer);
  // Nor networks: those need the counts and the model.
  const tabs = viewer ? TABS.filter(([t]) => t !== 'qc' && t !== 'networks') : TABS;
  return (
    <section className="centre">
      <div className="tabs" role="tablist">
        {tabs.map(([t, label]) => (
          <button key={t} role="tab" aria-selected={tab === t} className={tab === t ? 'on' : ''} onClick={() => setTab(t)} data-testid={`tab-${t}`}>
            {label}
          </button>
        ))}
      </div>
      {tab === 'embedding' && (
        <>
          <EmbeddingToolbar summary={summary} />
          <PanelError panel="view" />
          <div className="stage">
            <ScatterView />
            <ColorScale />
          </div>
        </>
      )}
      {tab === 'plots' && <PlotsTab />}
      {tab === 'qc' && <QcPanel />}
      {tab === 'networks' && <NetworksTab />}
    </section>
  );
}

export function App() {
  const summary = useApp((s) => s.summary);
  // Panels keep local choices (a column, a group); a new dataset starts them afresh.
  const datasetId = useApp((s) => s.datasetId);
  const openFiles = useApp((s) => s.openFiles);
  const [help, setHelp] = useState(false);
  const [over, setOver] = useState(false);
  const actions = useMemo(
    () => ({
      focusGeneSearch: () => document.querySelector<HTMLInputElement>('[data-testid="gene-search"]')?.focus(),
      toggleLasso: () => {
        const a = useAnalysis.getState();
        if (useApp.getState().embedding) {
          useView.getState().setTab('embedding');
          a.setLassoMode(!a.lassoMode);
        }
      },
      escape: () => {
        const a = useAnalysis.getState();
        if (help) setHelp(false);
        else if (a.lassoMode) a.setLassoMode(false);
        else if (a.selection) a.clearSelection();
        else useView.getState().openDrawer(null);
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
    // A shared link opens read-only; otherwise the last session comes back.
    const remote = urlParam(location);
    if (isSharePath(location)) void openShareFromLocation();
    else if (remote) void useApp.getState().openUrl(remote);
    else void resumeLastSession();
    // A key pasted into the link (or a corrected one) changes only the fragment: no reload.
    const onHash = () => shareRoute(location) && void openShareFromLocation();
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, [detectBackend]);
  const note = useSession((s) => s.note);
  const exportNote = useAnnotation((s) => s.exportNote);
  const warnings = useApp((s) => s.warnings);
  // Dismissed here, still listed in the Dataset panel.
  const [dismissedWarnings, setDismissedWarnings] = useState<string[] | null>(null);
  const last = useSession((s) => s.last);
  const drawer = useView((s) => s.drawer);
  return (
    <div
      className={`app${over ? ' over' : ''}`}
      onDragOver={(e) => {
        e.preventDefault();
        setOver(true);
      }}
      onDragLeave={(e) => e.currentTarget === e.target && setOver(false)}
      onDrop={(e) => {
        e.preventDefault();
        setOver(false);
        void pickedFromDrop(e.dataTransfer).then((p) => openFiles(p.files, { paths: p.paths }));
      }}
    >
      <TopBar onHelp={() => setHelp(true)} />
      {help && <ShortcutHelp onClose={() => setHelp(false)} />}
      <StatusBar />
      <ViewerBanner />
      {summary && <RunReport />}
      {note && summary && (
        <div className="note" role="status" data-testid="session-note">
          {note}{' '}
          <button className="link" onClick={() => void startFresh()} data-testid="start-fresh">
            Start fresh
          </button>
          <button className="link" onClick={() => useSession.setState({ note: null })} aria-label="dismiss">
            ×
          </button>
        </div>
      )}
      {warnings.length > 0 && warnings !== dismissedWarnings && summary && (
        // What opening the files left out or could not do (an inner join keeping few genes, files
        // skipped): on show, not only in the Dataset panel.
        <div className="note warn-note" role="status" data-testid="open-warnings">
          {warnings.map((w) => (
            <span key={w}>{w.charAt(0).toUpperCase() + w.slice(1)}. </span>
          ))}
          <button className="link" onClick={() => setDismissedWarnings(warnings)} aria-label="dismiss">
            ×
          </button>
        </div>
      )}
      {exportNote && summary && (
        <div className="note" role="status" data-testid="export-note">
          {exportNote}{' '}
          <button className="link" onClick={() => useAnnotation.setState({ exportNote: null })} aria-label="dismiss">
            ×
          </button>
        </div>
      )}
      {summary ? (
        <main className={`workspace${drawer ? ' with-drawer' : ''}`} key={datasetId}>
          <ObsPanel summary={summary} />
          <Centre />
          <GenesPanel />
          <Drawer name="analysis" title="Analysis">
            <AnalysisPanel />
          </Drawer>
          <Drawer name="integration" title="Integration metrics">
            <IntegrationPanel />
          </Drawer>
          <Drawer name="embed" title="scGPT embedding">
            <ModelPanel />
          </Drawer>
          <Drawer name="annotate" title="Cell-type annotation">
            <AnnotationPanel />
          </Drawer>
          <Drawer name="dataset" title="Dataset">
            <SummaryPanel summary={summary} />
          </Drawer>
        </main>
      ) : (
        <main className="empty">
          <DropZone />
          {last && !last.demo && (
            <p className="muted" data-testid="last-session">
              Your work on <b>{last.name}</b> is kept in this browser: open that file again and it comes back where you left it.
            </p>
          )}
        </main>
      )}
    </div>
  );
}
