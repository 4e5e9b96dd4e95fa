// h5wasm in Node over a file that is not on disk (a share read over HTTP): the node build only
// reads real paths (NODERAWFS), so this runtime uses the ES build, whose virtual file system can
// mount a small read-only file system that answers HDF5's reads from the source's `readSync`.
import h5wasm from 'h5wasm';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { SourceFile } from '../source.ts';
import { resettable } from './recreate.ts';
import type { H5Runtime, ThrowingErrors } from './runtime.ts';
import { PLUGIN_FILTERS, undecodableFilters } from './runtime.ts';
import { watchFromEnvironment } from './node-watch.ts';
import { watchH5Module } from './watch.ts';

/** What the mounted file reads from: a LazyBlob (src/io/share/remote.ts) or anything alike. */
interface SyncReadable {
  size: number;
  readSync(start: number, end: number): Uint8Array;
}

interface FsNode {
  mode: number;
  size: number;
  timestamp: number;
  contents: SyncReadable | Record<string, FsNode>;
  node_ops: unknown;
  stream_ops: unknown;
  id: number;
}

interface EmscriptenFS {
  mkdir(path: string): void;
  mkdirTree(path: string): void;
  rmdir(path: string): void;
  mount(type: unknown, opts: unknown, mountpoint: string): void;
  unmount(mountpoint: string): void;
  writeFile(path: string, data: Uint8Array): void;
  createNode(parent: FsNode | null, name: string, mode: number, dev: number): FsNode;
  ErrnoError: new (errno: number) => Error;
}

interface H5Module {
  FS: EmscriptenFS;
  get_plugin_search_paths(): string[];
}

const DIR_MODE = 0o40555;
const FILE_MODE = 0o100444;
// Emscripten errno values
const ENOENT = 44;
const EPERM = 63;
const EROFS = 29;
const EINVAL = 28;

/** A read-only file system holding one file whose bytes come from `readSync`. */
function lazyFs(FS: EmscriptenFS) {
  const fs = {
    mount(mount: { opts: { name: string; source: SyncReadable } }): FsNode {
      const root = node(null, '/', DIR_MODE, {});
      node(root, mount.opts.name, FILE_MODE, mount.opts.source);
      return root;
    },
    node_ops: {
      getattr(n: FsNode) {
        const t = new Date(n.timestamp);
        return { dev: 1, ino: n.id, mode: n.mode, nlink: 1, uid: 0, gid: 0, rdev: 0, size: n.size, atime: t, mtime: t, ctime: t, blksize: 4096, blocks: Math.ceil(n.size / 4096) };
      },
      setattr() {},
      lookup() {
        throw new FS.ErrnoError(ENOENT);
      },
      mknod() {
        throw new FS.ErrnoError(EPERM);
      },
      rename() {
        throw new FS.ErrnoError(EPERM);
      },
      unlink() {
        throw new FS.ErrnoError(EPERM);
      },
      rmdir() {
        throw new FS.ErrnoError(EPERM);
      },
      readdir(n: FsNode) {
        return ['.', '..', ...Object.keys(n.contents)];
      },
      symlink() {
        throw new FS.ErrnoError(EPERM);
      },
    },
    stream_ops: {
      read(stream: { node: FsNode }, buffer: Uint8Array, offset: number, length: number, position: number): number {
        const n = stream.node;
        if (position >= n.size) return 0;
        const bytes = (n.contents as SyncReadable).readSync(position, Math.min(n.size, position + length));
        buffer.set(bytes, offset);
        return bytes.length;
      },
      write() {
        throw new FS.ErrnoError(EROFS);
      },
      llseek(stream: { node: FsNode; position: number }, offset: number, whence: number): number {
        const position = offset + (whence === 1 ? stream.position : whence === 2 ? stream.node.size : 0);
        if (position < 0) throw new FS.ErrnoError(EINVAL);
        return position;
      },
    },
  };
  function node(parent: FsNode | null, name: string, mode: number, contents: FsNode['contents']): FsNode {
    const n = FS.createNode(parent, name, mode, 0);
    n.mode = mode;
    n.node_ops = fs.node_ops;
    n.stream_ops = fs.stream_ops;
    n.timestamp = Date.now();
    n.contents = contents;
    n.size = mode === FILE_MODE ? (contents as SyncReadable).size : 4096;
    if (parent) (parent.contents as Record<string, FsNode>)[name] = n;
    return n;
  }
  return fs;
}

export const lazyNodeH5Runtime: () => Promise<H5Runtime> = resettable(create);

async function create(): Promise<H5Runtime> {
  const lib = h5wasm;
  const module = (await lib.ready) as unknown as H5Module & ThrowingErrors;
  module.activate_throwing_error_handler();
  const { FS } = module;
  const type = lazyFs(FS);
  const mounts = new Map<SourceFile, string>();
  // HDF5 sees a mount point; a stuck read is reported by the name the user gave.
  const names = new Map<string, string>();
  watchFromEnvironment();
  watchH5Module(module, (path) => names.get(path) ?? path);
  const installed = new Set<number>();
  let next = 0;
  return {
    lib,
    open(file) {
      const source = file.blob as unknown as Partial<SyncReadable>;
      if (typeof source.readSync !== 'function') throw new Error(`${file.name}: this runtime reads lazy sources (a share or URL); open files on disk with the node runtime`);
      const dir = `/lazy${next++}`;
      FS.mkdir(dir);
      FS.mount(type, { name: 'data.h5', source }, dir);
      mounts.set(file, dir);
      names.set(`${dir}/data.h5`, file.name);
      return new lib.File(`${dir}/data.h5`, 'r');
    },
    release(file) {
      const dir = mounts.get(file);
      if (!dir) return;
      FS.unmount(dir);
      FS.rmdir(dir);
      mounts.delete(file);
      names.delete(`${dir}/data.h5`);
    },
    async ensureFilters(ids) {
      const wanted = [...ids].filter((id) => PLUGIN_FILTERS.has(id) && !installed.has(id));
      if (wanted.length > 0) {
        const dir = module.get_plugin_search_paths()[0];
        FS.mkdirTree(dir);
        const plugins = join(dirname(createRequire(import.meta.url).resolve('h5wasm-plugins/package.json')), 'plugins');
        for (const id of wanted) {
          const name = PLUGIN_FILTERS.get(id)!;
          FS.writeFile(`${dir}/libH5Z${name}.so`, readFileSync(join(plugins, `libH5Z${name}.so`)));
          installed.add(id);
        }
      }
      return undecodableFilters(ids);
    },
  };
}
