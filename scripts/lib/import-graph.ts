// The relative-import graph of a source tree, read with TypeScript's own pre-processor (static, type-only, re-export
// and dynamic imports alike: a type-only cycle still ties two modules together). Used by the layering test.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';

/** Module (path relative to the root, `/`-separated) → the modules it imports; imports leaving the root are `../…`. */
export type ImportGraph = Map<string, Set<string>>;

function sourceFiles(dir: string, skip: ReadonlySet<string> = new Set()): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) {
      if (!skip.has(entry)) out.push(...sourceFiles(path, skip));
    } else if (/\.(ts|mts)$/.test(entry) && !entry.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

/** `./x` → `x.ts` or `x/index.ts` (a file named with its extension as written), as bundlers resolve; else null. */
function resolveRelative(fromFile: string, specifier: string): string | null {
  const exact = resolve(dirname(fromFile), specifier);
  if (existsSync(exact) && statSync(exact).isFile()) return exact;
  const base = resolve(dirname(fromFile), specifier.replace(/\.(js|ts)$/, ''));
  for (const candidate of [`${base}.ts`, `${base}.mts`, join(base, 'index.ts')]) {
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  }
  return null;
}

const posix = (p: string) => p.split(sep).join('/');

/** One file's imports: relative ones resolved to absolute paths, and the bare ones (`node:fs`, `vue`) as written. */
export function importsOf(file: string): { files: string[]; packages: string[] } {
  const files: string[] = [];
  const packages: string[] = [];
  for (const { fileName } of ts.preProcessFile(readFileSync(file, 'utf8'), true, true).importedFiles) {
    if (!fileName.startsWith('.')) {
      packages.push(fileName);
      continue;
    }
    const target = resolveRelative(file, fileName);
    if (target === null) throw new Error(`${file}: cannot resolve "${fileName}"`);
    files.push(target);
  }
  return { files, packages };
}

/** Every `.ts` file under `dir` (declaration files and the folders in `skip` left out), as absolute paths. */
export function tsFiles(dir: string, skip: ReadonlySet<string> = new Set()): string[] {
  return sourceFiles(dir, skip);
}

/** Every `.ts` module under `root` with its relative imports; package imports (`node:fs`, `vitest`) are left out. */
export function importGraph(root: string): ImportGraph {
  const graph: ImportGraph = new Map();
  for (const file of sourceFiles(root)) {
    const edges = new Set(importsOf(file).files.map((target) => posix(relative(root, target))));
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
