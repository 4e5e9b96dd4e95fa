// Sharded embedding: which cells part i of n holds, what a shard's sidecar records, and the checks
// that a set of shards is one run's worth of rows (same input, model and parameters; every cell
// exactly once). Pure logic: the CLI reads and writes the files.

export const SHARD_FORMAT = 'scweb-embedding-shard';

export interface ShardSidecar {
  format: typeof SHARD_FORMAT;
  version: 1;
  part: number;
  parts: number;
  /** Cells [start, end) of the input, in input order. */
  start: number;
  end: number;
  n_obs: number;
  dim: number;
  /** The rows: float32 [end - start, dim], a file beside the sidecar. */
  npy: string;
  npy_sha256: string;
  n_empty: number;
  input: { name: string; bytes: number };
  /** `sha256` covers the files the loader read (listed), so a renamed copy of a model still agrees. */
  model: { id: string; description: string; sha256: string; files: string[] };
  params: { seed: number; max_length: number; gene_col: string; counts: string };
  encoder: string;
  scweb_version: string;
  seconds: number;
}

export class ShardError extends Error {}

/** "i/n" with 0 <= i < n. */
export function parsePart(text: string): { part: number; parts: number } {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const [part, parts] = m ? [Number(m[1]), Number(m[2])] : [NaN, NaN];
  if (!m || parts < 1 || part >= parts) throw new ShardError(`--part must be i/n with 0 <= i < n (e.g. 0/4 for the first of four parts), got "${text}"`);
  return { part, parts };
}

/** Part i of n over N cells: [floor(i*N/n), floor((i+1)*N/n)); parts differ in size by at most one cell. */
export function partRange(part: number, parts: number, nObs: number): { start: number; end: number } {
  // Exact in doubles while i*N < 2^53: any real N and n.
  return { start: Math.floor((part * nObs) / parts), end: Math.floor(((part + 1) * nObs) / parts) };
}

/** Fields that decide the numbers: two shards disagreeing on one of these cannot be merged. */
function identity(s: ShardSidecar): [string, string][] {
  return [
    ['input file', `${s.input.name} (${s.input.bytes} bytes)`],
    ['cell count', String(s.n_obs)],
    ['model', `${s.model.id} sha256 ${s.model.sha256}`],
    ['embedding size', String(s.dim)],
    ['seed', String(s.params.seed)],
    ['max_length', String(s.params.max_length)],
    ['gene column', s.params.gene_col],
    ['counts matrix', s.params.counts],
    ['scWeb version', s.scweb_version],
  ];
}

export function validateSidecar(s: unknown, name: string): ShardSidecar {
  const o = s as Partial<ShardSidecar> | null;
  if (!o || typeof o !== 'object' || o.format !== SHARD_FORMAT) throw new ShardError(`${name} is not an scWeb embedding shard sidecar (no "format": "${SHARD_FORMAT}"); pass the .json or .npy files written by \`scweb embed --part\``);
  if (o.version !== 1) throw new ShardError(`${name}: shard format version ${String(o.version)} is not one this scWeb reads (1); re-embed it with this version`);
  const ints = [o.part, o.parts, o.start, o.end, o.n_obs, o.dim];
  if (!ints.every((v) => Number.isInteger(v) && (v as number) >= 0) || !(o.start! <= o.end! && o.end! <= o.n_obs!) || !o.input || !o.model || !o.params || typeof o.npy !== 'string') {
    throw new ShardError(`${name}: the sidecar is damaged (missing or inconsistent fields); re-embed this part`);
  }
  return o as ShardSidecar;
}

export interface ShardSet<T> {
  /** The shards in cell order. */
  ordered: { name: string; sidecar: ShardSidecar; item: T }[];
  nObs: number;
  dim: number;
  /** Things worth telling the user that do not stop the merge (mixed encoders). */
  notes: string[];
}

/**
 * Checks that the shards agree on everything that decides the numbers and cover cells 0..N
 * exactly once; the errors name the shards involved and say which cells are missing or repeated.
 */
export function checkShardSet<T>(shards: { name: string; sidecar: ShardSidecar; item: T }[]): ShardSet<T> {
  if (shards.length === 0) throw new ShardError('merge needs at least one shard');
  const [first] = shards;
  const want = identity(first.sidecar);
  for (const s of shards.slice(1)) {
    const got = identity(s.sidecar);
    const diff = want.flatMap(([field, v], k) => (got[k][1] !== v ? [`${field}: ${first.name} has ${v}, ${s.name} has ${got[k][1]}`] : []));
    if (diff.length) throw new ShardError(`shards from different runs cannot be merged (${diff.join('; ')}); re-embed the odd ones with the same input, model and options`);
  }
  const ordered = [...shards].sort((a, b) => a.sidecar.start - b.sidecar.start || a.sidecar.end - b.sidecar.end || a.name.localeCompare(b.name));
  const nObs = first.sidecar.n_obs;
  const problems: string[] = [];
  let covered = 0;
  let coveredBy = '';
  for (const s of ordered) {
    const { start, end } = s.sidecar;
    if (start > covered) problems.push(`cells ${covered}..${start - 1} are in no shard (between ${coveredBy || 'the start'} and ${s.name}): a part is missing`);
    else if (start < covered) {
      const same = ordered.find((o) => o !== s && o.sidecar.start === start && o.sidecar.end === end);
      problems.push(same ? `${same.name} and ${s.name} both hold cells ${start}..${end - 1}: a part is given twice` : `${s.name} (cells ${start}..${end - 1}) overlaps ${coveredBy} (cells up to ${covered - 1})`);
    }
    if (end > covered) {
      covered = end;
      coveredBy = s.name;
    }
  }
  if (covered < nObs) problems.push(`cells ${covered}..${nObs - 1} are in no shard (after ${coveredBy}): a part is missing`);
  if (problems.length) throw new ShardError(`the shards do not cover the ${nObs} cells exactly once: ${problems.join('; ')}`);
  const encoders = [...new Set(shards.map((s) => s.sidecar.encoder))];
  const notes = encoders.length > 1 ? [`the shards ran on different encoders (${encoders.join(', ')}): rows agree to float tolerance, not bit for bit`] : [];
  return { ordered, nObs, dim: first.sidecar.dim, notes };
}
