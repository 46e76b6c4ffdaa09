#!/usr/bin/env node
// `pnpm test`: lint, type-check, then every test suite (driver, mock, scripts; the extension's own when present).
// Extra arguments go to vitest, e.g. `pnpm test driver/test/gob` to run a subset.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const bin = (name) => join(root, 'node_modules', '.bin', name);

function step(title, cmd, cmdArgs, options = {}) {
  const started = Date.now();
  console.log(`\n▶ ${title}`);
  const r = spawnSync(cmd, cmdArgs, { stdio: 'inherit', cwd: root, ...options });
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  if (r.status !== 0) {
    console.error(`✗ ${title} failed (exit ${r.status ?? r.signal}) after ${secs}s`);
    process.exit(r.status || 1);
  }
  console.log(`✓ ${title} (${secs}s)`);
}

if (args.length === 0) {
  step('lint and format (biome)', bin('biome'), ['check', '.']);
  step('type-check (tsc)', bin('tsc'), ['-p', 'tsconfig.json', '--noEmit']);
}
step('tests (vitest)', bin('vitest'), ['run', ...args]);
if (args.length === 0 && existsSync(join(root, 'extension', 'package.json'))) {
  step('extension: tests', process.execPath, [join(root, 'scripts', 'extension.mjs'), 'test']);
}
