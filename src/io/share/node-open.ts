// Opening a dataset by URL in Node (CLI, tests, bench): HDF5 reads it lazily over HTTP Range
// requests, decrypting an encrypted share chunk by chunk, without a local copy.
import type { OpenOptions } from '../open.ts';
import { openDataset } from '../open.ts';
import { lazyNodeH5Runtime } from '../h5/lazy-node-runtime.ts';
import type { Dataset } from '../types.ts';
import { nodeSyncRange } from './node-sync-http.ts';
import type { RemoteFile, RemoteOptions } from './remote.ts';
import { openRemote, remoteSource } from './remote.ts';

export async function openUrlNode(url: string, opts: OpenOptions & Pick<RemoteOptions, 'key' | 'blockSize'> & { name?: string } = {}): Promise<{ dataset: Dataset; remote: RemoteFile }> {
  const remote = await openRemote(url, { key: opts.key, blockSize: opts.blockSize, syncTransport: nodeSyncRange() });
  const name = opts.name ?? decodeURIComponent(new URL(url).pathname.split('/').pop() || 'remote.h5ad');
  const dataset = await openDataset([remoteSource(remote, name)], lazyNodeH5Runtime, opts);
  return { dataset, remote };
}
