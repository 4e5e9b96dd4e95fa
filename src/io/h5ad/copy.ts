// Copies an HDF5 file's groups, datasets and attributes into a file being written, except the
// paths the caller is about to write itself: h5wasm cannot delete links, so "replace" means "write
// a fresh file without the old one". Big datasets go over in slices of rows (never whole);
// compressed datasets stay compressed (gzip). Types h5wasm cannot write directly (h5py bools,
// record arrays) go through TypeFixes.
import { walkTree } from '../h5/walk.ts';
import type { Attribute, Dataset as H5Dataset, Group as H5Group, Metadata } from 'h5wasm';
import type { TypeFixes } from './type-fixes.ts';

const INTEGER = 0;
const FLOAT = 1;
const STRING = 3;
const COMPOUND = 6;
const ENUM = 8;

/** Elements read and written at once when a dataset is streamed. */
const SLICE_ELEMENTS = 1 << 22;

export interface CopyReport {
  /** Objects left out because h5wasm cannot write their type, with the reason. */
  skipped: string[];
  /**
   * Largest uncompressed dataset to copy: what the input's bytes can hold at gzip's best ratio.
   * A 3 MB file can declare a 12 GB dataset of unwritten chunks; copying it would take hours.
   */
  maxBytes?: number;
}

function isBoolEnum(m: Metadata): boolean {
  const members = m.enum_type?.members ?? {};
  const names = Object.keys(members).sort();
  return names.length === 2 && names[0] === 'FALSE' && names[1] === 'TRUE' && members.FALSE === 0 && members.TRUE === 1;
}

/** numpy struct codes h5wasm understands for numbers: <i8, <f4, ... */
function numberDtype(m: Metadata): string {
  if (m.type === FLOAT) return `<${m.size === 4 ? 'f' : 'd'}`;
  const code = { 1: 'b', 2: 'h', 4: 'i', 8: 'q' }[m.size] ?? 'i';
  return `<${m.signed ? code : code.toUpperCase()}`;
}

/**
 * Copies `src`'s tree into `dst` through the bounded walk (src/io/h5/walk.ts): an object reached
 * again by another hard link is written as a hard link to its first copy (HDF5 keeps it one
 * object, as in the input); a link back to an ancestor (a cycle) and what lies past the walk's
 * limits are left out with a note, and the rest of the file is still copied.
 */
export function copyTree(src: H5Group, dst: H5Group, skip: (path: string) => boolean, fixes: TypeFixes, report: CopyReport = { skipped: [] }): CopyReport {
  copyAttributes(src, dst, fixes, report);
  // Paths are the same on both sides; a hard link may only point at what was really written.
  const written = new Set<string>();
  walkTree<H5Group>(src, dst, {
    object(node, name, path, parent) {
      if (node.type === 'Group') {
        const made = parent.create_group(name);
        copyAttributes(node as H5Group, made, fixes, report);
        written.add(path);
        return made;
      }
      if (copyDataset(node as H5Dataset, parent, name, fixes, report)) written.add(path);
      return null;
    },
    again(name, path, firstPath, cycle, parent) {
      if (cycle) report.skipped.push(`${path}: a hard link back to ${firstPath}, which contains it (a cycle)`);
      else if (written.has(firstPath)) parent.create_hard_link(firstPath, name);
      else report.skipped.push(`${path}: a hard link to ${firstPath}, which was not copied`);
    },
    unfollowed: (path, why) => report.skipped.push(`${path}: ${why}`),
    cut: (path, why) => report.skipped.push(`${path}: ${why}`),
  }, { skip });
  return report;
}

function copyAttributes(src: H5Group | H5Dataset, dst: H5Group | H5Dataset, fixes: TypeFixes, report: CopyReport): void {
  for (const [name, a] of Object.entries(src.attrs) as [string, Attribute][]) {
    const m = a.metadata;
    const shape = m.shape ?? [];
    if (m.type === STRING) {
      const v = a.value as string | string[];
      if (Array.isArray(v) && v.length === 0) dst.create_attribute(name, [], [0], '<S1');
      else dst.create_attribute(name, v, shape.length ? shape : null);
    } else if (m.type === INTEGER || m.type === FLOAT) {
      dst.create_attribute(name, a.value as number, shape.length ? shape : null, numberDtype(m));
    } else if (m.type === ENUM && isBoolEnum(m)) {
      const v = a.value as number | ArrayLike<number>;
      dst.create_attribute(name, typeof v === 'number' ? v : Int8Array.from(v), shape.length ? shape : null, '<b');
      fixes.boolAttribute(dst.path, name);
    } else report.skipped.push(`${src.path}@${name}: attribute type ${m.type} is not copied`);
  }
}

