#!/usr/bin/env node
// `pnpm build`: the release artefacts.
//   dist/docker-machine-driver-hetzner                       linux x86-64 executable (glibc only, via bun --compile)
//   dist/docker-machine-driver-hetzner-<version>-linux-<arch>.tar.gz (+ .sha256 for it and for the bare binary)
//   dist/nodedriver.yaml (nodedriver-linux-arm64.yaml)       the NodeDriver for the archive (url + sha256 filled in)
//   extension/dist-pkg/hetzner-node-driver-<version>/        the UI extension (when extension/ exists)
//   dist/catalog/, dist/manifests/extension/                 its catalog and UIPlugin/ClusterRepo (with --catalog-url)
// Options: --arch amd64|arm64|all (default amd64; arm64 writes dist/docker-machine-driver-hetzner-linux-arm64),
//          --driver-only (skip the extension), --release-url <base URL the archives will be published under>,
//          --catalog-url <URL dist/catalog/ will be served from, reachable from the Rancher server>,
//          --out-dir <dir> (instead of dist/), --no-archive (executables and their .sha256 only; used by tests).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { singleFileTarGz } from './lib/tar.mjs';
import { renderNodeDriver } from './render-nodedriver.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const opts = parseOptions();

function parseOptions() {
  try {
    return parseArgs({
      options: {
        arch: { type: 'string', default: 'amd64' },
        'driver-only': { type: 'boolean', default: false },
        'release-url': { type: 'string' },
        'catalog-url': { type: 'string' },
        'out-dir': { type: 'string' },
        'no-archive': { type: 'boolean', default: false },
      },
    }).values;
  } catch (err) {
    fail(
      `${err.message}\noptions: --arch amd64|arm64|all, --driver-only, --release-url <url>, --catalog-url <url>, --out-dir <dir>, --no-archive`,
    );
  }
}

const dist = opts['out-dir'] ?? join(root, 'dist');
const version = JSON.parse(readFileSync(join(root, 'driver', 'package.json'), 'utf8')).version;
const commit = gitCommit();
const archs = opts.arch === 'all' ? ['amd64', 'arm64'] : [opts.arch];
for (const arch of archs) {
  if (arch !== 'amd64' && arch !== 'arm64') fail(`--arch must be amd64, arm64 or all, not "${arch}"`);
}

function fail(message) {
  console.error(`build: ${message}`);
  process.exit(1);
}

function run(cmd, args, options = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: root, ...options });
  if (r.status !== 0) fail(`${cmd} ${args.join(' ')} failed (exit ${r.status ?? r.signal})`);
}

