// The AnnData checker's thread (anndata-checker.ts starts it): opens a staged upload with h5wasm and
// answers whether it is a snapshot, one file at a time. The check is TypeScript, loaded through tsx
// as the CLI and the analysis pool's workers are.
//
// Messages in: {id, path}. Out: {type: 'ready'} once loaded; {type: 'enter', object} and
// {type: 'exit'} around each HDF5 read call (so that the server can name where a stuck one
// stopped); {type: 'done', id}
// or {type: 'done', id, status, message} for a refusal (status 400) or a failure of ours (500).
import { parentPort } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
const { checkAnnData } = await import('./anndata-check.ts');
const { HttpError } = await import('./errors.ts');
const { setH5Watcher } = await import('../src/io/h5/watch.ts');

// Every read call is announced to the server's thread, which keeps the time: a call that never
// returns leaves this thread unable to say anything more. (The checker starts this thread without
// SCWEB_H5_WATCH_FD, so the CLI's supervisor does not watch it: the server stops it itself.)
setH5Watcher({
  enter: (_file, object) => parentPort.postMessage({ type: 'enter', object }),
  exit: () => parentPort.postMessage({ type: 'exit' }),
});

parentPort.on('message', async ({ id, path }) => {
  try {
    await checkAnnData(path);
    parentPort.postMessage({ type: 'done', id });
  } catch (err) {
    const status = err instanceof HttpError ? err.statusCode : 500;
    const message = err instanceof Error ? err.message : String(err);
    parentPort.postMessage({ type: 'done', id, status, message });
  }
});
parentPort.postMessage({ type: 'ready' });