/** Returns whether the dataset was written. */
function copyDataset(src: H5Dataset, parent: H5Group, name: string, fixes: TypeFixes, report: CopyReport): boolean {
  const m = src.metadata;
  const shape = m.shape ?? [];
  const n = shape.reduce((a, b) => a * b, 1);
  const declared = n * (m.size ?? 1);
  if (report.maxBytes !== undefined && declared > report.maxBytes) {
    report.skipped.push(`${src.path}: declares ${(declared / 1e6).toLocaleString('en-US', { maximumFractionDigits: 0 })} MB uncompressed, more than the input file can hold (unwritten chunks?): not copied`);
    return false;
  }
  const compression = src.filters.some((f) => f.id !== 2 && f.id !== 3) ? 4 : 0;
  let made: H5Dataset;
  if (m.type === COMPOUND) {
    const members = m.compound_type?.members ?? [];
    const first = members[0];
    const uniform = first && shape.length === 1 && members.every((x) => x.type === first.type && x.size === first.size && x.signed === first.signed && x.vlen === first.vlen);
    if (!uniform || (first.type === STRING && !first.vlen) || (first.type !== STRING && first.type !== INTEGER && first.type !== FLOAT)) {
      report.skipped.push(`${src.path}: compound type with mixed fields is not copied`);
      return false;
    }
    // Rows of records -> a [n, fields] matrix, retyped to records afterwards.
    const rows = src.value as unknown[][];
    const flat = rows.flat();
    const data = first.type === STRING ? (flat as string[]) : first.type === FLOAT && first.size === 4 ? Float32Array.from(flat as number[]) : first.type === FLOAT ? Float64Array.from(flat as number[]) : Float64Array.from(flat as number[]);
    made = parent.create_dataset({ name, data, shape: [shape[0], members.length], dtype: first.type === INTEGER ? numberDtype(first) : undefined });
    fixes.recordArray(made.path, members.map((x) => x.name));
  } else if (m.type === STRING) {
    const v = src.value as string | string[];
    made = parent.create_dataset({ name, data: v, shape: shape.length ? shape : null, dtype: m.vlen ? undefined : `S${m.size}` });
  } else if (m.type === INTEGER || m.type === FLOAT || m.type === ENUM) {
    const bool = m.type === ENUM && isBoolEnum(m);
    if (m.type === ENUM && !bool) report.skipped.push(`${src.path}: enum written as its integer values`);
    made = copyNumbers(src, parent, name, shape, n, bool ? '<b' : numberDtype(m), compression);
    if (bool) fixes.boolDataset(made.path);
  } else {
    report.skipped.push(`${src.path}: HDF5 type class ${m.type} is not copied`);
    return false;
  }
  copyAttributes(src, made, fixes, report);
  return true;
}

function copyNumbers(src: H5Dataset, parent: H5Group, name: string, shape: number[], n: number, dtype: string, compression: number): H5Dataset {
  if (n <= SLICE_ELEMENTS || shape.length === 0) {
    const chunks = compression && shape.length ? (src.metadata.chunks ?? null) : null;
    return parent.create_dataset({ name, data: src.value as Float64Array, shape: shape.length ? shape : null, dtype, chunks, compression: chunks ? compression : undefined });
  }
  const rowSize = n / shape[0];
  const rows = Math.max(1, Math.floor(SLICE_ELEMENTS / rowSize));
  const chunks = src.metadata.chunks ?? [Math.min(shape[0], Math.max(1, Math.floor((1 << 20) / rowSize))), ...shape.slice(1)];
  const empty = src.slice([[0, 0]]) as Float64Array;
  const out = parent.create_dataset({ name, data: empty, shape: [0, ...shape.slice(1)], maxshape: [null, ...shape.slice(1)], chunks, dtype, compression: compression || undefined });
  out.resize(shape);
  for (let start = 0; start < shape[0]; start += rows) {
    const end = Math.min(shape[0], start + rows);
    out.write_slice([[start, end]], src.slice([[start, end]]));
  }
  return out;
}
