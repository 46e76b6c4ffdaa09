// The user-data path rule THROUGH THE PLUGIN PROTOCOL, as someone who may edit a machine pool would probe it: only
// `hetzner-user-data` (where rancher-machine writes the path of its cloud-config) is read as a file, only a regular
// file outside /proc, /sys and /dev, at most 32 KiB + 1 byte of it, and every unusable path fails alike, so errors
// tell nothing about files the caller could not read. Our plugin process (or the built binary when
// HETZNER_DRIVER_BINARY is set) against the mock API.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MockServer } from 'hcloud-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FlagValue } from '../../src/driver/interface';
import type { PluginClient } from '../../src/plugin/client';
import { baseConfig, flagDefaults, spawnDriverPlugin } from '../fixtures/plugin-session';
import { fastMockPerFile, resourcesOf, TOKEN, tempStore } from './helpers';

let mock: MockServer;
fastMockPerFile({ tokens: [TOKEN] }, (m) => {
  mock = m;
});

const LIMIT = 32 * 1024;
const UNUSABLE = /^Invalid Hetzner machine configuration: hetzner-user-data: names no file the driver can use: /;

let store = '';
let client: PluginClient;
const logs: string[] = [];

beforeAll(async () => {
  store = tempStore();
  client = await spawnDriverPlugin({
    // The endpoint comes from the environment (the credential's); the flag is set too below for older code.
    env: { ...process.env, HETZNER_DRIVER_POLL_MS: '20', HETZNER_API_TOKEN: TOKEN, HETZNER_API_ENDPOINT: mock.url },
    onStdout: (l) => logs.push(l),
    onStderr: (l) => logs.push(l),
    addressTimeoutMs: 20_000,
  });
  expect(await client.getVersion()).toBe(1);
}, 60_000);

afterAll(async () => {
  await client?.close().catch(() => {});
});

function file(name: string, content: string | Buffer): string {
  const path = join(store, name);
  writeFileSync(path, content);
  return path;
}

