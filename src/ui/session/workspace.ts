// The workspace as saved (in the browser, or in an .h5ad's uns/scweb_session): the analysis
// parameters and how the data were being looked at. Parsing is defensive: the JSON may come from
// any file, so only known fields of the right type survive, and names must exist in the dataset.
import { DEFAULT_PARAMS, type PipelineParams } from '../../analysis/pipeline.ts';
import type { DatasetSummary } from '../../io/summary.ts';

export const WORKSPACE_VERSION = 1;

export const TABS = ['embedding', 'plots', 'qc', 'networks'] as const;
export type Tab = (typeof TABS)[number];

export interface WorkspaceView {
  embedding: string | null;
  colorBy: string | null;
  /** Gene symbol or id coloured by (colorBy is then null). */
  gene: string | null;
  /** Hidden categories by column, by name (codes change when a file is re-encoded). */
  hidden: Record<string, string[]>;
  ranges: Record<string, [number, number]>;
  pointSize: number;
  opacity: number;
  showLabels: boolean;
  tab: Tab;
  recentGenes: string[];
  clip: [number, number];
  markersGroupBy: string | null;
  markersMethod: 'wilcoxon' | 't-test';
}

export interface Workspace {
  scweb: number;
  savedAt: string;
  file: { name: string; size: number | null };
  params: PipelineParams;
  view: WorkspaceView;
  /** Where user_label's edits started from (so suggestions keep naming its groups). */
  labelsFrom: string | null;
  /** The hand labels' colours (#rrggbb by label), so they look the same when the work comes back. */
  labelColors?: Record<string, string>;
}

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const num = (v: unknown, lo: number, hi: number, d: number) => (typeof v === 'number' && Number.isFinite(v) && v >= lo && v <= hi ? v : d);
const str = (v: unknown, max = 500) => (typeof v === 'string' && v.length <= max ? v : null);

/** Only parameters of the known sections and keys, with the defaults' types. */
function parseParams(v: unknown, obs: Record<string, unknown>): PipelineParams {
  const out = structuredClone(DEFAULT_PARAMS) as unknown as Record<string, unknown>;
  if (!isObj(v)) return out as unknown as PipelineParams;
  for (const [section, defaults] of Object.entries(out)) {
    const given = v[section];
    if (isObj(defaults) && isObj(given)) {
      for (const [key, d] of Object.entries(defaults)) {
        const g = given[key];
        // A list (the batch keys) holds names of obs columns the dataset has.
        if (Array.isArray(d)) {
          if (Array.isArray(g)) defaults[key] = g.filter((x): x is string => typeof x === 'string' && Object.hasOwn(obs, x)).slice(0, 20);
        } else if (typeof g === typeof d && (typeof g !== 'number' || Number.isFinite(g)) && (typeof g !== 'string' || g.length <= 100)) defaults[key] = g;
      }
    } else if (typeof defaults === typeof given && typeof given === 'string' && given.length <= 100) out[section] = given;
  }
  return out as unknown as PipelineParams;
}

/** Our UMAP of X_pca (of X_pca_harmony after an integrated run) is saved in files as scanpy's X_umap. */
function savedEmbedding(key: string | null, summary: DatasetSummary): string | null {
  if (key === null) return null;
  if (key in summary.obsm) return key;
  return (key === 'X_umap_pca' || key === 'X_umap_pca_harmony') && 'X_umap' in summary.obsm ? 'X_umap' : null;
}

/** Saved label colours kept to the labels the dataset has, each a #rrggbb. */
function labelColors(v: unknown, summary: DatasetSummary): Record<string, string> | undefined {
  const known = summary.obs.user_label?.categories;
  if (!isObj(v) || !known) return undefined;
  return Object.fromEntries(Object.entries(v).filter((e): e is [string, string] => Object.hasOwn(known, e[0]) && typeof e[1] === 'string' && /^#[0-9a-f]{6}$/i.test(e[1])));
}

/**
 * A workspace from JSON, kept to what the dataset has: columns, categories and embeddings that
 * do not exist are dropped (a saved file may have been edited since). null when it is not one.
 */
export function parseWorkspace(text: string, summary: DatasetSummary): Workspace | null {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return null;
  }
  if (!isObj(raw) || raw.scweb !== WORKSPACE_VERSION || !isObj(raw.view)) return null;
  const v = raw.view;
  const obs = summary.obs;
  const column = (name: unknown) => {
    const s = str(name);
    return s !== null && s in obs ? s : null;
  };
  const hidden: Record<string, string[]> = {};
  if (isObj(v.hidden)) {
    for (const [name, cats] of Object.entries(v.hidden)) {
      const known = obs[name]?.categories;
      if (known && Array.isArray(cats)) hidden[name] = cats.filter((c): c is string => typeof c === 'string' && c in known);
    }
  }
  const ranges: Record<string, [number, number]> = {};
  if (isObj(v.ranges)) {
    for (const [name, r] of Object.entries(v.ranges)) {
      if (obs[name]?.min !== undefined && Array.isArray(r) && r.length === 2 && r.every((x) => typeof x === 'number' && Number.isFinite(x))) ranges[name] = [Math.min(r[0], r[1]), Math.max(r[0], r[1])];
    }
  }
  const embedding = str(v.embedding);
  const tab = TABS.find((t) => t === v.tab) ?? 'embedding';
  const clip = Array.isArray(v.clip) && v.clip.length === 2 ? ([num(v.clip[0], 0, 100, 0), num(v.clip[1], 0, 100, 100)] as [number, number]) : ([0, 100] as [number, number]);
  const file = isObj(raw.file) ? raw.file : {};
  return {
    scweb: WORKSPACE_VERSION,
    savedAt: str(raw.savedAt, 64) ?? '',
    file: { name: str(file.name) ?? '', size: typeof file.size === 'number' ? file.size : null },
    params: parseParams(raw.params, summary.obs),
    view: {
      embedding: savedEmbedding(embedding, summary),
      colorBy: column(v.colorBy),
      gene: str(v.gene, 200),
      hidden,
      ranges,
      pointSize: num(v.pointSize, 0.3, 4, 1),
      opacity: num(v.opacity, 0.1, 1, 0.85),
      showLabels: typeof v.showLabels === 'boolean' ? v.showLabels : true,
      tab,
      recentGenes: Array.isArray(v.recentGenes) ? v.recentGenes.filter((g): g is string => typeof g === 'string' && g.length <= 200).slice(0, 8) : [],
      clip,
      markersGroupBy: v.markersGroupBy === 'selection' ? null : column(v.markersGroupBy),
      markersMethod: v.markersMethod === 't-test' ? 't-test' : 'wilcoxon',
    },
    labelsFrom: column(raw.labelsFrom),
    labelColors: labelColors(raw.labelColors, summary),
  };
}
