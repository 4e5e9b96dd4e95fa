// The app's workspace saved inside an .h5ad: one JSON string at uns/scweb_session (anndata reads
// it as a plain str in adata.uns). Read back bounded: it comes from a file, so it is untrusted and
// the page validates it before using any of it.
import type { H5Context } from '../h5/read.ts';
import { getNode, isDataset, readStrings, shapeOf } from '../h5/read.ts';

export const SESSION_KEY = 'scweb_session';

/** More than any workspace needs (parameters, view, a few hundred names). */
export const MAX_SESSION_CHARS = 1 << 20;

/** The saved workspace JSON, or null when absent, not a string scalar, or too long. */
export function readSavedSession(ctx: H5Context): string | null {
  const node = getNode(ctx, `uns/${SESSION_KEY}`);
  if (!node || !isDataset(ctx, node) || shapeOf(node).length !== 0) return null;
  try {
    const [text] = readStrings(ctx, node);
    return typeof text === 'string' && text.length <= MAX_SESSION_CHARS ? text : null;
  } catch {
    return null;
  }
}
