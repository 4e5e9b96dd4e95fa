// Watches an upload as it streams through: decides from its first bytes whether it is a plain
// snapshot (HDF5) or an encrypted one (our container), refuses anything else before it is stored,
// enforces the size limit mid-stream and hashes the bytes for the ETag. Nothing is held whole.
import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { HttpError } from './errors.ts';

const HDF5_SIGNATURE = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);
/** HDF5 puts its signature after a user block of 512, 1024, 2048... bytes; we look that far. */
const HDF5_OFFSETS = [0, 512, 1024, 2048];
const ENC_MAGIC = Buffer.from('SCWEBENC', 'latin1');
const ENC_VERSION = 0x01;
/** Header plus one chunk's nonce and tag: no real encrypted snapshot is smaller. */
export const MIN_ENCRYPTED_BYTES = 64;
const HEAD_BYTES = 2048 + HDF5_SIGNATURE.length;

export type SnapshotKind = 'plain' | 'encrypted';

export function sniff(head: Buffer): SnapshotKind | null {
  if (head.length >= ENC_MAGIC.length + 1 && head.subarray(0, ENC_MAGIC.length).equals(ENC_MAGIC)) {
    return head[ENC_MAGIC.length] === ENC_VERSION ? 'encrypted' : null;
  }
  for (const at of HDF5_OFFSETS) {
    if (head.length >= at + HDF5_SIGNATURE.length && head.subarray(at, at + HDF5_SIGNATURE.length).equals(HDF5_SIGNATURE)) return 'plain';
  }
  return null;
}

function refusal(head: Buffer): HttpError {
  if (head.length >= ENC_MAGIC.length + 1 && head.subarray(0, ENC_MAGIC.length).equals(ENC_MAGIC)) {
    return new HttpError(400, `unsupported encrypted snapshot version ${head[ENC_MAGIC.length]} (this server reads version ${ENC_VERSION})`);
  }
  return new HttpError(400, 'not a snapshot: the body is neither an HDF5 file (.h5ad) nor an scWeb encrypted container (SCWEBENC)');
}

export class UploadGuard extends Transform {
  bytes = 0;
  kind: SnapshotKind | null = null;
  /** Settles once the kind is known, or with the refusal. */
  readonly decided: Promise<SnapshotKind>;
  private head: Buffer[] = [];
  private headLength = 0;
  private hash = createHash('sha256');
  private sha256: string | undefined;
  private resolveKind!: (k: SnapshotKind) => void;
  private rejectKind!: (e: Error) => void;

  constructor(readonly maxBytes: number) {
    super();
    this.decided = new Promise((resolve, reject) => {
      this.resolveKind = resolve;
      this.rejectKind = reject;
    });
    // The caller may stop waiting on `decided` once it has the kind; later failures surface
    // through the stream itself.
    this.decided.catch(() => undefined);
    // A refusal can come before anyone reads this stream; it reaches the caller through
    // `decided` or through the pipeline that reads it, never as an unhandled 'error'.
    this.on('error', () => undefined);
  }

  /** SHA-256 of everything that passed, base64url; valid once the stream has ended. */
  digest(): string {
    this.sha256 ??= this.hash.digest('base64url');
    return this.sha256;
  }

  _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.maxBytes) return done(this.fail(new HttpError(413, `the snapshot is larger than this server's limit of ${this.maxBytes} bytes`)));
    this.hash.update(chunk);
    if (this.kind) return done(null, chunk);
    this.head.push(chunk);
    this.headLength += chunk.length;
    if (this.headLength < HEAD_BYTES) return done();
    this.decide(done);
  }

  _flush(done: TransformCallback): void {
    if (this.bytes === 0) return done(this.fail(new HttpError(400, 'the request body is empty: send the snapshot bytes')));
    if (!this.kind) {
      this.decide((err, data) => {
        if (err) return done(err);
        if (data) this.push(data);
        this.checkSize(done);
      });
      return;
    }
    this.checkSize(done);
  }

  private checkSize(done: TransformCallback): void {
    if (this.kind === 'encrypted' && this.bytes < MIN_ENCRYPTED_BYTES) {
      return done(this.fail(new HttpError(400, `an encrypted snapshot is at least ${MIN_ENCRYPTED_BYTES} bytes; this one is ${this.bytes}`)));
    }
    done();
  }

  private decide(done: TransformCallback): void {
    const head = Buffer.concat(this.head);
    this.head = [];
    const kind = sniff(head);
    if (!kind) return done(this.fail(refusal(head)));
    this.kind = kind;
    this.resolveKind(kind);
    done(null, head);
  }

  private fail(err: HttpError): HttpError {
    this.rejectKind(err);
    return err;
  }
}
