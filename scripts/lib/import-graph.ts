// The relative-import graph of a source tree, read with TypeScript's own pre-processor (static, type-only, re-export
// and dynamic imports alike: a type-only cycle still ties two modules together). Used by the layering test.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';

/** Module (path relative to the root, `/`-separated) → the modules it imports; imports leaving the root are `../…`. */
export type ImportGraph = Map<string, Set<string>>;

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) out.push(...sourceFiles(path));
    else if (/\.(ts|mts)$/.test(entry) && !entry.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

/** `./x` → `x.ts` or `x/index.ts`, as the bundler resolution in tsconfig does; null when nothing is there. */
function resolveRelative(fromFile: string, specifier: string): string | null {
  const base = resolve(dirname(fromFile), specifier.replace(/\.(js|ts)$/, ''));
  for (const candidate of [`${base}.ts`, `${base}.mts`, join(base, 'index.ts')]) {
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  }
  return null;
}

const posix = (p: string) => p.split(sep).join('/');

/** Every `.ts` module under `root` with its relative imports; package imports (`node:fs`, `vitest`) are left out. */
export function importGraph(root: string): ImportGraph {
  const graph: ImportGraph = new Map();
  for (const file of sourceFiles(root)) {
    const edges = new Set<string>();
    const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    for (const { fileName } of info.importedFiles) {
      if (!fileName.startsWith('.')) continue;
      const target = resolveRelative(file, fileName);
      if (target === null) throw new Error(`${posix(relative(root, file))}: cannot resolve "${fileName}"`);
      edges.add(posix(relative(root, target)));
    }
    graph.set(posix(relative(root, file)), edges);
  }
  return graph;
}

/** The import cycles: strongly connected components of two or more modules, or a module importing itself. */
export function importCycles(graph: ImportGraph): string[][] {
  // Tarjan's algorithm, iterative so a deep graph cannot overflow the stack.
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  for (const start of graph.keys()) {
    if (index.has(start)) continue;
    const work: { node: string; next: Iterator<string> }[] = [];
    const enter = (node: string) => {
      index.set(node, counter);
      low.set(node, counter);
      counter++;
      stack.push(node);
      onStack.add(node);
      work.push({ node, next: (graph.get(node) ?? new Set<string>()).values() });
    };
    enter(start);
    while (work.length > 0) {
      const frame = work[work.length - 1] as (typeof work)[number];
      const step = frame.next.next();
      if (!step.done) {
        const to = step.value;
        if (!graph.has(to)) continue;
        if (!index.has(to)) enter(to);
        else if (onStack.has(to)) low.set(frame.node, Math.min(low.get(frame.node)!, index.get(to)!));
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low.set(parent.node, Math.min(low.get(parent.node)!, low.get(frame.node)!));
      if (low.get(frame.node) !== index.get(frame.node)) continue;
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop() as string;
        onStack.delete(member);
        component.push(member);
      } while (member !== frame.node);
      if (component.length > 1 || graph.get(frame.node)?.has(frame.node)) cycles.push(component.sort());
    }
  }
  return cycles.sort((a, b) => (a[0] as string).localeCompare(b[0] as string));
}

/** What a folder (or file) of the tree may import: `from` is a path prefix, `allowed` the prefixes it may reach. */
export interface LayerRule {
  from: string;
  allowed: readonly string[];
  why: string;
}

/** Every import that breaks a rule, as `from → to (why)`; a module matches the rule with the longest prefix. */
export function layerViolations(graph: ImportGraph, rules: readonly LayerRule[]): string[] {
  const out: string[] = [];
  for (const [from, edges] of graph) {
    const rule = rules.filter((r) => from.startsWith(r.from)).sort((a, b) => b.from.length - a.from.length)[0];
    if (!rule) continue;
    for (const to of edges) {
      if (!rule.allowed.some((prefix) => to.startsWith(prefix))) out.push(`${from} → ${to} (${rule.why})`);
    }
  }
  return out.sort();
}
