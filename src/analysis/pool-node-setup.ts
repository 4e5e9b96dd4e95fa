// What a Node pool worker for the analysis needs: every task, and passes over cells that open the
// file themselves, by path (Node's HDF5 runtime always has one), or the files of a joined dataset,
// joined as the main thread joined them. The matrices are all they need, so obs and var columns
// stay unread.
import './pool-catalog.ts';
import { reopenSources } from '../io/open-many.ts';
import { nodeSource } from '../io/node.ts';
import { nodeH5Runtime } from '../io/h5/node-runtime.ts';
import { setDatasetOpener } from './cell-pass.ts';

setDatasetOpener(async (files, concat) => reopenSources(await Promise.all(files.map((f) => nodeSource(f.path!))), concat, nodeH5Runtime));
// HDF5's module (~0.1 s to start) loads as the worker starts, not when the first pass reaches it:
// a warmed pool (WorkerPool.warm) is then ready to read by the time an analysis asks.
void nodeH5Runtime().catch(() => undefined);
