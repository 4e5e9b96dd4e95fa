// Every module that defines pool tasks, for the pool workers to import: a worker knows a task only
// once the module defining it has run. Add a new pooled step's module here.
import '../model/encoder-cpu-pool.ts';
import './cell-pass.ts';
import './connectivities.ts';
import './expression.ts';
import './harmony-blocks.ts';
import './integration-metrics.ts';
import './knn.ts';
import './lanczos.ts';
import './leiden-pool.ts';
import './logreg-gradient.ts';
import './markers.ts';
import './nndescent.ts';
import './pca.ts';
import './pca-small.ts';
import './umap.ts';
