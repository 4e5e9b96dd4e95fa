// Work survives a reload: the workspace (parameters, view, labels) and what was computed (obs
// columns, embeddings, the report and marker table) are kept in IndexedDB per file, written a
// second after each change, and put back when the same file is opened again. A file is known by
// name, size and modification time (reading it whole to hash would cost a full pass over GBs);
// several files joined as one by the set of them (they are opened in path order) and the join.
// A saved .h5ad carries its own workspace (uns/scweb_session), used when the browser has none.
import { del, get, set } from 'idb-keyval';
import { create } from 'zustand';
import type { AnalysisReport, MarkerTable, SessionResults } from '../../workers/protocol.ts';
import { useAnalysis } from '../analysis-store.ts';
import { useAnnotation } from '../annotation-store.ts';
import { DEMO_URL, setAfterOpen, useApp, type OpenedFiles } from '../store.ts';
import { useView } from '../view-store.ts';
import { dataClient } from '../worker-client.ts';
import { applyWorkspace, captureWorkspace } from './capture.ts';
import { parseWorkspace } from './workspace.ts';

interface Saved {
  workspace: string;
  results: SessionResults;
  report: AnalysisReport | null;
  markers: MarkerTable | null;
}

export interface LastSession {
  key: string;
  name: string;
  demo: boolean;
  savedAt: string;
}

/** Embeddings wider than 2-D are kept only while all of them fit in this many bytes (X_pca of a million cells does not). */
const WIDE_EMBEDDING_BYTES = 200 * 2 ** 20;
const DEMO_NAME = DEMO_URL.split('/').pop()!;

export const useSession = create<{ note: string | null; last: LastSession | null }>(() => ({ note: null, last: null }));

let current: { key: string; name: string; size: number; opened: OpenedFiles } | null = null;
let restoring = false;
let skipRestore = false;
let savedSummary: unknown = null;
let savedResults: SessionResults | null = null;

export function fingerprint(files: { name: string; size: number; lastModified: number }[], paths?: string[], join: 'inner' | 'outer' = 'inner'): string {
  // A file's path inside a dropped folder tells sampleA/matrix.mtx.gz from sampleB's; a loose file's is its name.
  const key = files.map((f, i) => `${paths?.[i] || f.name}:${f.size}:${f.lastModified}`).join('|');
  return join === 'outer' ? `${key}|join=outer` : key;
}

/** The file the workspace belongs to, for the workspace JSON an export writes. */
export function currentFile(): { name: string; size: number | null } {
  return { name: current?.name ?? '', size: current?.size ?? null };
}

function keepSmall(r: SessionResults): SessionResults {
  const wide = r.obsm.filter((e) => e.shape[1] > 2).reduce((a, e) => a + e.data.byteLength, 0);
  return wide <= WIDE_EMBEDDING_BYTES ? r : { ...r, obsm: r.obsm.filter((e) => e.shape[1] <= 2) };
}

async function save(): Promise<void> {
  // A shared link is read-only: nothing of it is kept in this browser.
  if (!current || restoring || !useApp.getState().summary || useApp.getState().viewer) return;
  const target = current;
  const summary = useApp.getState().summary;
  if (summary !== savedSummary) {
    // New results come with a new summary (a run, an embedding, a label edit).
    savedResults = keepSmall((await dataClient().request<'session-results'>({ type: 'session-export' }).done).results);
    savedSummary = summary;
  }
  if (current !== target || !savedResults) return;
  const a = useAnalysis.getState();
  const entry: Saved = { workspace: JSON.stringify(captureWorkspace(currentFile())), results: savedResults, report: a.report, markers: a.markers };
  await set(`ws:${target.key}`, entry);
  const last: LastSession = { key: target.key, name: target.name, demo: target.name === DEMO_NAME && target.opened.files[0]?.lastModified === 0, savedAt: new Date().toISOString() };
  await set('last', last);
}

