/**
 * No import cycles among our modules: a cycle makes load order decide what is initialised, and
 * says two modules are really one. Static imports, type-only ones included (a type cycle is still
 * two modules that cannot be read apart). Dynamic import() is how a rare path stays out of the
 * cold start, so it does not count.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SOURCES = ['shared', 'functions', 'infra', 'scripts', 'bench'];

/**
 * Known cycles another change removes; each entry says which. Delete the entry with the cycle:
 * the last test fails while an entry names a cycle that no longer exists.
 */
const KNOWN: readonly string[] = [];

function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

/** Each module's relative static imports, as repository paths. */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of SOURCES.flatMap(sourceFiles)) {
    const text = readFileSync(join(ROOT, file), 'utf8');
    // importedFiles lists static imports and re-exports; dynamic import() only with the third flag, left off.
    const { importedFiles } = ts.preProcessFile(text, true, false);
    graph.set(
      file,
      importedFiles
        .filter(({ fileName }) => fileName.startsWith('.'))
        .map(({ fileName }) => relative(ROOT, resolve(ROOT, dirname(file), fileName))),
    );
  }
  return graph;
}

/** Strongly connected components of more than one module (Tarjan), each as its sorted members. */
function cycles(graph: Map<string, string[]>): string[] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[] = [];
  const visit = (node: string): void => {
    index.set(node, counter);
    low.set(node, counter);
    counter += 1;
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!graph.has(next)) continue;
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node)!, index.get(next)!));
      }
    }
    if (low.get(node) === index.get(node)) {
      const component: string[] = [];
      let member: string | undefined;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      if (component.length > 1) found.push(component.sort().join(' ↔ '));
    }
  };
  for (const node of graph.keys()) if (!index.has(node)) visit(node);
  return found.sort();
}

const found = cycles(importGraph());

test('no module imports itself back through others', () => {
  expect(found.filter((cycle) => !KNOWN.includes(cycle))).toEqual([]);
});

test('the check sees a cycle when there is one', () => {
  // Prepare: a graph with a three-module cycle beside an acyclic branch.
  const graph = new Map([
    ['a.ts', ['b.ts']],
    ['b.ts', ['c.ts', 'd.ts']],
    ['c.ts', ['a.ts']],
    ['d.ts', []],
  ]);
  // Act, Assess
  expect(cycles(graph)).toEqual(['a.ts ↔ b.ts ↔ c.ts']);
});

test('every known cycle still exists (remove an entry with its cycle)', () => {
  expect(KNOWN.filter((cycle) => !found.includes(cycle))).toEqual([]);
});
