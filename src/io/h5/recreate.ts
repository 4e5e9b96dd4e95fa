// A runtime getter that can start over: after a WebAssembly trap ("memory access out of bounds")
// the HDF5 module's heap may be inconsistent and every later file would fail, so `reset()` drops
// the runtime and the next call builds one on a fresh module instance.
import type { H5Lib, H5Runtime } from './runtime.ts';

/**
 * A new h5wasm instance (own heap, own file system) from the text of its self-contained IIFE
 * bundle (dist/iife/h5wasm.js). The ES build keeps its module in a private binding, so evaluating
 * the bundle again is the one way to get a second module in a browser worker.
 */
export function libFromIife(source: string): H5Lib {
  return new Function(`${source}\nreturn h5wasm;`)() as H5Lib;
}

export function resettable(create: (generation: number) => Promise<H5Runtime>): () => Promise<H5Runtime> {
  let current: Promise<H5Runtime> | null = null;
  let generation = 0;
  return () => {
    if (current) return current;
    const made: Promise<H5Runtime> = create(generation++).then((rt) => ({
      ...rt,
      reset() {
        if (current === made) current = null;
      },
    }));
    // A failed start is not cached: the next call tries again.
    made.catch(() => {
      if (current === made) current = null;
    });
    current = made;
    return made;
  };
}
