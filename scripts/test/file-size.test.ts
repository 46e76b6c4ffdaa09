// No source file over 500 lines: past that a module holds more than one idea, and reviews and merges suffer. Files
// still being split are listed with what splits them; an entry fails once its file fits, so the list only shrinks.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './helpers/driver-binary';

const LIMIT = 500;
const ROOTS = ['driver/src', 'hcloud-mock/src', 'extension/pkg', 'scripts'];
const SKIP_DIRS = new Set(['node_modules', '.shell', 'test', 'dist', 'dist-pkg']);
const SOURCE = /\.(ts|mts|mjs|js|vue)$/;

const PENDING = new Map<string, string>([
  ['driver/src/driver/hetzner-driver.ts', 'the driver class is being split into lifecycle modules (issue 16)'],
]);

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) {
      if (!SKIP_DIRS.has(entry)) out.push(...sourceFiles(path));
    } else if (SOURCE.test(entry) && !entry.endsWith('.d.ts')) {
      out.push(path);
    }
  }
  return out;
}

const lineCount = (path: string) => readFileSync(path, 'utf8').split('\n').length - 1;

describe('source file size', () => {
  const sizes = ROOTS.flatMap((root) => sourceFiles(join(repoRoot, root))).map(
    (path) => [relative(repoRoot, path).split('\\').join('/'), lineCount(path)] as const,
  );

  it(`finds the sources (${ROOTS.join(', ')})`, () => {
    expect(sizes.length).toBeGreaterThan(100);
  });

  it(`keeps every source file at ${LIMIT} lines or fewer`, () => {
    const over = sizes.filter(([path, n]) => n > LIMIT && !PENDING.has(path)).map(([path, n]) => `${path}: ${n}`);
    expect(over).toEqual([]);
  });

  it('lists only files that are still over the limit', () => {
    const fitting = [...PENDING.keys()].filter((path) => (sizes.find(([p]) => p === path)?.[1] ?? 0) <= LIMIT);
    expect(fitting, 'remove these from PENDING').toEqual([]);
  });
});
