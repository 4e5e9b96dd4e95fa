// The rooms of the source tree and the one direction their imports run in:
// ui -> workers -> analysis -> model -> parallel -> io; server/ uses the rooms below it, and cli/
// (the entry point for Node) any other room, the share server included.
// Type-only and dynamic imports count: a circle of types is still a circle to read and to move.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(__dirname, '..');
const RANK: Record<string, number> = { io: 0, parallel: 1, model: 2, analysis: 3, workers: 4, ui: 5, server: 6, cli: 7 };

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return files(p);
    return /\.(ts|tsx|mjs)$/.test(name) && !name.endsWith('.d.ts') ? [p] : [];
  });
}

/** Relative imports of a file (static, re-exports, dynamic with a literal path, new URL(...) worker entries). */
function importsOf(file: string): string[] {
  const src = readFileSync(file, 'utf8');
  const out: string[] = [];
  const re = /(?:^|\n)\s*(?:import|export)\s[^'"`;]*?from\s*['"](\.[^'"]+)['"]|import\s*\(\s*['"](\.[^'"]+)['"]\s*\)|^\s*import\s*['"](\.[^'"]+)['"]|new URL\(\s*['"](\.[^'"]+)['"]/gm;
  for (const m of src.matchAll(re)) out.push(resolve(dirname(file), m[1] ?? m[2] ?? m[3] ?? m[4]));
  return out;
}

const roomOf = (file: string) => {
  const rel = relative(root, file).split('/');
  return rel[0] === 'src' ? rel[1] : rel[0];
};

const all = [...files(join(root, 'src')), ...files(join(root, 'server'))];
const graph = new Map(all.map((f) => [f, importsOf(f).filter((t) => t.startsWith(join(root, 'src')) || t.startsWith(join(root, 'server')))]));

describe('rooms', () => {
  it('every import runs down the rooms', () => {
    const wrong: string[] = [];
    for (const [from, targets] of graph) {
      const a = roomOf(from);
      for (const to of targets) {
        const b = roomOf(to);
        if (a === b) continue;
        const ok = RANK[a] !== undefined && RANK[b] !== undefined && RANK[a] > RANK[b];
        if (!ok) wrong.push(`${relative(root, from)} -> ${relative(root, to)}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('no file imports itself through others (no circle)', () => {
    // Tarjan's strongly connected components over the file graph.
    const index = new Map<string, number>();
    const low = new Map<string, number>();
    const stack: string[] = [];
    const on = new Set<string>();
    const circles: string[][] = [];
    let next = 0;
    const visit = (v: string) => {
      index.set(v, next);
      low.set(v, next++);
      stack.push(v);
      on.add(v);
      for (const w of graph.get(v) ?? []) {
        if (!graph.has(w)) continue;
        if (!index.has(w)) {
          visit(w);
          low.set(v, Math.min(low.get(v)!, low.get(w)!));
        } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
      if (low.get(v) === index.get(v)) {
        const scc: string[] = [];
        let w: string;
        do {
          w = stack.pop()!;
          on.delete(w);
          scc.push(relative(root, w));
        } while (w !== v);
        if (scc.length > 1) circles.push(scc.sort());
      }
    };
    for (const v of graph.keys()) if (!index.has(v)) visit(v);
    expect(circles).toEqual([]);
  });

  it('sees the imports it checks', () => {
    // Guards the parser: if it stopped finding imports, both checks above would pass vacuously.
    const knn = graph.get(join(root, 'src/analysis/knn.ts'))!;
    expect(knn).toContain(join(root, 'src/parallel/pool.ts'));
    expect(graph.get(join(root, 'src/workers/pool.worker.ts'))).toContain(join(root, 'src/analysis/pool-catalog.ts'));
  });
});
