// Which GEMM tile configuration an adapter runs fastest, found by a short timed trial on first use
// and remembered per adapter (vendor / architecture / device / description) and weight format: in
// the CLI a JSON file in the model cache ($SCWEB_CACHE/gemm-tiles.json, gemm-tiles-node.ts), in the
// browser the origin's private storage (OPFS, as the hub models), elsewhere for the process only.
// The choice never changes results (every configuration sums in the same order), only speed.
// Software adapters (SwiftShader and the like) skip the trial: compiling every candidate there
// takes seconds each, and the fixed SOFTWARE_TILES was measured (bench/RESULTS.md).
import * as tf from '@tensorflow/tfjs-core';
import { DEFAULT_TILES, TILE_CONFIGS, disposeGemmWeights, gemm, gemmWeights, type Arithmetic, type WeightFormat } from './gemm.ts';

export interface TileChoice {
  tiles: string;
  /** Best milliseconds per candidate in the trial (empty where no trial ran). */
  ms: Record<string, number>;
}

export interface TileStore {
  load(): Promise<Record<string, TileChoice>>;
  save(all: Record<string, TileChoice>): Promise<void>;
}

/** The fastest of TILE_CONFIGS on SwiftShader (bench/RESULTS.md, "GEMM kernels on SwiftShader"). */
export const SOFTWARE_TILES = '64x128x8/4x8';

export function memoryTileStore(): TileStore {
  let all: Record<string, TileChoice> = {};
  return {
    load: async () => ({ ...all }),
    save: async (a) => void (all = { ...a }),
  };
}

const FILE = 'gemm-tiles.json';

/** The origin's private storage (browser window or worker); null where there is none. */
export function opfsTileStore(): TileStore | null {
  const storage = (globalThis.navigator as { storage?: { getDirectory?: () => Promise<FileSystemDirectoryHandle> } } | undefined)?.storage;
  if (!storage?.getDirectory) return null;
  return {
    async load() {
      try {
        const file = await (await (await storage.getDirectory!()).getFileHandle(FILE)).getFile();
        return parseChoices(await file.text());
      } catch {
        return {};
      }
    },
    async save(all) {
      const handle = await (await storage.getDirectory!()).getFileHandle(FILE, { create: true });
      const w = await (handle as unknown as { createWritable(): Promise<{ write(s: string): Promise<void>; close(): Promise<void> }> }).createWritable();
      await w.write(JSON.stringify(all, null, 1));
      await w.close();
    },
  };
}

/** A stored file's choices; a damaged or foreign file counts as empty (the trial runs again and rewrites it). */
export function parseChoices(text: string): Record<string, TileChoice> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return {};
  }
  const out: Record<string, TileChoice> = {};
  if (!raw || typeof raw !== 'object') return out;
  for (const [key, v] of Object.entries(raw as Record<string, unknown>)) {
    const c = v as Partial<TileChoice> | null;
    if (c && typeof c.tiles === 'string' && c.tiles in TILE_CONFIGS) out[key] = { tiles: c.tiles, ms: typeof c.ms === 'object' && c.ms ? c.ms : {} };
  }
  return out;
}

let store: TileStore | null = null;

export function setTileStore(s: TileStore): void {
  store = s;
}

function currentStore(): TileStore {
  return (store ??= opfsTileStore() ?? memoryTileStore());
}

export function tileKey(adapter: string, format: WeightFormat, arithmetic: Arithmetic): string {
  return `${adapter} | weights ${format}, arithmetic ${arithmetic}`;
}

export interface TileTrial {
  adapter: string;
  software: boolean;
  format: WeightFormat;
  arithmetic: Arithmetic;
  /** The layer shape timed: the model's d_model x d_model. */
  n: number;
  k: number;
  /** Rows of X in the trial (default 2048). */
  rows?: number;
  candidates?: string[];
  /** Run the trial even on a software adapter (tests). */
  force?: boolean;
  store?: TileStore;
}

const inFlight = new Map<string, Promise<string>>();

/** The remembered tile configuration for this adapter and format, timing the candidates once if there is none. */
export function chooseTiles(t: TileTrial): Promise<string> {
  const key = tileKey(t.adapter, t.format, t.arithmetic);
  const s = t.store ?? currentStore();
  let p = inFlight.get(key);
  if (!p) {
    p = (async () => {
      const known = (await s.load())[key];
      if (known) return known.tiles;
      if (t.software && !t.force) return SOFTWARE_TILES;
      const choice = await timeCandidates(t);
      const all = await s.load();
      all[key] = choice;
      await s.save(all).catch(() => undefined); // unwritable storage: the trial runs again next session
      return choice.tiles;
    })();
    p.catch(() => inFlight.delete(key));
    inFlight.set(key, p);
  }
  return p;
}

/** Forgets the in-process memo (tests). */
export function resetTileMemo(): void {
  inFlight.clear();
}

async function finish(): Promise<void> {
  const be = tf.backend() as unknown as { commandEncoder: unknown; endComputePassEncoder(): void; submitQueue(): void; device: GPUDevice };
  if (be.commandEncoder) {
    be.endComputePassEncoder();
    be.submitQueue();
  }
  await be.device.queue.onSubmittedWorkDone();
}

async function timeCandidates(t: TileTrial): Promise<TileChoice> {
  const rows = t.rows ?? 2048;
  const candidates = t.candidates ?? Object.keys(TILE_CONFIGS);
  // Fixed pseudo-random operands (the values do not matter for timing, zeros might).
  const w = Float32Array.from({ length: t.n * t.k }, (_, i) => (((i * 2654435761) >>> 0) / 2 ** 32 - 0.5) * 0.1);
  const W = gemmWeights(w, new Float32Array(t.n), t.n, t.k, t.format);
  const x = tf.tidy(() => tf.randomUniform([rows, t.k], -1, 1, 'float32', 1)) as tf.Tensor2D;
  const ms: Record<string, number> = {};
  try {
    for (const tiles of candidates) {
      const run = async (times: number) => {
        const ys = Array.from({ length: times }, () => gemm(x, W, { tiles, arithmetic: t.arithmetic }));
        await finish();
        tf.dispose(ys);
      };
      await run(1); // compiles the pipeline
      let best = Infinity;
      for (let rep = 0; rep < 3; rep++) {
        const t0 = performance.now();
        await run(4);
        best = Math.min(best, (performance.now() - t0) / 4);
      }
      ms[tiles] = Math.round(best * 1000) / 1000;
    }
  } finally {
    x.dispose();
    disposeGemmWeights(W);
  }
  const tiles = candidates.reduce((a, b) => (ms[b] < ms[a] ? b : a), candidates[0] ?? DEFAULT_TILES);
  return { tiles, ms };
}
