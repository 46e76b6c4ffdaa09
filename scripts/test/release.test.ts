// The release as Rancher receives it: `scripts/build.mjs` run once for both architectures, then checked from the
// outside: what the executables need from the dynamic loader, what they print outside plugin mode, the archives'
// layout and checksums, and the NodeDriver rendered for them.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PLUGIN_NOTICE } from '../../driver/src/plugin/notice';
import { outsideGlibc, parseElf, readElfDynamicInfo } from '../lib/elf';
import { singleFileTarGz } from '../lib/tar.mjs';
import { expectedBuildInfo, repoRoot } from './helpers/driver-binary';
import { runAsync } from './helpers/run-async';

const RELEASE_URL = 'https://releases.example.test/hetzner/v1';
const NAME = 'docker-machine-driver-hetzner';

let out = '';
const { version, commit } = expectedBuildInfo();
const file = (name: string) => join(out, name);
const archiveName = (arch: string) => `${NAME}-${version}-linux-${arch}.tar.gz`;
/** The build this host can run. */
const HOST_BINARY = process.arch === 'arm64' ? `${NAME}-linux-arm64` : NAME;
const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Run {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 60_000, cwd: opts.cwd, env: opts.env ?? {} });
  if (r.error) throw r.error;
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(async () => {
  out = mkdtempSync(join(tmpdir(), 'release-test-'));
  const r = await runAsync(
    process.execPath,
    [
      join(repoRoot, 'scripts', 'build.mjs'),
      '--driver-only',
      '--arch',
      'all',
      '--release-url',
      `${RELEASE_URL}/`,
      '--out-dir',
      out,
    ],
    { cwd: repoRoot },
  );
  if (r.status !== 0) throw new Error(`scripts/build.mjs failed (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
}, 600_000);

afterAll(() => {
  if (out) rmSync(out, { recursive: true, force: true });
});

describe('the executables need nothing but glibc', () => {
  it.each([
    ['amd64', NAME, 'x86-64', '/lib64/ld-linux-x86-64.so.2'],
    ['arm64', `${NAME}-linux-arm64`, 'aarch64', '/lib/ld-linux-aarch64.so.1'],
  ])('%s: machine type, loader and DT_NEEDED', (_arch, name, machine, interpreter) => {
    const info = readElfDynamicInfo(file(name));
    expect(info.machine).toBe(machine);
    expect(info.interpreter).toBe(interpreter);
    expect(info.needed).toContain('libc.so.6');
    expect(outsideGlibc(info.needed)).toEqual([]);
  });

  it('the check does fail on a runtime that needs more: the Node running this test wants libstdc++', () => {
    const node = readElfDynamicInfo(process.execPath);
    if (node.interpreter === null) {
      // A statically linked Node needs nothing from the loader; then only the hand-made cases below apply.
      expect(node.needed).toEqual([]);
    } else {
      expect(outsideGlibc(node.needed)).toContain('libstdc++.so.6');
    }
    expect(outsideGlibc(['libc.so.6', 'libstdc++.so.6', 'libgcc_s.so.1', 'libm.so.6', 'libssl.so.3'])).toEqual([
      'libstdc++.so.6',
      'libgcc_s.so.1',
      'libssl.so.3',
    ]);
  });

  it('the ELF reader agrees with readelf where the host has it', () => {
    const readelf = spawnSync('readelf', ['-d', file(NAME)], { encoding: 'utf8' });
    if (readelf.status !== 0) return; // binutils absent: the assertions above stand alone
    const fromReadelf = [...readelf.stdout.matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((m) => m[1]);
    expect(readElfDynamicInfo(file(NAME)).needed).toEqual(fromReadelf);
  });

  it('reads what the loader reads, so an executable without section headers is judged the same', () => {
    const original = readFileSync(process.execPath);
    const headerless = Buffer.from(original);
    headerless.writeBigUInt64LE(0n, 40); // e_shoff
    headerless.writeUInt16LE(0, 60); // e_shnum
    headerless.writeUInt16LE(0, 62); // e_shstrndx
    expect(parseElf(headerless)).toEqual(parseElf(original));
  });

  it('rejects what it cannot read', () => {
    expect(() => parseElf(readFileSync(process.execPath).subarray(0, 4096))).toThrow('truncated ELF file');
    expect(() => parseElf(Buffer.from('#!/usr/bin/env node\n'.padEnd(80, ' ')))).toThrow('not an ELF file');
    const elf32 = Buffer.alloc(64);
    elf32.writeUInt32BE(0x7f454c46, 0);
    elf32[4] = 1;
    expect(() => parseElf(elf32)).toThrow('not a 64-bit ELF file');
  });
});

describe('the executable outside plugin mode', () => {
  it('--version prints the version and commit it was built from', () => {
    // Only the host's architecture runs here; the other build must embed the same values.
    const other = readFileSync(file(HOST_BINARY === NAME ? `${NAME}-linux-arm64` : NAME));
    expect(other.includes(`"${commit}"`) && other.includes(`"${version}"`)).toBe(true);
    expect(run(file(HOST_BINARY), ['--version'])).toEqual({
      code: 0,
      stdout: `${NAME} ${version} (${commit})\n`,
      stderr: '',
    });
    expect(commit).toMatch(/^[0-9a-f]{12}$|^unknown$/);
  });

  it('without MACHINE_PLUGIN_TOKEN=42 and arguments prints the plugin notice and exits 1; an unknown command exits 2', () => {
    for (const env of [{}, { MACHINE_PLUGIN_TOKEN: '41' }]) {
      expect(run(file(HOST_BINARY), [], { env })).toEqual({ code: 1, stdout: '', stderr: PLUGIN_NOTICE });
    }
    const r = run(file(HOST_BINARY), ['rancher-machine', 'create', '--driver', 'hetzner'], { env: {} });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown command "rancher-machine"/);
  });

  it('reads no .env or bunfig.toml from the directory it is started in', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'release-cwd-'));
    try {
      // Were either file honoured, the executable would turn into a plugin or run foreign code.
      writeFileSync(join(cwd, '.env'), 'MACHINE_PLUGIN_TOKEN=42\n');
      writeFileSync(join(cwd, 'preload.js'), 'console.error("PRELOADED");\n');
      writeFileSync(join(cwd, 'bunfig.toml'), 'preload = ["./preload.js"]\n');
      expect(run(file(HOST_BINARY), [], { cwd })).toEqual({ code: 1, stdout: '', stderr: PLUGIN_NOTICE });
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });
});

describe('archives and checksums', () => {
  it.each([
    ['amd64', NAME],
    ['arm64', `${NAME}-linux-arm64`],
  ])('%s: the archive holds exactly the executable, named for Rancher, at its top level', (arch, binary) => {
    const archive = file(archiveName(arch));
    const listing = run('tar', ['-tvzf', archive], { env: { PATH: process.env.PATH, LC_ALL: 'C' } });
    expect(listing.code).toBe(0);
    const members = listing.stdout.trim().split('\n');
    expect(members).toHaveLength(1);
    expect(members[0]).toMatch(new RegExp(`^-rwxr-xr-x 0/0 +\\d+ .* ${NAME}$`));
    const dir = mkdtempSync(join(tmpdir(), 'release-unpack-'));
    try {
      expect(run('tar', ['-xzf', archive, '-C', dir], { env: { PATH: process.env.PATH } }).code).toBe(0);
      expect(readdirSync(dir)).toEqual([NAME]);
      expect(sha256(join(dir, NAME))).toBe(sha256(file(binary)));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('every artefact has a .sha256 file in sha256sum format that matches it', () => {
    const artefacts = [NAME, `${NAME}-linux-arm64`, archiveName('amd64'), archiveName('arm64')];
    for (const name of artefacts) {
      expect(readFileSync(file(`${name}.sha256`), 'utf8')).toBe(`${sha256(file(name))}  ${name}\n`);
    }
    const check = run('sha256sum', ['-c', ...artefacts.map((n) => `${n}.sha256`)], {
      cwd: out,
      env: { PATH: process.env.PATH },
    });
    expect(check.stdout).toBe(artefacts.map((n) => `${n}: OK\n`).join(''));
    expect(check.code).toBe(0);
  });

  it.each([
    ['amd64', 'nodedriver.yaml'],
    ['arm64', 'nodedriver-linux-arm64.yaml'],
  ])('writes the NodeDriver for the %s archive under --release-url', (arch, manifest) => {
    const yaml = readFileSync(file(manifest), 'utf8');
    expect(yaml).toContain(`  url: "${RELEASE_URL}/${archiveName(arch)}"\n`);
    expect(yaml).toContain(`  checksum: "${sha256(file(archiveName(arch)))}"\n`);
  });
});

describe('scripts/lib/tar.mjs', () => {
  it('writes the same bytes for the same input, which tar unpacks with name, mode and mtime', () => {
    const data = Buffer.from('#!fake executable\n'.repeat(50));
    const a = singleFileTarGz(NAME, data, 1_700_000_000);
    expect(a.equals(singleFileTarGz(NAME, new Uint8Array(data), 1_700_000_000))).toBe(true);
    const dir = mkdtempSync(join(tmpdir(), 'release-tar-'));
    try {
      writeFileSync(join(dir, 'a.tar.gz'), a);
      const env = { PATH: process.env.PATH, LC_ALL: 'C', TZ: 'UTC' };
      const listing = run('tar', ['--full-time', '-tvzf', join(dir, 'a.tar.gz')], { env });
      expect(listing.stdout).toMatch(new RegExp(`^-rwxr-xr-x 0/0 +${data.length} 2023-11-14 22:13:20 ${NAME}\n$`));
      mkdirSync(join(dir, 'x'));
      expect(run('tar', ['-xzf', join(dir, 'a.tar.gz'), '-C', join(dir, 'x')], { env }).code).toBe(0);
      expect(readFileSync(join(dir, 'x', NAME)).equals(data)).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses names a plain ustar header cannot hold', () => {
    expect(() => singleFileTarGz('a'.repeat(100), Buffer.alloc(1), 0)).toThrow('unsuitable archive member name');
    expect(() => singleFileTarGz('bin/x', Buffer.alloc(1), 0)).toThrow('unsuitable archive member name');
  });
});

describe('scripts/render-nodedriver.mjs', () => {
  const script = join(repoRoot, 'scripts', 'render-nodedriver.mjs');
  const render = (...args: string[]) => run(process.execPath, [script, ...args]);
  const url = `${RELEASE_URL}/${NAME}-1.2.3-linux-amd64.tar.gz`;
  const sum = 'ab'.repeat(32);

  it('fills in URL and checksum of a NodeDriver Rancher accepts for the Hetzner credential', () => {
    const r = render('--url', url, '--checksum', sum);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const yaml = r.stdout;
    for (const line of [
      'apiVersion: management.cattle.io/v3',
      'kind: NodeDriver',
      '  name: hetzner',
      '    privateCredentialFields: apiToken',
      // The endpoint belongs to the credential (HETZNER_API_ENDPOINT), optional, never to a machine pool.
      '    publicCredentialFields: apiEndpoint',
      '    optionalCredentialFields: apiEndpoint',
      '    nodedriver.cattle.io/file-to-field-aliases: userData:userData',
      '  active: true',
      '  addCloudCredential: true',
      `  url: "${url}"`,
      `  checksum: "${sum}"`,
      '  whitelistDomains:\n    - api.hetzner.cloud',
    ]) {
      expect(yaml).toContain(`${line}\n`);
    }
    expect(yaml).not.toMatch(/@URL@|@CHECKSUM@/);
    // The template's own comments are about rendering it; they do not belong in what the admin applies.
    expect(yaml.split('\n').filter((l) => l.startsWith('#'))).toEqual([]);
  });

  it('--file computes the checksum of a local copy of the archive', () => {
    const r = render('--url', url, '--file', file(archiveName('amd64')));
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`  checksum: "${sha256(file(archiveName('amd64')))}"\n`);
  });

  it.each([
    [[], '--url is required'],
    [['--url', url], 'give --checksum <sha256> or --file <archive>'],
    [['--url', 'releases/x.tar.gz', '--checksum', sum], 'not a URL: releases/x.tar.gz'],
    [['--url', `ftp://example.test/${NAME}.tar.gz`, '--checksum', sum], 'over http(s), not ftp:'],
    [
      ['--url', 'https://example.test/hetzner-driver.tar.gz', '--checksum', sum],
      'the URL names "hetzner-driver.tar.gz"',
    ],
    [['--url', url, '--checksum', sum.toUpperCase()], 'checksum must be a sha256 in lowercase hex'],
    [['--url', url, '--checksum', 'ab'.repeat(20)], 'checksum must be a sha256 in lowercase hex'],
    [['--url', url, '--file', join(tmpdir(), 'no-such-archive.tar.gz')], 'no-such-archive.tar.gz: ENOENT'],
    [['--url', url, '--checksum', sum, '--bogus'], "Unknown option '--bogus'"],
    [['--url', url, '--checksum', sum, '--file', 'x.tar.gz'], 'give --checksum or --file, not both'],
  ])('rejects %j with a message naming the problem, exit 1, nothing on stdout', (args, message) => {
    const r = render(...args);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^render-nodedriver: /);
    expect(r.stderr).toContain(message);
  });

  it('leaves manifests/nodedriver.yaml a template with both placeholders', () => {
    const template = readFileSync(join(repoRoot, 'manifests', 'nodedriver.yaml'), 'utf8');
    expect(template).toContain('url: "@URL@"');
    expect(template).toContain('checksum: "@CHECKSUM@"');
  });
});

// Guard against a build that silently skipped an architecture or left staging files behind.
it('the output directory holds exactly the release artefacts', () => {
  expect(readdirSync(out).sort()).toEqual(
    [
      NAME,
      `${NAME}.sha256`,
      `${NAME}-linux-arm64`,
      `${NAME}-linux-arm64.sha256`,
      archiveName('amd64'),
      `${archiveName('amd64')}.sha256`,
      archiveName('arm64'),
      `${archiveName('arm64')}.sha256`,
      'nodedriver.yaml',
      'nodedriver-linux-arm64.yaml',
    ].sort(),
  );
});

// Runs last: it rebuilds into the same directory.
it('a later build without --release-url leaves no NodeDriver of the earlier one behind', async () => {
  const r = await runAsync(
    process.execPath,
    [join(repoRoot, 'scripts', 'build.mjs'), '--driver-only', '--no-archive', '--out-dir', out],
    { cwd: repoRoot },
  );
  expect(r.status).toBe(0);
  expect(readdirSync(out).filter((name) => name.startsWith('nodedriver'))).toEqual([]);
}, 300_000);
