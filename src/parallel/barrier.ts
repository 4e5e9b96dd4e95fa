// Workers of one dispatch meeting between the phases of a computation without a round trip to the
// thread that dispatched them: arrivals counted on a shared Int32Array (Atomics). Each worker must
// hold one block of the dispatch (as many blocks as workers), or the barrier never fills. A worker
// that fails marks the array so the others stop waiting and return.

/** Slots of the barrier's array: arrivals, generation, failed. */
const COUNT = 0;
const GEN = 1;
const FAILED = 2;
/** Length of the Int32Array a barrier needs (shared memory, zero-filled). */
export const BARRIER_INTS = 4;
/** Spins on the barrier before sleeping on it (a phase's imbalance is mostly microseconds). */
const BARRIER_SPINS = 2_000;

/** A barrier for `n` workers over sync; it returns false when a worker failed (the others stop). */
export function barrier(sync: Int32Array, n: number): () => boolean {
  if (n === 1) return () => Atomics.load(sync, FAILED) === 0;
  return () => {
    const gen = Atomics.load(sync, GEN);
    if (Atomics.add(sync, COUNT, 1) === n - 1) {
      Atomics.store(sync, COUNT, 0);
      Atomics.add(sync, GEN, 1);
      Atomics.notify(sync, GEN);
    } else {
      for (let spin = 0; Atomics.load(sync, GEN) === gen; spin++) {
        if (Atomics.load(sync, FAILED)) return false;
        if (spin > BARRIER_SPINS) Atomics.wait(sync, GEN, gen, 50);
      }
    }
    return Atomics.load(sync, FAILED) === 0;
  };
}

/** Marks the barrier failed and wakes the workers waiting on it (call where a worker throws). */
export function failBarrier(sync: Int32Array): void {
  Atomics.store(sync, FAILED, 1);
  Atomics.notify(sync, GEN);
}