function gitCommit() {
  const r = spawnSync('git', ['rev-parse', '--short=12', 'HEAD'], { cwd: root, encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : 'unknown';
}

function sha256(file) {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

function writeChecksum(file) {
  const sum = sha256(file);
  const name = file.slice(dirname(file).length + 1);
  writeFileSync(`${file}.sha256`, `${sum}  ${name}\n`);
  return sum;
}

const driverRequire = createRequire(join(root, 'driver', 'package.json'));

/** The Bun that runs the build: the host's own, installed by the pinned npm package `bun`. */
function hostBun() {
  const path = join(dirname(driverRequire.resolve('bun/package.json')), 'bin', 'bun.exe');
  if (!existsSync(path)) fail(`missing ${path}: run pnpm install (bun's postinstall must be allowed to run)`);
  return path;
}

/**
 * The Bun runtime the executable embeds, per target architecture. For the host's own architecture that is the host
 * Bun: the `bun` package's postinstall moves the binary out of @oven/bun-linux-<cpu> into bun/bin/bun.exe. For the
 * other one it is the npm package @oven/bun-linux-<cpu>, which driver/ lists explicitly and pnpm installs because
 * package.json's pnpm.supportedArchitectures names both cpus.
 */
function bunRuntime(arch) {
  const cpu = arch === 'amd64' ? 'x64' : 'arm64';
  if (process.arch === cpu) return hostBun();
  const pkg = arch === 'amd64' ? '@oven/bun-linux-x64' : '@oven/bun-linux-aarch64';
  const bunRequire = createRequire(realpathSync(driverRequire.resolve('bun/package.json')));
  for (const req of [driverRequire, bunRequire]) {
    let manifest;
    try {
      manifest = req.resolve(`${pkg}/package.json`);
    } catch {
      continue;
    }
    const path = join(dirname(manifest), 'bin', 'bun');
    if (existsSync(path)) return path;
  }
  fail(`missing ${pkg}: run pnpm install (package.json's pnpm.supportedArchitectures must list cpu ${cpu})`);
}

/**
 * Seconds since the epoch to stamp into archives: SOURCE_DATE_EPOCH, else the commit's time, so that rebuilding a
 * commit yields the same archive bytes and the same checksum in the NodeDriver.
 */
function sourceDateEpoch() {
  const fromEnv = Number(process.env.SOURCE_DATE_EPOCH);
  if (Number.isInteger(fromEnv) && fromEnv > 0) return fromEnv;
  const r = spawnSync('git', ['log', '-1', '--format=%ct'], { cwd: root, encoding: 'utf8' });
  const fromGit = Number(r.stdout?.trim());
  return r.status === 0 && Number.isInteger(fromGit) && fromGit > 0 ? fromGit : Math.floor(Date.now() / 1000);
}

function buildDriver(arch) {
  const out = join(
    dist,
    arch === 'amd64' ? 'docker-machine-driver-hetzner' : 'docker-machine-driver-hetzner-linux-arm64',
  );
  const started = Date.now();
  run(
    hostBun(),
    [
      'build',
      '--compile',
      `--target=bun-linux-${arch === 'amd64' ? 'x64' : 'arm64'}`,
      `--compile-executable-path=${bunRuntime(arch)}`,
      // A driver must not pick up .env or bunfig.toml from whatever directory Rancher runs it in.
      '--no-compile-autoload-dotenv',
      '--no-compile-autoload-bunfig',
      '--minify',
      // Precompiled bytecode: the address line comes 3-4× sooner on x86-64 (scripts/bench/release.ts). The source is
      // embedded too, and JavaScriptCore parses it instead when it rejects the bytecode, so a target whose engine
      // build differs (arm64 is cross-compiled here, untested at run time) only loses the speed-up.
      '--bytecode',
      // Bytecode alone would switch the bundle to CommonJS; keep the ES module semantics the sources have under Node.
      '--format=esm',
      // ssh2 probes optional native addons inside try/catch; the executable uses its pure-JS paths.
      '--external',
      'cpu-features',
      '--external',
      '*.node',
      `--define=__DRIVER_VERSION__=${JSON.stringify(version)}`,
      `--define=__DRIVER_COMMIT__=${JSON.stringify(commit)}`,
      'src/main.ts',
      '--outfile',
      out,
    ],
    { cwd: join(root, 'driver') },
  );
  const binSum = writeChecksum(out);
  const mb = (f) => (statSync(f).size / 1024 / 1024).toFixed(1);
  console.log(
    `built ${out} (${mb(out)} MiB, sha256 ${binSum.slice(0, 12)}…) in ${((Date.now() - started) / 1000).toFixed(1)}s`,
  );
  if (opts['no-archive']) return {};
  const archive = join(dist, `docker-machine-driver-hetzner-${version}-linux-${arch}.tar.gz`);
  // Rancher's job looks for docker-machine-driver-<name> at the archive's top level, whatever the architecture.
  writeFileSync(archive, singleFileTarGz('docker-machine-driver-hetzner', readFileSync(out), sourceDateEpoch()));
  const archiveSum = writeChecksum(archive);
  console.log(`built ${archive} (${mb(archive)} MiB, sha256 ${archiveSum.slice(0, 12)}…)`);
  return { archive, archiveSum };
}

mkdirSync(dist, { recursive: true });
const built = archs.map((arch) => ({ arch, ...buildDriver(arch) }));
const base = opts['release-url'] ?? process.env.RELEASE_URL;
// NodeDrivers of an earlier build would otherwise outlive a build without (or with another) release URL.
for (const name of ['nodedriver.yaml', 'nodedriver-linux-arm64.yaml']) rmSync(join(dist, name), { force: true });
for (const { arch, archive, archiveSum } of built) {
  if (!archive) continue;
  if (!base) {
    console.log(
      'no --release-url (or RELEASE_URL) given: render the NodeDriver later with scripts/render-nodedriver.mjs',
    );
    break;
  }
  // One NodeDriver per Rancher server architecture; amd64 is the common case and keeps the plain name.
  const manifest = join(dist, arch === 'amd64' ? 'nodedriver.yaml' : `nodedriver-linux-${arch}.yaml`);
  const url = `${base.replace(/\/$/, '')}/${archive.slice(dist.length + 1)}`;
  try {
    writeFileSync(manifest, renderNodeDriver({ url, checksum: archiveSum }));
  } catch (err) {
    fail(`--release-url: ${err.message}`);
  }
  console.log(`wrote ${manifest} for ${url}`);
}
if (!opts['driver-only'] && existsSync(join(root, 'extension', 'package.json'))) {
  const extensionScript = join(root, 'scripts', 'extension.mjs');
  const catalog = opts['catalog-url'] ?? process.env.CATALOG_URL;
  const args = [extensionScript, 'build', '--dist-dir', dist, ...(catalog ? ['--repo-url', catalog] : [])];
  if (existsSync(extensionScript)) run(process.execPath, args);
  else console.warn('build: extension/ exists but scripts/extension.mjs does not: the UI extension was NOT built');
}
