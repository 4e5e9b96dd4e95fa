// The top bar: the dataset (name, cells x genes, compute device), the actions that open their
// drawers (Analyze, Embed, Annotate), Export, file opening, and the one progress indicator.
import { useRef, useState } from 'react';
import { pickedFromInput } from '../picked-files.ts';
import { useAnnotation } from '../annotation-store.ts';
import { captureWorkspace } from '../session/capture.ts';
import { currentFile } from '../session/autosave.ts';
import { saveScatterPng, saveScatterSvg } from '../plot/scatter-export.ts';
import { useAnalysis } from '../analysis-store.ts';
import { useApp } from '../store.ts';
import { useView, type Drawer } from '../view-store.ts';
import { JobIndicator } from './JobIndicator.tsx';
import { ShareDialog } from './ShareDialog.tsx';

const fmt = (n: number | null) => (n === null ? '?' : n.toLocaleString('en-US'));

function DrawerButton({ name, label, title }: { name: Exclude<Drawer, null>; label: string; title: string }) {
  const open = useView((s) => s.drawer === name);
  return (
    <button className={open ? 'on' : ''} aria-pressed={open} onClick={() => useView.getState().openDrawer(name)} title={title} data-testid={`open-${name}`}>
      {label}
    </button>
  );
}

function ExportMenu({ viewer = false }: { viewer?: boolean }) {
  const [open, setOpen] = useState(false);
  const a = useAnnotation();
  const item = (label: string, testid: string, act: () => void, disabled = false) => (
    <button
      role="menuitem"
      disabled={disabled}
      data-testid={testid}
      onClick={() => {
        setOpen(false);
        act();
      }}
    >
      {label}
    </button>
  );
  return (
    <div className="menu" onBlur={(e) => !e.currentTarget.contains(e.relatedTarget) && setOpen(false)}>
      <button aria-haspopup="menu" aria-expanded={open} onClick={() => setOpen(!open)} data-testid="export-menu">
        Export ▾
      </button>
      {open && (
        <div className="menu-items" role="menu">
          {!viewer && item('Save analysis (.h5ad)', 'export-h5ad', () => void a.exportH5ad(JSON.stringify(captureWorkspace(currentFile()))), !!a.job)}
          {item('Labels and clusters (CSV)', 'export-csv', () => void a.exportCsv())}
          {item('Plot as PNG', 'save-png', () => saveScatterPng())}
          {item('Plot as SVG', 'save-svg', () => saveScatterSvg())}
        </div>
      )}
    </div>
  );
}

export function TopBar({ onHelp }: { onHelp(): void }) {
  const summary = useApp((s) => s.summary);
  const backend = useApp((s) => s.backend);
  const openFiles = useApp((s) => s.openFiles);
  const input = useRef<HTMLInputElement>(null);
  // The dataset the share dialog was opened on: another one opened meanwhile (a drop anywhere on the page) closes it.
  const datasetId = useApp((s) => s.datasetId);
  const [sharing, setSharing] = useState<number | null>(null);
  const viewer = useApp((s) => s.viewer);
  const integrated = useAnalysis((s) => !!s.report?.integration);
  return (
    <header className="topbar">
      <span className="brand">scWeb</span>
      {summary ? (
        <span className="dataset">
          <span className="dataset-name" data-testid="file-name" title={summary.file}>
            {summary.file}
          </span>
          <span className="muted dims" data-testid="dims">
            <span data-testid="n-obs">{fmt(summary.n_obs)}</span> cells × <span data-testid="n-vars">{fmt(summary.n_vars)}</span> genes
          </span>
        </span>
      ) : (
        <span className="muted tagline">single-cell analysis in your browser; your data never leave this computer</span>
      )}
      <span className="device" data-testid="device" title={backend?.detail ?? 'detecting the compute device'}>
        {backend ? (backend.kind === 'webgpu' ? 'WebGPU' : 'CPU') : '…'}
      </span>
      <nav className="actions">
        <button onClick={() => input.current?.click()} title="open an .h5ad, a 10x .h5 or a 10x folder's three files; several datasets (or folders dropped on the page) open as one" data-testid="open-files">
          Open…
        </button>
        <input
          ref={input}
          type="file"
          multiple
          hidden
          data-testid="file-input"
          accept=".h5ad,.h5,.hdf5,.mtx,.gz,.tsv"
          onChange={(e) => {
            const p = pickedFromInput(e.target.files);
            void openFiles(p.files, { paths: p.paths });
            e.target.value = '';
          }}
        />
        {summary && viewer && (
          <>
            <ExportMenu viewer />
            <DrawerButton name="dataset" label="Dataset" title="matrices, format" />
          </>
        )}
        {summary && !viewer && (
          <>
            <DrawerButton name="analysis" label="Analyze" title="QC, normalisation, HVGs, PCA, batch integration, neighbours, Leiden, UMAP, markers" />
            {integrated && <DrawerButton name="integration" label="Integration" title="LISI, ASW and graph connectivity before and after Harmony" />}
            <DrawerButton name="embed" label="Embed" title="scGPT cell embedding" />
            <DrawerButton name="annotate" label="Annotate" title="cell-type annotation: reference mapping, suggestions, labels" />
            <ExportMenu />
            <button onClick={() => setSharing(datasetId)} title="a read-only link to this analysis, end-to-end encrypted" data-testid="open-share">
              Share
            </button>
            <DrawerButton name="dataset" label="Dataset" title="matrices, counts, format" />
          </>
        )}
        <button className="icon" onClick={onHelp} title="keyboard shortcuts (?)" aria-label="keyboard shortcuts" data-testid="shortcuts-button">
          ?
        </button>
      </nav>
      <JobIndicator />
      {sharing === datasetId && summary && <ShareDialog onClose={() => setSharing(null)} />}
    </header>
  );
}
