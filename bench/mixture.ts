// A seeded 20-cluster Gaussian mixture (cluster centres ~N(0, 4^2), unit noise): point clouds with
// real neighbourhood structure for the neighbour and UMAP benchmarks.
import { mulberry32 } from '../src/model/random.ts';

export function gaussianMixture(n: number, dim: number, seed: number, clusters = 20): Float32Array {
  const r = mulberry32(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
  const centres = Array.from({ length: clusters }, () => Array.from({ length: dim }, () => gauss() * 4));
  const x = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    const c = centres[Math.floor(r() * clusters)];
    for (let t = 0; t < dim; t++) x[i * dim + t] = c[t] + gauss();
  }
  return x;
}
