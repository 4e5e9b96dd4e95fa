// How the data are looked at, apart from what is computed: which drawer and tab are open, point
// size and opacity, cluster labels, recently coloured genes, and the cell filters of the obs panel
// (hidden categories of any categorical column, a range of any numeric one), as CELLxGENE filters.
import { create } from 'zustand';
import type { ColumnData } from '../workers/protocol.ts';
import { setOnDatasetOpened, useApp } from './store.ts';
import { dataClient } from './worker-client.ts';
export { visibleMask } from './plot/visible.ts';

export type Drawer = 'analysis' | 'embed' | 'annotate' | 'dataset' | 'integration' | null;
export type { Tab } from './session/workspace.ts';
import type { Tab } from './session/workspace.ts';

export interface ViewState {
  drawer: Drawer;
  tab: Tab;
  pointSize: number;
  opacity: number;
  showLabels: boolean;
  /** Bumped by "Fit": the scatter refits its camera when it changes. */
  fitRequest: number;
  recentGenes: string[];
  /** obs columns fetched for the panel and the filters, by name. */
  columns: Record<string, ColumnData>;
  /** Hidden categories of each categorical column, by name (codes move when labels are edited). */
  hiddenBy: Record<string, ReadonlySet<string>>;
  ranges: Record<string, [number, number]>;
  /** The last run's report is on show above the workspace (set when a run ends, cleared when put away). */
  runReport: boolean;
  openDrawer(d: Drawer): void;
  /** A pipeline run finished: its report shows, and the analysis drawer, if open, closes. */
  runFinished(): void;
  setTab(t: Tab): void;
  set(p: Partial<Pick<ViewState, 'pointSize' | 'opacity' | 'showLabels'>>): void;
  fit(): void;
  rememberGene(symbol: string): void;
  loadColumn(name: string): Promise<ColumnData | null>;
  toggleCategory(column: string, category: string): void;
  isolateCategory(column: string, category: string): void;
  setRange(column: string, range: [number, number] | null): void;
  clearFilters(): void;
  reset(): void;
}

const RECENT = 8;

export const useView = create<ViewState>((set, get) => ({
  drawer: null,
  tab: 'embedding',
  pointSize: 1,
  opacity: 0.85,
  showLabels: true,
  fitRequest: 0,
  recentGenes: [],
  columns: {},
  hiddenBy: {},
  ranges: {},
  runReport: false,
  openDrawer(drawer) {
    set({ drawer: get().drawer === drawer ? null : drawer });
  },
  runFinished() {
    set({ runReport: true, drawer: get().drawer === 'analysis' ? null : get().drawer });
  },
  setTab(tab) {
    set({ tab });
  },
  set(p) {
    set(p);
  },
  fit() {
    set({ fitRequest: get().fitRequest + 1 });
  },
  rememberGene(symbol) {
    set({ recentGenes: [symbol, ...get().recentGenes.filter((g) => g !== symbol)].slice(0, RECENT) });
  },
  async loadColumn(name) {
    const have = get().columns[name];
    if (have) return have;
    try {
      const { column } = await dataClient().request<'column'>({ type: 'column', name }).done;
      set({ columns: { ...get().columns, [name]: column } });
      return column;
    } catch (err) {
      useApp.getState().fail(err, 'view', `Reading ${name}`);
      return null;
    }
  },
  toggleCategory(column, category) {
    const hidden = new Set(get().hiddenBy[column] ?? []);
    if (hidden.has(category)) hidden.delete(category);
    else hidden.add(category);
    set({ hiddenBy: { ...get().hiddenBy, [column]: hidden } });
  },
  isolateCategory(column, category) {
    const col = get().columns[column] ?? useApp.getState().colorColumn;
    if (col?.kind !== 'categorical' || col.name !== column) return;
    const others = col.categories.filter((c) => c !== category);
    const hidden = get().hiddenBy[column] ?? new Set<string>();
    const alreadyIsolated = hidden.size === others.length && others.every((i) => hidden.has(i));
    set({ hiddenBy: { ...get().hiddenBy, [column]: alreadyIsolated ? new Set() : new Set(others) } });
  },
  setRange(column, range) {
    const ranges = { ...get().ranges };
    if (range) ranges[column] = range;
    else delete ranges[column];
    set({ ranges });
  },
  clearFilters() {
    set({ hiddenBy: {}, ranges: {} });
  },
  reset() {
    set({ drawer: null, tab: 'embedding', fitRequest: 0, columns: {}, hiddenBy: {}, ranges: {}, recentGenes: [], runReport: false });
  },
}));

/**
 * A column the worker recomputed (leiden after a re-run, edited labels, new predictions) has a new
 * summary entry: its cached values and filters go; unchanged columns keep theirs.
 */
useApp.subscribe((s, prev) => {
  if (!s.summary || !prev.summary || s.summary === prev.summary) return;
  const v = useView.getState();
  const same = (name: string) => JSON.stringify(s.summary!.obs[name] ?? null) === JSON.stringify(prev.summary!.obs[name] ?? null);
  const keep = <T,>(r: Record<string, T>) => Object.fromEntries(Object.entries(r).filter(([name]) => same(name)));
  useView.setState({ columns: keep(v.columns), hiddenBy: keep(v.hiddenBy), ranges: keep(v.ranges) });
});

/** A pipeline run recomputes leiden and the QC columns even when their sizes happen to match. */
export function forgetColumns(): void {
  useView.setState({ columns: {}, hiddenBy: {}, ranges: {} });
}

setOnDatasetOpened(() => useView.getState().reset());
