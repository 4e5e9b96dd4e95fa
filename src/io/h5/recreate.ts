// A runtime getter that can start over: after a WebAssembly trap ("memory access out of bounds")
// the HDF5 module's heap may be inconsistent and every later file would fail, so `reset()` drops
// the runtime and the next call builds one on a fresh module instance.
import type { H5Runtime } from './runtime.ts';

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
