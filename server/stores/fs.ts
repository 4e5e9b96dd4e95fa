// Shares on the local filesystem: `<dir>/<id>.bin` and `<id>.json`. Bytes go to a temp file in the
// same directory, are fsynced and renamed into place, and only then is the metadata written (the
// same way), so a crash at any point leaves either a whole share or nothing that is served.
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { isShareId, newSecret } from '../ids.ts';
import type { ByteRange, ShareMeta, ShareStore } from '../store.ts';
import { isExpired } from '../store.ts';
import { parseMeta } from './meta.ts';

const TEMP_PREFIX = '.tmp-';

export class FsStore implements ShareStore {
  private ready: Promise<void>;

  constructor(readonly dir: string) {
    this.ready = mkdir(dir, { recursive: true }).then(() => undefined);
  }

  describe(): string {
    return `filesystem ${this.dir}`;
  }

  private path(id: string, ext: 'bin' | 'json'): string {
    // The routes check ids already; checking again here keeps the store safe on its own.
    if (!isShareId(id)) throw new Error(`not a share id: ${JSON.stringify(id)}`);
    return join(this.dir, `${id}.${ext}`);
  }

  async put(id: string, data: Readable, meta: () => ShareMeta): Promise<void> {
    await this.ready;
    const bin = this.path(id, 'bin');
    const tmp = join(this.dir, `${TEMP_PREFIX}${newSecret()}`);
    try {
      await pipeline(data, createWriteStream(tmp, { flags: 'wx' }));
      await fsyncFile(tmp);
      await rename(tmp, bin);
      await this.writeAtomic(this.path(id, 'json'), JSON.stringify(meta()));
      await fsyncFile(this.dir);
    } catch (err) {
      await rm(tmp, { force: true });
      await rm(bin, { force: true });
      throw err;
    }
  }

  private async writeAtomic(path: string, text: string): Promise<void> {
    const tmp = join(this.dir, `${TEMP_PREFIX}${newSecret()}`);
    try {
      const fh = await open(tmp, 'wx');
      try {
        await fh.writeFile(text);
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(tmp, path);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  }

  async head(id: string): Promise<ShareMeta | null> {
    await this.ready;
    let text: string;
    try {
      text = await readFile(this.path(id, 'json'), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
    return parseMeta(text, id);
  }

  async get(id: string, range?: ByteRange): Promise<Readable> {
    const path = this.path(id, 'bin');
    // Opened before returning, so a share deleted meanwhile fails here and not mid-response.
    const fh = await open(path, 'r');
    return createReadStream('', { fd: fh, start: range?.start, end: range?.end });
  }

  async delete(id: string): Promise<void> {
    // Metadata first: from then on the share is not served, whatever happens to the bytes.
    await rm(this.path(id, 'json'), { force: true });
    await rm(this.path(id, 'bin'), { force: true });
  }

  async sweep(now: Date): Promise<number> {
    await this.ready;
    let removed = 0;
    for (const name of await readdir(this.dir)) {
      if (!name.endsWith('.json')) continue;
      const id = name.slice(0, -5);
      if (!isShareId(id)) continue;
      const meta = await this.head(id).catch(() => null);
      if (meta && isExpired(meta, now)) {
        await this.delete(id);
        removed++;
      }
    }
    return removed;
  }

  async recover(): Promise<void> {
    await this.ready;
    const names = new Set(await readdir(this.dir));
    for (const name of names) {
      if (name.startsWith(TEMP_PREFIX)) await rm(join(this.dir, name), { force: true });
      // Bytes renamed into place whose metadata never followed: the upload never finished.
      else if (name.endsWith('.bin') && !names.has(`${name.slice(0, -4)}.json`)) {
        const full = join(this.dir, name);
        if ((await stat(full)).isFile()) await rm(full, { force: true });
      }
    }
  }
}

async function fsyncFile(path: string): Promise<void> {
  const fh = await open(path, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
