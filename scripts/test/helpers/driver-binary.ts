// Builds the driver executable (and its release archive) once for the test run (or uses HETZNER_DRIVER_BINARY for
// the executable when CI hands one in).
// Test files run in parallel workers, so the build is guarded by a lock directory and reused while it is newer than
// every source file it was built from.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { runAsync } from './run-async';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const outDir = join(repoRoot, '.tmp', 'test-bin');

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/** What `--version` of a fresh build prints: the driver package's version and the checked-out commit. */
export function expectedBuildInfo(): { version: string; commit: string } {
  const version = JSON.parse(readFileSync(join(repoRoot, 'driver', 'package.json'), 'utf8')).version as string;
  const r = spawnSync('git', ['rev-parse', '--short=12', 'HEAD'], { cwd: repoRoot, encoding: 'utf8' });
  return { version, commit: r.status === 0 ? r.stdout.trim() : 'unknown' };
}

const stampOf = (binary: string) => `${binary}.stamp`;
const stampText = () => JSON.stringify(expectedBuildInfo());

/** The release archive build.mjs packs the amd64 executable into (what a NodeDriver's url points at). */
function archiveOf(binary: string): string | null {
  if (!binary.endsWith('/docker-machine-driver-hetzner')) return null;
  const { version } = expectedBuildInfo();
  return join(dirname(binary), `docker-machine-driver-hetzner-${version}-linux-amd64.tar.gz`);
}

function isFresh(binary: string): boolean {
  if (!existsSync(binary) || !existsSync(stampOf(binary))) return false;
  const archive = archiveOf(binary);
  if (archive && !(existsSync(archive) && existsSync(`${archive}.sha256`))) return false;
  // A new commit or version changes what the binary embeds, even when no source file changed.
  if (readFileSync(stampOf(binary), 'utf8') !== stampText()) return false;
  const built = statSync(binary).mtimeMs;
  return (
    built > newestSource(join(repoRoot, 'driver', 'src')) &&
    built > statSync(join(repoRoot, 'driver', 'package.json')).mtimeMs &&
    built > statSync(join(repoRoot, 'scripts', 'build.mjs')).mtimeMs
  );
}

async function withLock<T>(fn: () => Promise<T>): Promise<T> {
  const lock = join(repoRoot, '.tmp', 'test-bin.lock');
  mkdirSync(dirname(lock), { recursive: true });
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // A lock older than the deadline belongs to a build that died; take it over.
      const held = statSync(lock, { throwIfNoEntry: false });
      if (held && Date.now() - held.mtimeMs > 180_000) rmSync(lock, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error('timed out waiting for another test worker to build the driver');
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/** Path of the driver executable for `arch`, built from the current sources if needed. */
export async function driverBinary(arch: 'amd64' | 'arm64' = 'amd64'): Promise<string> {
  if (arch === 'amd64' && process.env.HETZNER_DRIVER_BINARY) return process.env.HETZNER_DRIVER_BINARY;
  return ownBuild(arch);
}

/**
 * The amd64 release archive and its `.sha256`, as `pnpm build` makes them, from the same build (and cache) as
 * driverBinary(): one build serves the black-box pass, the chroot test and the job-flow test.
 */
export async function releaseArchive(): Promise<{ archive: string; sha256File: string }> {
  const archive = archiveOf(await ownBuild('amd64')) as string;
  return { archive, sha256File: `${archive}.sha256` };
}

async function ownBuild(arch: 'amd64' | 'arm64'): Promise<string> {
  const binary = join(
    outDir,
    arch === 'amd64' ? 'docker-machine-driver-hetzner' : 'docker-machine-driver-hetzner-linux-arm64',
  );
  if (isFresh(binary)) return binary;
  return withLock(async () => {
    if (isFresh(binary)) return binary;
    // Taken before building, so that a commit made meanwhile makes the next run rebuild.
    const stamp = stampText();
    // amd64 with its archive (a few seconds of gzip), which the job-flow test downloads.
    const r = await runAsync(
      process.execPath,
      [
        join(repoRoot, 'scripts', 'build.mjs'),
        '--driver-only',
        ...(arch === 'amd64' ? [] : ['--no-archive']),
        '--arch',
        arch,
        '--out-dir',
        outDir,
      ],
      { cwd: repoRoot },
    );
    if (r.status !== 0) throw new Error(`building the driver failed:\n${r.stdout}\n${r.stderr}`);
    writeFileSync(stampOf(binary), stamp);
    return binary;
  });
}

// `node --import tsx scripts/test/helpers/driver-binary.ts [amd64|arm64]` prints the path (scripts/test.mjs uses it
// for the black-box pass, sharing the build and its cache with the test files).
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const arch = process.argv[2] === 'arm64' ? 'arm64' : 'amd64';
  driverBinary(arch).then(
    (path) => process.stdout.write(`${path}\n`),
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
