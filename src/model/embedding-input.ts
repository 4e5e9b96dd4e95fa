// Which matrix scGPT embeds. Its binning ranks each cell's non-zero values, so log-normalised (or
// any other monotone, zero-preserving) values give the same bins as the counts they came from,
// ties aside: any non-negative matrix will do, integer counts stay first choice. Scaled values
// (centred, negative) have lost the zeros and the order within a cell, and are refused.
import { DatasetError } from '../io/errors.ts';
import { expressionInput } from '../io/expression-input.ts';
import type { Dataset } from '../io/types.ts';

export interface EmbeddingInput {
  key: string;
  kind: 'counts' | 'non-negative';
  /** What was used and why, for the log and the panel. */
  note: string;
}

function refuseSigned(ds: Pick<Dataset, 'fileName'>, key: string, detail: string): DatasetError {
  return new DatasetError(
    'bad-counts',
    ds.fileName,
    `scGPT cannot embed ${key}: it holds negative values (${detail}: scaled data?), and scGPT's binning needs non-negative expression. Use layers/counts or raw/X (counts, or log-normalised values) if the file has them`,
  );
}

export function embeddingInput(ds: Pick<Dataset, 'fileName' | 'countsKey' | 'countsReason' | 'matrices'>, matrixKey?: string): EmbeddingInput {
  if (matrixKey) {
    const m = ds.matrices.find((x) => x.key === matrixKey);
    if (!m) throw new DatasetError('unknown-key', ds.fileName, `no matrix "${matrixKey}" (have: ${ds.matrices.map((x) => x.key).join(', ')})`);
    if (m.content === 'signed') throw refuseSigned(ds, matrixKey, 'seen in its first rows');
    return m.content === 'counts' ? { key: matrixKey, kind: 'counts', note: `${matrixKey} (integer counts)` } : { key: matrixKey, kind: 'non-negative', note: `${matrixKey} (non-negative, not integers)` };
  }
  if (ds.countsKey) {
    const integer = ds.matrices.find((x) => x.key === ds.countsKey)?.content === 'counts';
    return { key: ds.countsKey, kind: integer ? 'counts' : 'non-negative', note: integer ? `${ds.countsKey} (integer counts)` : `${ds.countsKey} (non-negative, not integers, as chosen)` };
  }
  const input = expressionInput(ds);
  if (input?.kind === 'log') {
    return {
      key: input.key,
      kind: 'non-negative',
      note: `${input.key} (non-negative, not integers: log-normalised?). The file has no integer counts; scGPT's binning ranks each cell's values, so these give the bins counts would, ties aside`,
    };
  }
  if (input?.kind === 'scaled') throw refuseSigned(ds, input.key, 'and the file has no counts or log-normalised matrix');
  throw new DatasetError('missing-matrix', ds.fileName, `scGPT needs an expression matrix with non-negative values, and none was found (${ds.countsReason})`);
}

/** The first negative value of a chunk: the judged sample covers the first rows only. */
export function checkNonNegative(ds: Pick<Dataset, 'fileName'>, key: string, data: ArrayLike<number>, firstRow: number, indptr: ArrayLike<number>): void {
  for (let i = 0; i < data.length; i++) {
    if (data[i] < 0) {
      let r = 0;
      while (indptr[r + 1] <= i) r++;
      throw refuseSigned(ds, key, `${data[i]} at cell ${firstRow + r}`);
    }
  }
}
