// SHA-256 of a file read as a stream (constant memory), for the provenance a shared snapshot
// records: which exact input it came from. @noble/hashes is audited; WebCrypto has no streaming digest.
import { sha256 } from '@noble/hashes/sha2';
import { bytesToHex } from '@noble/hashes/utils';
import { CancelledError } from './errors.ts';

export async function sha256OfBlob(blob: Blob, onProgress?: (done: number, total: number) => void, signal?: AbortSignal): Promise<string> {
  const h = sha256.create();
  const reader = (blob.stream() as ReadableStream<Uint8Array>).getReader();
  let done = 0;
  let last = 0;
  for (;;) {
    const r = await reader.read();
    if (r.done) break;
    if (signal?.aborted) {
      await reader.cancel();
      throw new CancelledError('hashing');
    }
    h.update(r.value);
    done += r.value.length;
    // About once a second's worth of work at typical speeds, not per chunk.
    if (done - last > 64 << 20) {
      last = done;
      onProgress?.(done, blob.size);
    }
  }
  return bytesToHex(h.digest());
}
