// CSV cells for every file we export. Text that a spreadsheet would run as a formula (a cell that
// starts with =, +, -, @, tab or CR) is prefixed with a single quote, as OWASP recommends against CSV
// injection: labels and gene names come from other people's files. Numbers are written as numbers.

const FORMULA_START = /^[=+\-@\t\r]/;

/** One text cell: neutralised if it could start a formula, quoted if it holds a separator. */
export function csvText(s: string): string {
  const safe = FORMULA_START.test(s) ? `'${s}` : s;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/**
 * The shortest decimal that reads back as the same float32: values computed in float32 (vote
 * shares, embeddings) otherwise print as 0.8999999761581421.
 */
export function float32Text(v: number): string {
  if (!Number.isFinite(v)) return '';
  const f = Math.fround(v);
  for (let p = 1; p < 9; p++) {
    const s = Number(f.toPrecision(p));
    if (Math.fround(s) === f) return String(s);
  }
  return String(f);
}

/** A numeric cell: empty for NaN/missing, shortest round-trip decimal otherwise. */
export function csvNumber(v: number, dtype = 'float64'): string {
  if (!Number.isFinite(v)) return Number.isNaN(v) ? '' : String(v);
  return dtype === 'float32' ? float32Text(v) : String(v);
}

/** A CSV document from a header and rows of already-formatted cells. */
export function csvLines(header: string[], rows: Iterable<string[]>): string {
  const lines = [header.map(csvText).join(',')];
  for (const r of rows) lines.push(r.join(','));
  return lines.join('\n') + '\n';
}