let timer: ReturnType<typeof setTimeout> | null = null;
function schedule(): void {
  if (timer) clearTimeout(timer);
  timer = setTimeout(() => {
    timer = null;
    save().catch((err) => console.warn('scWeb: the workspace could not be saved in this browser', err));
  }, 1000);
}

async function restore(opened: OpenedFiles): Promise<void> {
  const { files } = opened;
  const key = fingerprint(files, opened.paths, opened.join);
  // Several datasets joined: named as the summary names them (a+b), not by every file.
  const joined = useApp.getState().summary?.samples ? useApp.getState().summary?.file : undefined;
  current = { key, name: joined ?? files.map((f) => f.name).join(', '), size: files.reduce((a, f) => a + f.size, 0), opened };
  savedSummary = null;
  savedResults = null;
  useSession.setState({ note: null });
  if (skipRestore) {
    skipRestore = false;
    return;
  }
  restoring = true;
  try {
    const saved = await get<Saved>(`ws:${key}`).catch(() => undefined);
    if (saved) {
      const { summary } = await dataClient().request<'summary'>({ type: 'session-restore', results: saved.results }).done;
      useApp.setState({ summary });
      const w = parseWorkspace(saved.workspace, summary);
      useAnalysis.setState({ report: saved.report, markers: saved.markers ?? useAnalysis.getState().markers });
      if (w) await applyWorkspace(w);
      useSession.setState({ note: `Restored your work on ${current.name} from ${new Date(w?.savedAt ?? Date.now()).toLocaleString()}.` });
    } else {
      const summary = useApp.getState().summary;
      const w = summary?.saved_session ? parseWorkspace(summary.saved_session, summary) : null;
      if (w) {
        await applyWorkspace(w);
        useSession.setState({ note: `Restored the analysis saved in ${current.name} (${new Date(w.savedAt).toLocaleString()}).` });
      }
    }
  } catch (err) {
    useApp.getState().fail(err, 'view', 'Restoring the saved workspace');
  } finally {
    restoring = false;
  }
  schedule();
}

/** A shared link shows the view saved in its snapshot; the browser keeps nothing of it. */
async function restoreShare(): Promise<void> {
  current = null;
  useSession.setState({ note: null });
  const summary = useApp.getState().summary;
  // The snapshot's own marker tables (computed on all genes when it was shared) come first.
  const { table } = await dataClient().request<'stored-markers'>({ type: 'stored-markers' }).done;
  if (table) useAnalysis.setState({ markers: table });
  const w = summary?.saved_session ? parseWorkspace(summary.saved_session, summary) : null;
  if (w) await applyWorkspace({ ...w, view: { ...w.view, tab: 'embedding' } });
}

/** Forgets the saved work on the open file and opens it afresh. */
export async function startFresh(): Promise<void> {
  if (!current) return;
  await del(`ws:${current.key}`);
  skipRestore = true;
  await useApp.getState().openFiles(current.opened.files, { paths: current.opened.paths, join: current.opened.join });
}

/** At start-up: the last session, and the demo reopened when that is what it was on. */
export async function resumeLastSession(): Promise<void> {
  const last = await get<LastSession>('last').catch(() => undefined);
  if (!last) return;
  useSession.setState({ last });
  if (last.demo && !useApp.getState().summary && !useApp.getState().loading) await useApp.getState().loadDemo();
}

export function installAutosave(): void {
  setAfterOpen(restore, restoreShare);
  useApp.subscribe((s, p) => (s.summary !== p.summary || s.colorBy !== p.colorBy || s.embedding !== p.embedding) && schedule());
  useAnalysis.subscribe((s, p) => (s.report !== p.report || s.markers !== p.markers || s.params !== p.params || s.clip !== p.clip) && schedule());
  useView.subscribe((s, p) => (s.hiddenBy !== p.hiddenBy || s.ranges !== p.ranges || s.pointSize !== p.pointSize || s.opacity !== p.opacity || s.showLabels !== p.showLabels || s.tab !== p.tab || s.recentGenes !== p.recentGenes) && schedule());
  useAnnotation.subscribe((s, p) => s.labels !== p.labels && schedule());
}
