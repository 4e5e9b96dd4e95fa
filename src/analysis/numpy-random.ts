// numpy's legacy global generator (np.random.seed(int), RandomState): MT19937 seeded with
// init_genrand, and the draws its `permutation` / `choice(n, size, replace=False)` make (bounded
// integers by masked rejection of 32-bit outputs, a Fisher-Yates pass from the end). scanpy's
// score_genes samples its control genes through exactly these calls (pandas' Series.sample with no
// random_state uses np.random), so reproducing them gives scanpy's control genes bit for bit.

const N = 624;
const M = 397;

export class LegacyRandomState {
  private mt = new Uint32Array(N);
  private pos = N;

  constructor(seed: number) {
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new Error(`seed must be an integer in [0, 2^32 - 1], got ${seed}`);
    let s = seed >>> 0;
    for (let i = 0; i < N; i++) {
      this.mt[i] = s;
      s = (Math.imul(1812433253, (s ^ (s >>> 30)) >>> 0) + i + 1) >>> 0;
    }
  }

  nextUint32(): number {
    const mt = this.mt;
    if (this.pos >= N) {
      for (let k = 0; k < N; k++) {
        const y = (mt[k] & 0x80000000) | (mt[(k + 1) % N] & 0x7fffffff);
        mt[k] = mt[(k + M) % N] ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
      }
      this.pos = 0;
    }
    let y = mt[this.pos++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** numpy's random_interval: uniform integer in [0, max] by masked rejection (max < 2^32). */
  interval(max: number): number {
    if (max === 0) return 0;
    let mask = max;
    mask |= mask >>> 1;
    mask |= mask >>> 2;
    mask |= mask >>> 4;
    mask |= mask >>> 8;
    mask |= mask >>> 16;
    for (;;) {
      const v = (this.nextUint32() & mask) >>> 0;
      if (v <= max) return v;
    }
  }

  /** np.random.permutation(n). */
  permutation(n: number): Int32Array {
    const a = Int32Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = this.interval(i);
      const t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
    return a;
  }

  /** np.random.choice(n, size, replace=False) with no weights: the first `size` of a permutation. */
  choiceWithoutReplacement(n: number, size: number): Int32Array {
    if (size > n) throw new Error(`cannot take ${size} of ${n} without replacement`);
    return this.permutation(n).subarray(0, size);
  }
}
