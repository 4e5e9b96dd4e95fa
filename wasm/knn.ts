// Neighbour search distances: the squared Euclidean distances of src/analysis/knn.ts (exact kNN)
// and nndescent.ts (NN-descent's local join), each summed over the dimensions in order in
// float64 from float32 coordinates, exactly as the JS loops sum them; the SIMD lanes hold
// different pairs of points, never different dimensions of one pair.

/** Sums over t of (q_t - r_t)^2 for rows r0 and r1 (float32) against q (a float64 row), one per lane. */
// @ts-ignore: decorator
@inline function twoRows(q: usize, r0: usize, r1: usize, d: i32): v128 {
  let acc = f64x2.splat(0);
  for (let t = 0; t < d; t++) {
    const o = <usize>t << 2;
    const r = f64x2.promote_low_f32x4(v128.load32_lane(r1 + o, v128.load32_zero(r0 + o), 1));
    const z = f64x2.sub(v128.load64_splat(q + (<usize>t << 3)), r);
    acc = f64x2.add(acc, f64x2.mul(z, z));
  }
  return acc;
}

/** JS's insertion of (s, j) into a sorted best-k list (distances f64, indices i32), nearest first. */
// @ts-ignore: decorator
@inline function insert(bestD: usize, bestI: usize, k: i32, s: f64, j: i32): void {
  if (s >= load<f64>(bestD + ((<usize>k - 1) << 3))) return;
  let p = k - 1;
  while (p > 0 && load<f64>(bestD + ((<usize>p - 1) << 3)) > s) {
    store<f64>(bestD + (<usize>p << 3), load<f64>(bestD + ((<usize>p - 1) << 3)));
    store<i32>(bestI + (<usize>p << 2), load<i32>(bestI + ((<usize>p - 1) << 2)));
    p--;
  }
  store<f64>(bestD + (<usize>p << 3), s);
  store<i32>(bestI + (<usize>p << 2), j);
}

/** Bytes of scratch knnRows needs for d dimensions and k neighbours. */
export function knnScratchBytes(d: i32, k: i32): i32 {
  return 4 * d * 8 + 4 * k * 8 + 4 * k * 4 + 64;
}

/**
 * Exact k nearest neighbours of query rows [from, to) of data ([n, d] float32) among all n rows:
 * knnRows of knn.ts (self first as distance -1, then by squared distance, ties to the lower row)
 * into outIdx (i32) and outDist (f32, Euclidean), rows from `from`. Four queries at a time share
 * each row pair's loads.
 */
