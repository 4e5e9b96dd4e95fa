// The browser side of the HDF5 watch (watch.ts): the page owns a SharedArrayBuffer with one slot
// per thread that reads files (the data worker, slot 0, and its pool workers); each thread writes
// its HDF5 read calls into its slot, and the page reads them (worker-client.ts). A call whose slot
// stays busy with the same sequence number for too long is stuck: the page replaces the worker.
// Needs cross-origin isolation (SharedArrayBuffer); without it there is no watch.
import type { H5Watcher } from './watch.ts';

export const WATCH_SLOTS = 33;
const SLOT_BYTES = 512;
/** Int32 header of a slot: busy flag, sequence number, text length. */
const HEADER_INTS = 3;
const TEXT_BYTES = SLOT_BYTES - HEADER_INTS * 4;

export function watchBuffer(): SharedArrayBuffer {
  return new SharedArrayBuffer(WATCH_SLOTS * SLOT_BYTES);
}

/** The writer for one slot, for `setH5Watcher` on the thread that owns it. */
export function sharedWatcher(buffer: SharedArrayBuffer, slot: number): H5Watcher {
  const header = new Int32Array(buffer, slot * SLOT_BYTES, HEADER_INTS);
  const text = new Uint8Array(buffer, slot * SLOT_BYTES + HEADER_INTS * 4, TEXT_BYTES);
  const encoder = new TextEncoder();
  return {
    enter(file, object) {
      // Written before the flag: a reader that sees busy also sees this call's text. (encodeInto
      // refuses shared memory, hence the copy.)
      const bytes = encoder.encode(`${file}\t${object}`).subarray(0, TEXT_BYTES);
      text.set(bytes);
      Atomics.store(header, 2, bytes.length);
      Atomics.add(header, 1, 1);
      Atomics.store(header, 0, 1);
    },
    exit() {
      Atomics.store(header, 0, 0);
    },
  };
}

export interface StuckCall {
  file: string;
  object: string;
  slot: number;
}

/** Reads the slots; remembers since when each busy call (by sequence number) has been seen. */
export class WatchReader {
  private readonly seen: { seq: number; since: number }[] = [];

  constructor(
    private readonly buffer: SharedArrayBuffer,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** The first call that has been busy for more than `ms`, or null. */
  stuck(ms: number): StuckCall | null {
    const t = this.now();
    for (let slot = 0; slot < WATCH_SLOTS; slot++) {
      const header = new Int32Array(this.buffer, slot * SLOT_BYTES, HEADER_INTS);
      if (Atomics.load(header, 0) !== 1) {
        delete this.seen[slot];
        continue;
      }
      const seq = Atomics.load(header, 1);
      const s = this.seen[slot];
      if (!s || s.seq !== seq) {
        this.seen[slot] = { seq, since: t };
        continue;
      }
      if (t - s.since > ms) {
        const len = Atomics.load(header, 2);
        // TextDecoder refuses views of shared memory: copy the bytes out first.
        const bytes = new Uint8Array(this.buffer, slot * SLOT_BYTES + HEADER_INTS * 4, Math.min(len, TEXT_BYTES)).slice();
        const [file, object] = new TextDecoder().decode(bytes).split('\t');
        return { file, object: object ?? '/', slot };
      }
    }
    return null;
  }
}
