// A shard on disk: PART.npy (float32 rows) and PART.json (the sidecar) side by side. The .npy is
// renamed into place before the sidecar, so a sidecar always describes a complete .npy; merge
// checks the .npy's hash against it all the same (a copy gone wrong, a file from another run).
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { writeFileAtomically } from '../io/node-atomic.ts';
import { encodeNpy, parseNpy } from '../io/npy.ts';
import { ShardError, validateSidecar, type ShardSidecar } from '../model/shards.ts';

export function sidecarPath(npyPath: string): string {
  return npyPath.replace(/\.npy$/, '') + '.json';
}

export async function writeShard(npyPath: string, rows: Float32Array, sidecar: Omit<ShardSidecar, 'npy' | 'npy_sha256'>): Promise<void> {
  const bytes = encodeNpy(rows, [sidecar.end - sidecar.start, sidecar.dim]);
  const full: ShardSidecar = { ...sidecar, npy: basename(npyPath), npy_sha256: createHash('sha256').update(bytes).digest('hex') };
  await writeFileAtomically(npyPath, bytes);
  await writeFileAtomically(sidecarPath(npyPath), JSON.stringify(full, null, 1) + '\n');
}

export interface ShardFile {
  name: string;
  sidecar: ShardSidecar;
  /** Path of the rows (.npy). */
  npy: string;
}

/**
 * `path`: the shard's .json or .npy (the other is found beside it). Reads the sidecar only: merge
 * checks every sidecar before it reads any rows, and then reads them one shard at a time.
 */
export async function readShard(path: string): Promise<ShardFile> {
  const json = path.endsWith('.npy') ? sidecarPath(path) : path;
  const name = path;
  if (!existsSync(json)) {
    throw new ShardError(path.endsWith('.npy') ? `${path} has no sidecar ${basename(json)} beside it: the shard is incomplete (its job was killed?); re-run that part` : `${path}: no such shard file`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(json, 'utf8'));
  } catch {
    throw new ShardError(`${json} is not valid JSON: the sidecar is damaged; re-run that part`);
  }
  const sidecar = validateSidecar(parsed, json);
  const npy = join(dirname(json), sidecar.npy);
  if (!existsSync(npy)) throw new ShardError(`shard ${name}: its rows ${npy} are missing; re-run that part`);
  return { name, sidecar, npy };
}

/** The shard's rows, after checking they are the bytes its sidecar describes. */
export async function readShardRows(shard: ShardFile): Promise<Float32Array> {
  const { name, sidecar, npy } = shard;
  const bytes = await readFile(npy);
  if (createHash('sha256').update(bytes).digest('hex') !== sidecar.npy_sha256) throw new ShardError(`shard ${name}: ${npy} is not the file its sidecar describes (SHA-256 differs): damaged or from another run; re-run that part`);
  const arr = parseNpy(bytes);
  const rows = sidecar.end - sidecar.start;
  if (arr.dtype !== '<f4' || arr.shape.length !== 2 || arr.shape[0] !== rows || arr.shape[1] !== sidecar.dim) {
    throw new ShardError(`shard ${name}: ${npy} holds ${arr.dtype} [${arr.shape.join(', ')}], expected float32 [${rows}, ${sidecar.dim}]`);
  }
  return arr.data as Float32Array;
}
