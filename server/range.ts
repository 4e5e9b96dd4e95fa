// Range headers by RFC 9110 §14: what a request for a snapshot's bytes gets. The reader asks for
// one range at a time; anything else is answered so that a Range header never turns into more
// bytes than the request named (or, where it named nothing we honour, more than a cap).
import type { ByteRange } from './store.ts';

/**
 * What to answer:
 * - `full`: no Range header, or one we ignore (200 with the whole body);
 * - `range`: 206 with this one range (the first satisfiable one when several were asked for);
 * - `unsatisfiable`: 416 with `Content-Range: bytes *\/size` (syntactically valid, no range
 *   overlaps the body);
 * - `refused`: a Range we do not honour on a body larger than the cap: 416 rather than the
 *   whole body (RFC 9110 §14.2 lets a server reject an invalid ranges-specifier).
 */
export type RangeAnswer =
  | { kind: 'full' }
  | { kind: 'range'; range: ByteRange }
  | { kind: 'unsatisfiable' }
  | { kind: 'refused'; why: string };

/** One `range-spec`: `first-last`, `first-`, or the suffix `-length`; digits kept as text. */
type Spec = { first: string; last: string } | { suffix: string };

const SPEC = /^(?:(\d+)-(\d*)|-(\d+))$/;

/**
 * Parses `bytes=<range-set>` (unit case-insensitive). Empty list elements are skipped as RFC 9110
 * §5.6.1 asks of recipients, and whitespace around each element is allowed. null: not a valid
 * byte-ranges-specifier (other unit, no range, bad digits, last < first).
 */
export function parseRangeSpecs(header: string): Spec[] | null {
  const m = /^\s*bytes\s*=(.*)$/i.exec(header);
  if (!m) return null;
  const specs: Spec[] = [];
  for (const element of m[1].split(',')) {
    const text = element.trim();
    if (text === '') continue;
    const s = SPEC.exec(text);
    if (!s) return null;
    if (s[3] !== undefined) specs.push({ suffix: s[3] });
    else {
      if (s[2] !== '' && compareDigits(s[2], s[1]) < 0) return null;
      specs.push({ first: s[1], last: s[2] });
    }
  }
  return specs.length ? specs : null;
}

/**
 * The answer to `header` for a body of `size` bytes. `cap` bounds what an ignored Range may
 * turn into: up to it the whole body is sent (ignoring is what RFC 9110 allows), above it 416.
 * Satisfiable ranges are served as asked (the reader merges adjacent misses into one request and
 * checks it gets exactly that many bytes), so they are never capped: the response is what the
 * request named, and a plain GET gets the whole body anyway.
 */
export function answerRange(header: string | undefined, size: number, cap: number): RangeAnswer {
  if (header === undefined) return { kind: 'full' };
  const specs = parseRangeSpecs(header);
  if (!specs) {
    if (size <= cap) return { kind: 'full' };
    return { kind: 'refused', why: `the Range header is not a byte range this server reads (use "bytes=first-last", "bytes=first-" or "bytes=-length"); the snapshot is ${size} bytes` };
  }
  for (const spec of specs) {
    const range = satisfy(spec, size);
    if (range) return { kind: 'range', range };
  }
  return { kind: 'unsatisfiable' };
}

/** The bytes `spec` selects from a body of `size`, or null when it selects none. */
function satisfy(spec: Spec, size: number): ByteRange | null {
  if ('suffix' in spec) {
    // "-0" selects nothing; a suffix longer than the body selects all of it.
    const n = toPosition(spec.suffix);
    return n === 0 || size === 0 ? null : { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = toPosition(spec.first);
  if (start >= size) return null;
  const end = spec.last === '' ? size - 1 : Math.min(toPosition(spec.last), size - 1);
  return { start, end };
}

/** Decimal digits as a position; anything past 2^53 is "beyond any body" (Infinity). */
function toPosition(digits: string): number {
  const n = Number(digits);
  return Number.isSafeInteger(n) ? n : Infinity;
}

/** Compares two digit strings exactly, whatever their length (no floating-point rounding). */
function compareDigits(a: string, b: string): number {
  const x = a.replace(/^0+(?=\d)/, '');
  const y = b.replace(/^0+(?=\d)/, '');
  if (x.length !== y.length) return x.length - y.length;
  return x < y ? -1 : x > y ? 1 : 0;
}
