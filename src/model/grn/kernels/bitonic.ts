// A bitonic sort of P (a power of two) entries of a workgroup array, in WGSL: log2(P) stages of
// compare-exchange passes separated by barriers. `before(a, b)` must be a strict total order so
// the result does not depend on the schedule. The loop bounds are constants, so the barriers sit
// in uniform control flow.

export function nextPow2(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/** Threads per workgroup: half the padded length (one compare-exchange each per pass), 32..256. */
export const sortThreads = (p: number) => Math.max(32, Math.min(256, p / 2));

/** The sorts keep a row of M entries in workgroup memory: M up to 2048 (a panel of 2047 genes). */
export function checkSortLength(m: number): void {
  if (m > 2048) throw new RangeError(`the GPU ranking takes at most 2048 tokens (a panel of 2047 genes); got ${m}`);
}

/** WGSL statements sorting `arr` (array<u32, P>) ascending by `before`, with `wg` threads. */
export function bitonicSortWgsl(arr: string, p: number, wg: number, before: string): string {
  return /* wgsl */ `
        for (var k = 2u; k <= ${p}u; k = k << 1u) {
          for (var j = k >> 1u; j > 0u; j = j >> 1u) {
            for (var t = localId.x; t < ${p}u; t += ${wg}u) {
              let l = t ^ j;
              if (l > t) {
                let a = ${arr}[t];
                let c = ${arr}[l];
                if (${before}(c, a) == ((t & k) == 0u)) {
                  ${arr}[t] = c;
                  ${arr}[l] = a;
                }
              }
            }
            workgroupBarrier();
          }
        }`;
}
