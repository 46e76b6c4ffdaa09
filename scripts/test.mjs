#!/usr/bin/env node
// `pnpm test`: lint, type-check, then every test suite (driver, mock, scripts; the extension's own when present).
// Extra arguments go to vitest, e.g. `pnpm test driver/test/gob` to run a subset.
// A full run fails when it leaves `git status` different from how it found it (a step that writes tracked files).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { blackBoxTestFiles } from './lib/black-box.mjs';

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

/** The work tree as git sees it (null outside a git checkout): a full run must leave it as it found it. */
function treeState() {
  const r = spawnSync('git', ['status', '--porcelain', '--untracked-files=all'], { cwd: root, encoding: 'utf8' });
  return r.status === 0 ? r.stdout : null;
}
const treeBefore = args.length === 0 ? treeState() : null;

if (args.length === 0) {
  step('lint and format (biome)', bin('biome'), ['check', '.']);
  step('type-check (tsc)', bin('tsc'), ['-p', 'tsconfig.json', '--noEmit']);
}
step('tests (vitest)', bin('vitest'), ['run', ...args]);
if (args.length === 0) {
  // Black box: the suites that start our plugin run again against the release executable, so runtime differences
  // between Node and the compiled binary fail CI.
  const files = blackBoxTestFiles(root);
  const build = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'scripts/test/helpers/driver-binary.ts')], {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (build.status !== 0) {
    console.error('✗ building the driver executable for the black-box pass failed');
    process.exit(1);
  }
  const binary = build.stdout.trim();
  step(`tests against the built executable (${files.length} files, black box)`, bin('vitest'), ['run', ...files], {
    env: { ...process.env, HETZNER_DRIVER_BINARY: binary },
  });
}
if (args.length === 0 && existsSync(join(root, 'extension', 'package.json'))) {
  step('extension: tests', process.execPath, [join(root, 'scripts', 'extension.mjs'), 'test']);
}
if (treeBefore !== null) {
  const after = treeState();
  if (after !== treeBefore) {
    const was = new Set(treeBefore.split('\n'));
    const changed = after
      .split('\n')
      .filter((line) => line && !was.has(line))
      .join('\n');
    console.error(`✗ the test run changed the work tree (git status); a test or install step writes tracked files:`);
    console.error(changed || after);
    process.exit(1);
  }
  console.log('✓ the work tree is as the run found it');
}
