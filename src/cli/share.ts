// `scweb share create|get|delete`: read-only share links from the command line, against a server
// running `scweb serve`. Encryption happens here; the key is printed in the link and nowhere else.
import { createReadStream, openAsBlob } from 'node:fs';
import { sha256OfBlob } from '../io/file-digest.ts';
import { mkdtemp, open, rename, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import pkg from '../../package.json' with { type: 'json' };
import { nodeH5Runtime } from '../io/h5/node-runtime.ts';
import { writeSnapshot } from '../io/h5ad/snapshot.ts';
import { openPaths } from '../io/node.ts';
import { loadEnsemblMap } from '../model/node-model.ts';
import { AnalysisSession } from '../workers/analysis-session.ts';
import { DatasetError } from '../io/errors.ts';
import { createShare, deleteShare, downloadShare } from '../io/share/client.ts';
import { parseShareLink } from '../io/share/link.ts';
import { parseArgs } from './args.ts';
import { UsageError } from './usage.ts';

export async function shareCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  switch (sub) {
    case 'create':
      return create(rest);
    case 'get':
      return get(rest);
    case 'delete':
      return remove(rest);
    default:
      throw new UsageError(sub ? `unknown share command "${sub}" (create, get or delete)` : 'share needs a command: create, get or delete');
  }
}

/** `30d`, `30` (days) or `12w`; the server applies its own maximum. */
export function parseExpiry(text: string): number {
  const m = /^(\d+)\s*([dw]?)$/i.exec(text.trim());
  if (!m || Number(m[1]) === 0) throw new UsageError(`--expires takes a number of days like 30d (or weeks like 4w), got "${text}"`);
  return Number(m[1]) * (m[2].toLowerCase() === 'w' ? 7 : 1);
}

const HDF5_SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

async function create(argv: string[]): Promise<number> {
  const isPublic = argv.includes('--public');
  const p = parseArgs(argv.filter((a) => a !== '--public'), ['server', 'expires', 'name', 'genes']);
  if (p.positionals.length !== 1) throw new UsageError('share create needs exactly one .h5ad file');
  const server = p.flags.get('server');
  if (!server) throw new UsageError('share create needs --server URL (where `scweb serve` runs)');
  const path = p.positionals[0];
  const info = await stat(path).catch(() => {
    throw new DatasetError('not-found', basename(path), `no such file (${path})`);
  });
  if (!info.isFile()) throw new DatasetError('unsupported-format', basename(path), 'is not a file; share one .h5ad file');
  // Refuse here what the server would refuse after the whole upload.
  const head = new Uint8Array(8);
  const fh = await open(path, 'r');
  await fh.read(head, 0, 8, 0).finally(() => fh.close());
  if (!HDF5_SIGNATURE.every((b, i) => head[i] === b)) {
    throw new DatasetError('not-hdf5', basename(path), 'is not an HDF5 file; a share is an .h5ad (save one from scWeb or with `scweb analyze --out`)');
  }
  const genes = p.flags.get('genes');
  if (genes !== undefined && !['hvg+markers', 'all', 'none'].includes(genes)) throw new UsageError(`--genes must be hvg+markers, all or none, got "${genes}"`);
  // With --genes, what goes up is a snapshot of the file (as the app shares), not the file itself.
  const upload = genes ? await snapshotFile(path, genes as 'hvg+markers' | 'all' | 'none', info.size) : { path, size: info.size };
  const made = await createShare(createReadStream(upload.path, { highWaterMark: 1 << 20 }), upload.size, {
    server,
    public: isPublic,
    expiresDays: p.flags.has('expires') ? parseExpiry(p.flags.get('expires')!) : undefined,
    name: p.flags.get('name') ?? basename(path),
  });
  console.log(JSON.stringify({ url: made.url, id: made.id, ownerToken: made.ownerToken, expiresAt: made.expiresAt, bytes: made.bytes }, null, 2));
  return 0;
}

/**
 * The snapshot the app would share: every obs column, the 2-D embeddings, the chosen genes
 * log-normalised by gene (HVGs from var/highly_variable and the file's stored markers for
 * hvg+markers), the file's saved workspace, written to a temporary .h5ad.
 */
async function snapshotFile(path: string, genes: 'hvg+markers' | 'all' | 'none', size: number): Promise<{ path: string; size: number }> {
  const ds = await openPaths([path]);
  try {
    const session = new AnalysisSession(ds, { ensemblMap: loadEnsemblMap, markerSets: async () => [] });
    const stored = await session.storedMarkers();
    const markers = stored ? [...new Set(stored.groups.flatMap((g) => g.geneIds ?? g.genes))] : [];
    const embeddings = ds.embeddings.filter((e) => e.shape[1] >= 2 && e.shape[1] <= 3).map((e) => e.key);
    const sha256 = await sha256OfBlob(await openAsBlob(path));
    const provenance = JSON.stringify({ source: { name: basename(path), size, sha256 }, app: 'scWeb', version: pkg.version, created: new Date().toISOString() });
    const content = await session.snapshotContent({ genes: genes === 'hvg+markers' ? { kind: genes, markers } : { kind: genes }, embeddings, session: ds.savedSession ?? undefined, provenance }, new AbortController().signal, () => {});
    const out = join(await mkdtemp(join(tmpdir(), 'scweb-share-')), basename(path).replace(/\.h5ad$/i, '') + '_shared.h5ad');
    const { lib } = await nodeH5Runtime();
    await writeSnapshot(lib, out, content);
    console.error(`scweb: snapshot of ${content.genes.ids.length.toLocaleString('en-US')} genes, ${Object.keys(content.obsm).join(', ') || 'no embeddings'}`);
    return { path: out, size: (await stat(out)).size };
  } finally {
    ds.close();
  }
}

async function get(argv: string[]): Promise<number> {
  const p = parseArgs(argv, ['out']);
  if (p.positionals.length !== 1) throw new UsageError('share get needs exactly one share link');
  const out = p.flags.get('out');
  if (!out) throw new UsageError('share get needs --out FILE.h5ad');
  const link = parseShareLink(p.positionals[0]);
  const { meta, bytes } = await downloadShare(link);
  // Written beside the target and renamed at the end: a failed check leaves no half file behind.
  const part = `${out}.part`;
  const fh = await open(part, 'w');
  let written = 0;
  try {
    for await (const piece of bytes) {
      await fh.write(piece);
      written += piece.length;
    }
    await fh.sync();
  } catch (err) {
    await fh.close();
    await rm(part, { force: true });
    throw err;
  }
  await fh.close();
  await rename(part, out);
  console.log(JSON.stringify({ out, bytes: written, encrypted: meta.encrypted, name: meta.name ?? null, expiresAt: meta.expiresAt }, null, 2));
  return 0;
}

async function remove(argv: string[]): Promise<number> {
  const p = parseArgs(argv, ['token']);
  if (p.positionals.length !== 1) throw new UsageError('share delete needs exactly one share link');
  const token = p.flags.get('token');
  if (!token) throw new UsageError('share delete needs --token T (the ownerToken printed by share create)');
  const link = parseShareLink(p.positionals[0]);
  await deleteShare(link, token);
  console.log(JSON.stringify({ deleted: link.id }));
  return 0;
}
