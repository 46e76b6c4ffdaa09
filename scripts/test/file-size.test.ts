// No source file over 500 lines: past that a module holds more than one idea, and reviews and merges suffer. The pool
// form (machine-config/hetzner.vue) is held to 400 lines: its sections live in components/machine-config/.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './helpers/driver-binary';

const LIMIT = 500;
const ROOTS = ['driver/src', 'hcloud-mock/src', 'extension/pkg', 'scripts'];
const SKIP_DIRS = new Set(['node_modules', '.shell', 'test', 'dist', 'dist-pkg']);
const SOURCE = /\.(ts|mts|mjs|js|vue)$/;

const FORM = 'extension/pkg/hetzner-node-driver/machine-config/hetzner.vue';
const FORM_LIMIT = 400;

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
    const over = sizes.filter(([, n]) => n > LIMIT).map(([path, n]) => `${path}: ${n}`);
    expect(over).toEqual([]);
  });

  it(`keeps the pool form's own file at ${FORM_LIMIT} lines or fewer`, () => {
    const form = sizes.find(([path]) => path === FORM);
    expect(form, FORM).toBeDefined();
    expect(form?.[1]).toBeLessThanOrEqual(FORM_LIMIT);
  });
});
