// The model registry (public/models.json) and hub references: which repository, revision and files
// make a model, and what its card says. Shared by the CLI and the worker, so no DOM and no Node.

export const DEFAULT_ENDPOINT = 'https://huggingface.co';

export interface RegistryFile {
  name: string;
  /** Exact size when the registry knows it. */
  size?: number;
  /** An estimate, for the button label, when the exact size is only known from the hub. */
  approxSize?: number;
}

export interface Architecture {
  layers: number;
  dModel: number;
  heads: number;
  dHid: number;
  vocab: number;
}

export interface RegistryEntry {
  name: string;
  title: string;
  repo: string;
  revision: string;
  files: RegistryFile[];
  licence: string;
  licenceSource?: string;
  architecture: Architecture;
  citation: string;
  description?: string;
}

export class HubError extends Error {}

/** A scGPT model-zoo folder: what a repository that is not in the registry is assumed to hold. */
const SCGPT_FILES: RegistryFile[] = [{ name: 'args.json' }, { name: 'vocab.json' }, { name: 'best_model.pt' }];

export function parseRegistry(json: unknown): RegistryEntry[] {
  const models = (json as { models?: unknown })?.models;
  if (!Array.isArray(models)) throw new HubError('models.json has no "models" list');
  return models.map((m, i) => {
    const e = m as RegistryEntry;
    if (typeof e.name !== 'string' || typeof e.repo !== 'string' || !/^[\w.-]+\/[\w.-]+$/.test(e.repo) || !Array.isArray(e.files)) {
      throw new HubError(`models.json entry ${i} needs a name, a repo "owner/name" and files`);
    }
    return { ...e, revision: e.revision || 'main' };
  });
}

export interface HubRef {
  repo: string;
  revision: string;
  files: RegistryFile[];
  entry?: RegistryEntry;
}

/** `hf:owner/name[@revision]`, or a registry name (`scgpt-human[@revision]`). Null when neither. */
export function parseModelSpec(spec: string, registry: RegistryEntry[]): HubRef | null {
  const hf = /^hf:([\w.-]+\/[\w.-]+)(?:@([\w./-]+))?$/.exec(spec);
  if (hf) {
    const entry = registry.find((e) => e.repo.toLowerCase() === hf[1].toLowerCase());
    return { repo: hf[1], revision: hf[2] ?? entry?.revision ?? 'main', files: entry?.files ?? SCGPT_FILES, entry };
  }
  const named = /^([\w.-]+)(?:@([\w./-]+))?$/.exec(spec);
  const entry = named && registry.find((e) => e.name === named[1]);
  if (!entry) return null;
  return { repo: entry.repo, revision: named![2] ?? entry.revision, files: entry.files, entry };
}

export function resolveUrl(endpoint: string, repo: string, revision: string, file: string): string {
  return `${endpoint.replace(/\/+$/, '')}/${repo}/resolve/${encodeURIComponent(revision)}/${file}`;
}

/** A folder name for a repository at a revision: no separators, stable across runs. */
export function cacheName(ref: { repo: string; revision: string }): string {
  return `${ref.repo.replace('/', '--')}@${ref.revision.replace(/[^\w.-]/g, '_')}`;
}

export function approxBytes(files: RegistryFile[]): number {
  return files.reduce((s, f) => s + (f.size ?? f.approxSize ?? 0), 0);
}

/** What a cached model keeps beside its bundle: where it came from and what was verified. */
export interface ModelCard {
  repo: string;
  revision: string;
  /** The commit the hub resolved the revision to (X-Repo-Commit), when it said. */
  commit?: string;
  endpoint: string;
  downloadedAt: string;
  files: { name: string; size: number; sha256: string | null }[];
  entry?: RegistryEntry;
  parameters: number;
  architecture: Architecture;
  bundleDtype: 'f32' | 'f16';
}

export const CARD_FILE = 'scweb-model.json';
