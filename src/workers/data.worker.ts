// The data worker: opens files, answers requests for columns and embeddings, reports progress and
// honours cancel. A failed open leaves the current dataset untouched.
import { MAX_CATEGORIES_FOR_STRINGS, categoricalFromStrings } from '../io/columns.ts';
import { DatasetError, toErrorInfo } from '../io/errors.ts';
import { openDataset } from '../io/open.ts';
import { fromBlob } from '../io/source.ts';
import { summarize } from '../io/summary.ts';
import type { Dataset } from '../io/types.ts';
import { detectBackend } from '../model/backend.ts';
import { browserH5Runtime } from './h5-browser-runtime.ts';
import type { ColumnData, Request, Response } from './protocol.ts';

const scope = self as unknown as { postMessage(msg: Response, transfer?: Transferable[]): void; onmessage: ((e: MessageEvent<Request>) => void) | null };
let current: Dataset | null = null;
const running = new Map<number, AbortController>();

function post(msg: Response, transfer: Transferable[] = []): void {
  scope.postMessage(msg, transfer);
}

scope.onmessage = (e) => {
  const req = e.data;
  if (req.type === 'cancel') {
    running.get(req.id)?.abort();
    return;
  }
  handle(req).catch((err: unknown) => post({ type: 'error', id: req.id, error: toErrorInfo(err) }));
};

async function handle(req: Exclude<Request, { type: 'cancel' }>): Promise<void> {
  switch (req.type) {
    case 'backend':
      post({ type: 'backend', id: req.id, backend: await detectBackend() });
      return;
    case 'open':
      return open(req.id, req.files);
    case 'embedding': {
      const e = requireDataset().readEmbedding(req.key);
      post({ type: 'embedding', id: req.id, key: e.key, shape: e.shape, data: e.data }, [e.data.buffer]);
      return;
    }
    case 'column':
      return sendColumn(req.id, req.name);
    case 'use-counts': {
      const ds = requireDataset();
      ds.useCounts(req.key);
      post({ type: 'summary', id: req.id, summary: summarize(ds) });
      return;
    }
  }
}

async function open(id: number, files: File[]): Promise<void> {
  const controller = new AbortController();
  running.set(id, controller);
  const warnings: string[] = [];
  try {
    const ds = await openDataset(
      files.map((f) => fromBlob(f.name, f)),
      browserH5Runtime,
      {
        signal: controller.signal,
        onProgress: (fraction, message) => post({ type: 'progress', id, fraction, message }),
        onWarning: (m) => warnings.push(m),
      },
    );
    post({ type: 'progress', id, fraction: 0.9, message: 'summarising' });
    const summary = summarize(ds);
    if (controller.signal.aborted) {
      ds.close();
      throw new DatasetError('cancelled', ds.fileName, 'cancelled by the user');
    }
    current?.close();
    current = ds;
    post({ type: 'opened', id, summary, warnings });
  } finally {
    running.delete(id);
  }
}

function requireDataset(): Dataset {
  if (!current) throw new Error('no dataset is loaded');
  return current;
}

function sendColumn(id: number, name: string): void {
  const col = requireDataset().obs.columns.find((c) => c.name === name);
  if (!col) throw new Error(`no obs column "${name}"`);
  let column: ColumnData;
  if (col.kind === 'categorical') column = { kind: 'categorical', name, codes: col.codes.slice(), categories: col.categories };
  else if (col.kind === 'numeric') column = { kind: 'numeric', name, values: col.values.slice() };
  else if (new Set(col.values).size <= MAX_CATEGORIES_FOR_STRINGS) {
    const cat = categoricalFromStrings(name, col.values);
    column = { kind: 'categorical', name, codes: cat.codes, categories: cat.categories };
  } else column = { kind: 'string', name, values: col.values };
  const transfer = column.kind === 'categorical' ? [column.codes.buffer] : column.kind === 'numeric' ? [column.values.buffer] : [];
  post({ type: 'column', id, column }, transfer);
}
