// What a Node pool worker for the analysis needs: every task, and passes over cells that open the
// file themselves, by path (Node's HDF5 runtime always has one). The matrices are all they need,
// so obs and var columns stay unread.
import './pool-catalog.ts';
import { openDataset } from '../io/open.ts';
import { nodeSource } from '../io/node.ts';
import { nodeH5Runtime } from '../io/h5/node-runtime.ts';
import { setDatasetOpener } from './cell-pass.ts';

setDatasetOpener(async (files) => openDataset(await Promise.all(files.map((f) => nodeSource(f.path!))), nodeH5Runtime, { indexOnly: true }));
