// Reading our .h5ad files with the real anndata: Debian's python3-anndata (0.8 on bookworm, the
// oldest anndata we promise to open in), not whatever `python3` is first on PATH.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const PYTHON = '/usr/bin/python3';

/** True when anndata can be imported; in CI (CI=true) its absence fails the run (`make pydeps`). */
export function hasPythonAnndata(): boolean {
  const ok = spawnSync(PYTHON, ['-c', 'import anndata, h5py'], { encoding: 'utf8' }).status === 0;
  if (!ok && process.env.CI) throw new Error(`${PYTHON} cannot import anndata: CI needs python3-anndata and python3-h5py (make pydeps)`);
  return ok;
}

export interface AnndataSummary {
  anndata: string;
  shape: [number, number];
  obs: Record<string, string>;
  var: Record<string, string>;
  obs_categoricals: Record<string, { ordered: boolean; categories: string[] }>;
  obsm: Record<string, number[]>;
  layers: string[];
  obsp: string[];
  uns: string[];
  colors: Record<string, string[]>;
  rank_genes_groups?: {
    params: Record<string, string | boolean>;
    keys: string[];
    groups: string[];
    n_genes: number;
    dtypes: Record<string, string>;
    top: Record<string, string[]>;
    scores_top: Record<string, number>;
  };
}

/** anndata.read_h5ad(path), summarised; throws with Python's error when anndata cannot open it. */
export function readWithAnndata(path: string): AnndataSummary {
  const r = spawnSync(PYTHON, [fileURLToPath(new URL('reference/anndata_summary.py', import.meta.url)), path], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`anndata cannot read ${path}:\n${r.stderr}`);
  return JSON.parse(r.stdout) as AnndataSummary;
}