export function knnRows(data: usize, n: i32, d: i32, k: i32, from: i32, to: i32, outIdx: usize, outDist: usize, scratch: usize): void {
  const qbuf = scratch; // 4 query rows in float64
  const bestD = qbuf + <usize>(4 * d * 8); // 4 lists of k f64
  const bestI = bestD + <usize>(4 * k * 8); // 4 lists of k i32
  const rowBytes = <usize>d << 2;
  for (let i0 = from; i0 < to; i0 += 4) {
    // Queries i0..i0+3 (the last block repeats its last row; those results are not kept).
    for (let qq = 0; qq < 4; qq++) {
      const i = min(i0 + qq, to - 1);
      const row = data + <usize>i * rowBytes;
      for (let t = 0; t < d; t++) store<f64>(qbuf + ((<usize>(qq * d + t)) << 3), <f64>load<f32>(row + (<usize>t << 2)));
      for (let t = 0; t < k; t++) {
        store<f64>(bestD + ((<usize>(qq * k + t)) << 3), Infinity);
        store<i32>(bestI + ((<usize>(qq * k + t)) << 2), -1);
      }
    }
    const q0 = qbuf;
    const q1 = qbuf + (<usize>d << 3);
    const q2 = q1 + (<usize>d << 3);
    const q3 = q2 + (<usize>d << 3);
    for (let j = 0; j < n; j += 2) {
      const r0 = data + <usize>j * rowBytes;
      // An odd last row pairs with itself; its second lane is dropped below.
      const r1 = j + 1 < n ? r0 + rowBytes : r0;
      let a0 = f64x2.splat(0);
      let a1 = f64x2.splat(0);
      let a2 = f64x2.splat(0);
      let a3 = f64x2.splat(0);
      for (let t = 0; t < d; t++) {
        const o = <usize>t << 2;
        const r = f64x2.promote_low_f32x4(v128.load32_lane(r1 + o, v128.load32_zero(r0 + o), 1));
        const o8 = <usize>t << 3;
        let z = f64x2.sub(v128.load64_splat(q0 + o8), r);
        a0 = f64x2.add(a0, f64x2.mul(z, z));
        z = f64x2.sub(v128.load64_splat(q1 + o8), r);
        a1 = f64x2.add(a1, f64x2.mul(z, z));
        z = f64x2.sub(v128.load64_splat(q2 + o8), r);
        a2 = f64x2.add(a2, f64x2.mul(z, z));
        z = f64x2.sub(v128.load64_splat(q3 + o8), r);
        a3 = f64x2.add(a3, f64x2.mul(z, z));
      }
      const two = j + 1 < n;
      for (let qq = 0; qq < 4; qq++) {
        const acc = qq == 0 ? a0 : qq == 1 ? a1 : qq == 2 ? a2 : a3;
        const i = i0 + qq;
        const bd = bestD + ((<usize>qq * k) << 3);
        const bi = bestI + ((<usize>qq * k) << 2);
        insert(bd, bi, k, j == i ? -1.0 : f64x2.extract_lane(acc, 0), j);
        if (two) insert(bd, bi, k, j + 1 == i ? -1.0 : f64x2.extract_lane(acc, 1), j + 1);
      }
    }
    for (let qq = 0; qq < 4 && i0 + qq < to; qq++) {
      const o = <usize>(i0 + qq - from) * <usize>k;
      for (let t = 0; t < k; t++) {
        const s = load<f64>(bestD + ((<usize>(qq * k + t)) << 3));
        store<i32>(outIdx + ((o + t) << 2), load<i32>(bestI + ((<usize>(qq * k + t)) << 2)));
        store<f32>(outDist + ((o + t) << 2), <f32>(s < 0 ? 0.0 : sqrt<f64>(s)));
      }
    }
  }
}

/**
 * NN-descent's local join for one point (joinBlock in nndescent.ts): its distinct new candidates
 * cand[0, nn) and old ones cand[nn, nn + no), with each candidate's current worst distance in
 * worst (f64, same order). Pairs (new, new after it) then (new, old), in the JS order; a pair whose
 * distance could enter either list is appended at `at` as (u i32, v i32, dd f64, mask u8) into the
 * four arrays. Returns the new count.
 */
export function joinPoint(data: usize, d: i32, cand: usize, worst: usize, nn: i32, no: i32, prow: usize, outU: usize, outV: usize, outD: usize, outM: usize, at: i32): i32 {
  const rowBytes = <usize>d << 2;
  const m = nn + no;
  for (let a = 0; a < nn; a++) {
    const p = load<i32>(cand + (<usize>a << 2));
    const wp = load<f64>(worst + (<usize>a << 3));
    const pr = data + <usize>p * rowBytes;
    for (let t = 0; t < d; t++) store<f64>(prow + (<usize>t << 3), <f64>load<f32>(pr + (<usize>t << 2)));
    for (let b = a + 1; b < m; b += 2) {
      const qa = load<i32>(cand + (<usize>b << 2));
      const two = b + 1 < m;
      const qb = two ? load<i32>(cand + ((<usize>b + 1) << 2)) : qa;
      const acc = twoRows(prow, data + <usize>qa * rowBytes, data + <usize>qb * rowBytes, d);
      for (let l = 0; l < 2; l++) {
        if (l == 1 && !two) break;
        const q = l == 0 ? qa : qb;
        if (q == p) continue;
        const x = l == 0 ? f64x2.extract_lane(acc, 0) : f64x2.extract_lane(acc, 1);
        const wq = load<f64>(worst + ((<usize>b + <usize>l) << 3));
        // push's own test, negated (NaN included).
        const bits = (x >= wp ? 0 : 1) | (x >= wq ? 0 : 2);
        if (bits) {
          store<i32>(outU + (<usize>at << 2), p);
          store<i32>(outV + (<usize>at << 2), q);
          store<f64>(outD + (<usize>at << 3), x);
          store<u8>(outM + <usize>at, <u8>bits);
          at++;
        }
      }
    }
  }
  return at;
}
