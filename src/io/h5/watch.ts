// Announces every read call into the HDF5 library to a watcher on another thread or process. A
// damaged file can make HDF5 itself loop forever (a zeroed record in a global heap collection:
// H5HG__cache_heap_deserialize never advances), and no JavaScript on this thread runs again until
// the call returns; only someone outside can notice and stop it. The watcher is told when a call
// starts (which file, which object) and when it ends, so "no return for N seconds" is visible from
// outside without a timer here.
//
// The wrap is on h5wasm's module object, which its high-level API calls through for every
// operation, so every reader of every file is covered without touching the readers.

export interface H5Watcher {
  /** A read call into HDF5 began (the outermost one on this thread). */
  enter(file: string, object: string): void;
  /** It returned or threw. */
  exit(): void;
}

let watcher: H5Watcher | null = null;

/** Sets (or, with null, clears) where this thread's HDF5 calls are announced. */
export function setH5Watcher(w: H5Watcher | null): void {
  watcher = w;
}

/**
 * h5wasm's entry points that read a file (by name, from its emscripten bindings). Writes are left
 * out: they only touch our own output, and a large compressed write may legitimately take long.
 */
const READ_CALLS = [
  'open',
  'get_keys',
  'get_keys_vector',
  'get_names',
  'get_types',
  'get_type',
  'get_symbolic_link',
  'get_external_link',
  'get_attribute_names',
  'get_attribute_metadata',
  'get_attribute_data',
  'get_dataset_metadata',
  'get_datatype_metadata',
  'get_dataset_filters',
  'get_dataset_data',
  'refresh_dataset',
  'reclaim_vlen_memory',
  'create_object_reference',
  'get_referenced_name',
  'get_region_metadata',
  'get_region_data',
] as const;

const WATCHED = Symbol.for('scweb.h5-watched');

/** The object a call is about: its first path argument, with the attribute when it names one. */
function objectOf(name: string, args: unknown[]): string {
  const strings = args.filter((a): a is string => typeof a === 'string');
  if (name === 'open') return '/';
  if (name.includes('attribute_data') || name.includes('attribute_metadata')) return strings.length > 1 ? `${strings[0]} (attribute ${strings[1]})` : (strings[0] ?? '/');
  return strings[0] ?? '/';
}

function baseName(path: string): string {
  return path.split('/').filter(Boolean).pop() ?? path;
}

/**
 * Wraps the read entry points of an h5wasm module (`await lib.ready`) once; later calls are no-ops.
 * `fileName` maps an HDF5 file id to the name the user knows, when the runtime knows it better
 * than the path HDF5 opened (a browser mount point).
 */
export function watchH5Module(module: object, fileName: (path: string) => string = baseName): void {
  const m = module as Record<string | symbol, unknown>;
  if (m[WATCHED]) return;
  m[WATCHED] = true;
  const files = new Map<bigint, string>();
  let depth = 0;
  for (const name of READ_CALLS) {
    const call = m[name];
    if (typeof call !== 'function') continue;
    m[name] = function watched(this: unknown, ...args: unknown[]) {
      const w = watcher;
      if (!w || depth > 0) {
        depth++;
        try {
          return remember(name, call.apply(this, args), args);
        } finally {
          depth--;
        }
      }
      const id = typeof args[0] === 'bigint' ? args[0] : null;
      const file = name === 'open' ? fileName(String(args[0])) : ((id !== null ? files.get(id) : undefined) ?? 'an HDF5 file');
      w.enter(file, objectOf(name, args));
      depth++;
      try {
        return remember(name, call.apply(this, args), args);
      } finally {
        depth--;
        w.exit();
      }
    };
  }
  function remember(name: string, result: unknown, args: unknown[]): unknown {
    if (name === 'open' && typeof result === 'bigint') files.set(result, fileName(String(args[0])));
    return result;
  }
  const close = m.close_file;
  if (typeof close === 'function') {
    m.close_file = function closeWatched(this: unknown, id: bigint) {
      files.delete(id);
      return close.call(this, id);
    };
  }
}
