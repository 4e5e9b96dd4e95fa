// What every Dataset keeps in memory beside its files: the obs columns and embeddings computed here
// (leiden, X_scGPT, ...), checked against the cell count and replacing any of the same name.
import { DatasetError } from './errors.ts';
import type { Column, DataFrame, Embedding, EmbeddingInfo } from './types.ts';

export class ComputedResults {
  private readonly embeddings = new Map<string, Embedding>();

  constructor(private readonly ds: { fileName: string; nObs: number; obs: DataFrame; embeddings: EmbeddingInfo[] }) {}

  /** A copy of a computed embedding, or null when `key` is read from the file. */
  embedding(key: string): Embedding | null {
    const e = this.embeddings.get(key);
    return e ? { ...e, data: e.data.slice() } : null;
  }

  addEmbedding(e: Embedding): void {
    const { ds } = this;
    if (e.shape[0] !== ds.nObs || e.data.length !== e.shape[0] * e.shape[1]) {
      throw new DatasetError('shape-mismatch', ds.fileName, `embedding "${e.key}" has ${e.shape[0]} rows but there are ${ds.nObs} cells`);
    }
    this.embeddings.set(e.key, e);
    const i = ds.embeddings.findIndex((x) => x.key === e.key);
    if (i >= 0) ds.embeddings.splice(i, 1);
    ds.embeddings.push({ key: e.key, shape: e.shape });
  }

  setColumn(c: Column): void {
    const { ds } = this;
    const length = c.kind === 'categorical' ? c.codes.length : c.values.length;
    if (length !== ds.nObs) throw new DatasetError('shape-mismatch', ds.fileName, `column "${c.name}" has ${length} values but there are ${ds.nObs} cells`);
    const i = ds.obs.columns.findIndex((x) => x.name === c.name);
    if (i >= 0) ds.obs.columns[i] = c;
    else ds.obs.columns.push(c);
  }
}
