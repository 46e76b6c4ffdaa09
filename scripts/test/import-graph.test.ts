// Layering, checked on the real import graph: data flows transport → driver → firewall → hcloud and imports point
// the same way (DESIGN.md). A lower layer that reaches up, or two modules importing each other, fails here.
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  type ImportGraph,
  importCycles,
  importGraph,
  importsOf,
  type LayerRule,
  layerViolations,
  tsFiles,
} from '../lib/import-graph';
import { repoRoot } from './helpers/driver-binary';

const driverSrc = join(repoRoot, 'driver', 'src');
const mockSrc = join(repoRoot, 'hcloud-mock', 'src');

const DRIVER_LAYERS: LayerRule[] = [
  { from: 'hcloud/', allowed: ['hcloud/'], why: 'the Hetzner client knows nothing of Rancher, the driver or logging' },
  {
    from: 'firewall/',
    allowed: ['firewall/', 'hcloud/index.ts', 'ip.ts', 'labels.ts', 'log.ts'],
    why: 'the firewall sits below the driver and reaches the client through its public entry',
  },
  { from: 'ip.ts', allowed: [], why: 'address parsing is a leaf' },
  { from: 'plugin/gob/', allowed: ['plugin/gob/'], why: 'the gob codec knows no driver and no cloud' },
  { from: 'ssh/', allowed: ['ssh/'], why: 'key generation is a leaf' },
  { from: 'log.ts', allowed: [], why: 'the logger is a leaf every layer may use' },
  { from: 'labels.ts', allowed: [], why: 'the label vocabulary is a leaf every layer may use' },
  { from: 'dispatch.ts', allowed: ['driver/interface.ts'], why: 'the method table knows only the Driver contract' },
  {
    from: 'driver/',
    allowed: ['driver/', 'firewall/', 'hcloud/', 'ssh/', 'ip.ts', 'labels.ts', 'log.ts', 'version.ts'],
    why: 'the driver knows no transport and no command line',
  },
];

const graph = (edges: Record<string, string[]>): ImportGraph =>
  new Map(Object.entries(edges).map(([from, to]) => [from, new Set(to)]));

describe('import graph check', () => {
  it('finds cycles of two modules, longer rings and self-imports, and nothing in a tree', () => {
    expect(importCycles(graph({ a: ['b'], b: ['a'], c: ['a'] }))).toEqual([['a', 'b']]);
    expect(importCycles(graph({ x: ['y'], y: ['z'], z: ['x'], s: ['s'] }))).toEqual([['s'], ['x', 'y', 'z']]);
    expect(importCycles(graph({ a: ['b', 'c'], b: ['c'], c: [] }))).toEqual([]);
  });

  it('reports an import a rule does not allow, by the most specific rule', () => {
    const g = graph({ 'hcloud/client.ts': ['driver/interface.ts'], 'plugin/gob/x.ts': ['plugin/wire.ts'] });
    expect(
      layerViolations(g, [
        { from: 'hcloud/', allowed: ['hcloud/'], why: 'leaf' },
        { from: 'plugin/', allowed: ['plugin/', 'driver/'], why: 'transport' },
        { from: 'plugin/gob/', allowed: ['plugin/gob/'], why: 'codec' },
      ]),
    ).toEqual(['hcloud/client.ts → driver/interface.ts (leaf)', 'plugin/gob/x.ts → plugin/wire.ts (codec)']);
  });
});

describe('driver/src', () => {
  const driver = importGraph(driverSrc);

  it('has no import cycles', () => {
    expect(importCycles(driver)).toEqual([]);
  });

  it('imports point down the layers: hcloud and firewall never import the driver or a transport', () => {
    expect(layerViolations(driver, DRIVER_LAYERS)).toEqual([]);
  });

  it('never links the mock API or anything else outside driver/src', () => {
    const outside = [...driver].flatMap(([from, to]) =>
      [...to].filter((t) => t.startsWith('../')).map((t) => `${from} → ${t}`),
    );
    expect(outside).toEqual([]);
  });
});

describe('hcloud-mock/src', () => {
  it('has no import cycles', () => {
    expect(importCycles(importGraph(mockSrc))).toEqual([]);
  });
});

describe('driver modules the UI extension bundles', () => {
  it('import nothing but each other: no Node module, no package (the extension runs in the browser)', () => {
    const extension = join(repoRoot, 'extension', 'pkg');
    const seen = new Set<string>();
    const queue = tsFiles(extension, new Set(['node_modules', '.shell']))
      .flatMap((file) => importsOf(file).files)
      .filter((target) => target.startsWith(`${driverSrc}/`));
    const outside: string[] = [];
    while (queue.length > 0) {
      const file = queue.pop() as string;
      if (seen.has(file)) continue;
      seen.add(file);
      const { files, packages } = importsOf(file);
      outside.push(...packages.map((p) => `${relative(repoRoot, file)} → ${p}`));
      queue.push(...files);
    }
    expect([...seen].map((f) => relative(driverSrc, f)).sort()).toContain('ip.ts');
    expect(outside).toEqual([]);
  });
});