/** SetConfigFromFlags + PreCreateCheck in the one plugin process, as rancher-machine's create does; the error text. */
async function precheck(name: string, values: Record<string, FlagValue>): Promise<string | null> {
  await client.setConfigRaw(baseConfig(name, store));
  const opts = await flagDefaults(client);
  // The environment names the endpoint; the flag too, for as long as the driver declares one.
  if (opts.has('hetzner-api-endpoint')) opts.set('hetzner-api-endpoint', mock.url);
  for (const [k, v] of Object.entries(values)) opts.set(k, v);
  await client.setConfigFromFlags(opts);
  try {
    await client.preCreateCheck();
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}

/** Peak resident memory of the plugin process, in bytes (VmHWM). */
function peakRss(): number {
  const status = readFileSync(`/proc/${client.process?.pid}/status`, 'utf8');
  return Number(/^VmHWM:\s+(\d+) kB/m.exec(status)?.[1] ?? 0) * 1024;
}

const writes = () => mock.requests.filter((r) => r.method !== 'GET').length;

describe('hetzner-user-data as a path', () => {
  it('reads the file rancher-machine writes, up to exactly 32 KiB, and sends its content', async () => {
    const name = 'ud-path-ok';
    const head = '#cloud-config\nhostname: ud-path-ok\n#';
    const content = `${head}${'x'.repeat(LIMIT - head.length - 1)}\n`;
    expect(Buffer.byteLength(content)).toBe(LIMIT);
    const path = file('modified-user-data4711', content);
    expect(await precheck(name, { 'hetzner-user-data': path })).toBeNull();
    await client.create();
    const { servers } = resourcesOf(mock, name);
    expect(servers).toHaveLength(1);
    expect(servers[0]?.userData).toBe(content);
    await client.remove();
    expect(resourcesOf(mock, name)).toEqual({ servers: [], keys: [] });
  }, 60_000);

  it('never sends the process environment (and with it the token) from /proc as user data', async () => {
    const before = writes();
    const viaLink = join(store, 'environ-link');
    symlinkSync('/proc/self/environ', viaLink);
    for (const path of ['/proc/self/environ', '/proc/1/environ', viaLink]) {
      const error = await precheck('ud-environ', { 'hetzner-user-data': path });
      expect(error, path).toMatch(UNUSABLE);
    }
    expect(writes()).toBe(before);
    for (const server of mock.state.servers.values()) expect(server.userData ?? '').not.toContain(TOKEN);
  }, 60_000);

  it('does not read a pseudo-file that reports size 0 without bound (/proc/self/pagemap)', async () => {
    const error = await precheck('ud-pagemap', { 'hetzner-user-data': '/proc/self/pagemap' });
    expect(error).toMatch(UNUSABLE);
    // Reading it whole would take gigabytes; the plugin itself needs far less than this.
    expect(peakRss()).toBeLessThan(1024 ** 3);
  }, 60_000);

  it('fails alike for every unusable path: no oracle for existence, type, place or content', async () => {
    const fifo = join(store, 'fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const dir = join(store, 'a-directory');
    mkdirSync(dir);
    const dangling = join(store, 'dangling');
    symlinkSync(join(store, 'nothing-here'), dangling);
    const toDev = join(store, 'to-dev-null');
    symlinkSync('/dev/null', toDev);
    const sysFile = ['/sys/kernel/uevent_seqnum', '/sys/kernel/mm/transparent_hugepage/enabled'].find(existsSync);
    const cases: Record<string, string> = {
      missing: join(store, 'no-such-file'),
      'missing directory': '/nonexistent/modified-user-data',
      directory: dir,
      fifo,
      'dangling symlink': dangling,
      'symlink to /dev/null': toDev,
      '/dev/null': '/dev/null',
      '/dev/zero': '/dev/zero',
      '/proc/self/status': '/proc/self/status',
      ...(sysFile ? { [sysFile]: sysFile } : {}),
      'not UTF-8': file('binary', Buffer.from([0x23, 0x21, 0x0a, 0xff, 0xfe, 0x00, 0xc3])),
      'not user data': file('secrets.env', 'DB_PASSWORD=hunter2\n'),
      relative: './no-such-file',
    };
    const errors = new Map<string, string | null>();
    for (const [what, path] of Object.entries(cases)) {
      errors.set(what, await precheck('ud-oracle', { 'hetzner-user-data': path }));
    }
    const texts = new Set(errors.values());
    expect(texts.size, JSON.stringify(Object.fromEntries(errors), null, 2)).toBe(1);
    const [text] = [...texts];
    expect(text).toMatch(UNUSABLE);
    // Neither the path nor anything read from the file comes back.
    for (const path of Object.values(cases)) expect(text).not.toContain(path);
    expect(text).not.toContain('hunter2');
  }, 60_000);

  it('refuses a file over 32 KiB naming the limit but not its size', async () => {
    for (const size of [LIMIT + 1, 40_000, 5 * 1024 * 1024]) {
      const path = file(`big-${size}`, `#cloud-config\n#${'x'.repeat(size - 16)}\n`);
      const error = (await precheck('ud-big', { 'hetzner-user-data': path })) ?? '';
      expect(error).toMatch(/hetzner-user-data: names a file larger than Hetzner's limit of 32768 bytes/);
      expect(error.match(/\d+/g)).toEqual(['32768', '32']);
    }
    // Merged with extra cloud-config over the limit: the total, which would tell the file's size, is not named either.
    const path = file('half', `#cloud-config\n#${'x'.repeat(20_000)}\n`);
    const error =
      (await precheck('ud-merged', {
        'hetzner-user-data': path,
        'hetzner-additional-user-data': `#cloud-config\n#${'y'.repeat(20_000)}\n`,
      })) ?? '';
    expect(error).toMatch(/hetzner-user-data: the user data is larger than Hetzner's limit of 32768 bytes/);
    expect(error.match(/\d+/g)).toEqual(['32768', '32']);
  }, 60_000);
});

describe('hetzner-additional-user-data', () => {
  it('is the content itself: a path there is refused, the file never read', async () => {
    const path = file('extra.yaml', '#cloud-config\nruncmd:\n  - echo from-a-file\n');
    const before = writes();
    for (const value of [path, '/proc/self/environ', './extra.yaml']) {
      const error = await precheck('ud-extra-path', {
        'hetzner-user-data': '#cloud-config\nhostname: x\n',
        'hetzner-additional-user-data': value,
      });
      expect(error, value).toMatch(
        /^Invalid Hetzner machine configuration: hetzner-additional-user-data: takes the cloud-config itself, not the path of a file/,
      );
    }
    // Even without main user data, which would otherwise have sent the value as it is.
    const alone = await precheck('ud-extra-alone', { 'hetzner-additional-user-data': path });
    expect(alone).toMatch(/hetzner-additional-user-data: takes the cloud-config itself/);
    expect(writes()).toBe(before);
    expect(logs.join('\n')).not.toContain('from-a-file');
    expect(logs.join('\n')).not.toContain(TOKEN);
  }, 60_000);
});
