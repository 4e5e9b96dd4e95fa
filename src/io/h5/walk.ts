// The one walk over an HDF5 tree, used by everything that visits a file's objects (the reader's
// filter census, the copy of an input into an output). A file from a stranger can hard-link a group
// into itself (uns/loop = uns), alias one object under many names, or nest thousands of groups:
// every object is known by its address in the file, so nothing is entered twice and a cycle is
// never followed; depth and object count are bounded, and what a limit cuts off is reported.
import type { Dataset as H5Dataset, Group as H5Group } from 'h5wasm';
import { linkOf } from './read.ts';

/** Deeper than any AnnData or 10x layout (uns dicts nest a few levels): a cycle or a bomb, not data. */
export const MAX_TREE_DEPTH = 32;
/** Objects one walk visits at most: an uns of thousands of small arrays is data, millions is not. */
export const MAX_TREE_OBJECTS = 200_000;

export interface WalkLimits {
  maxDepth: number;
  maxObjects: number;
}

export interface TreeVisitor<C> {
  /**
   * An object met for the first time, `parent` being what its parent group's visit returned. For a
   * group, returns what its children get, or null to leave it unentered.
   */
  object(node: H5Group | H5Dataset, name: string, path: string, parent: C): C | null;
  /** A hard link to an object met before under `firstPath`; `cycle`: that object is an ancestor. */
  again?(name: string, path: string, firstPath: string, cycle: boolean, parent: C): void;
  /** A soft or external link (never followed: it could reach another file or loop), or an object h5wasm cannot open. */
  unfollowed?(path: string, why: string): void;
  /** A subtree left out because a limit was reached. */
  cut?(path: string, why: string): void;
}

/** The object's address in its file (an HDF5 object reference holds exactly that). */
function addressOf(node: H5Group | H5Dataset): string {
  const ref = node.create_reference().ref_data;
  let s = '';
  for (const b of ref) s += b.toString(16).padStart(2, '0');
  return s;
}

function childPath(group: H5Group, name: string): string {
  return `${group.path === '/' ? '' : group.path}/${name}`;
}

/**
 * Visits `root`'s descendants depth first in key order (not `root` itself: its visit is
 * `rootContext`). `skip` leaves paths (relative, without the leading slash) out entirely.
 */
export function walkTree<C>(root: H5Group, rootContext: C, visitor: TreeVisitor<C>, opts: { skip?: (path: string) => boolean; limits?: Partial<WalkLimits> } = {}): void {
  const limits = { maxDepth: MAX_TREE_DEPTH, maxObjects: MAX_TREE_OBJECTS, ...opts.limits };
  const first = new Map<string, string>([[addressOf(root), root.path]]);
  const ancestors = new Set<string>([addressOf(root)]);
  let count = 0;
  let stopped = false;
  const visit = (group: H5Group, context: C, depth: number) => {
    for (const name of group.keys()) {
      const path = childPath(group, name);
      if (opts.skip?.(path.slice(1))) continue;
      if (++count > limits.maxObjects) {
        if (!stopped) visitor.cut?.(path, `more than ${limits.maxObjects.toLocaleString('en-US')} objects in the file: this one and the rest after it are left out`);
        stopped = true;
        return;
      }
      const link = linkOf(group, name);
      if (link) {
        visitor.unfollowed?.(path, `${link.kind} link to ${link.target} not followed`);
        continue;
      }
      const child = group.get(name) as H5Group | H5Dataset | null;
      if (!child || !('type' in child) || (child.type !== 'Group' && child.type !== 'Dataset')) {
        visitor.unfollowed?.(path, child && 'type' in child ? `${String(child.type)} objects are not visited` : 'an object h5wasm cannot open');
        continue;
      }
      const address = addressOf(child);
      const seen = first.get(address);
      if (seen !== undefined) {
        visitor.again?.(name, path, seen, ancestors.has(address), context);
        continue;
      }
      first.set(address, path);
      if (child.type === 'Group' && depth + 1 > limits.maxDepth) {
        visitor.cut?.(path, `nested deeper than ${limits.maxDepth} groups (a damaged file or a bomb, not AnnData): left out`);
        continue;
      }
      const inner = visitor.object(child, name, path, context);
      if (child.type === 'Group' && inner !== null) {
        ancestors.add(address);
        visit(child as H5Group, inner, depth + 1);
        ancestors.delete(address);
        if (stopped) return;
      }
    }
  };
  visit(root, rootContext, 0);
}

/**
 * Every filter id in use, so their decoders can be loaded before reading. Bounded tighter than a
 * copy: it runs on every open, and a file with more objects than this is not AnnData.
 */
export function collectFilterIds(root: H5Group, maxObjects = 20_000): Set<number> {
  const ids = new Set<number>();
  walkTree(root, true, {
    object(node) {
      if (node.type === 'Dataset') for (const f of (node as H5Dataset).filters) ids.add(f.id);
      return true;
    },
  }, { limits: { maxObjects } });
  return ids;
}
