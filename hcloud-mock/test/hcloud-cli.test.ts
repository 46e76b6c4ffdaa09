// The official `hcloud` CLI (Debian package hcloud-cli) driven against the mock through a realistic sequence. Every
// command must succeed, except the few the real API refuses too; those must fail with the API's error code. The
// mock's request log then proves no other request got an error.
import { execFile } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MockServer } from '../src/index';
import { mock } from './helpers';

function findOnPath(name: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {}
  }
  return null;
}

const HCLOUD = findOnPath('hcloud');
const TOKEN = 'cli0test0token0aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'.slice(0, 64);
const SSH_PUBLIC_KEY =
  'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGdGJ8m3w0h1Q1l7b8y5pQ1v1o8m2gqv7l1kqk0wPp3x cli@example.com';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

const SKIPPED = 'skipped: no `hcloud` binary on PATH (install it with `apt-get install hcloud-cli`)';
const title = HCLOUD
  ? 'the official hcloud CLI against the mock'
  : `the official hcloud CLI against the mock (${SKIPPED})`;
if (!HCLOUD) console.warn(`hcloud-cli.test.ts: ${SKIPPED}`);

describe.skipIf(!HCLOUD)(title, () => {
  let m: MockServer;
  let home: string;

  beforeAll(async () => {
    m = await mock({ seedData: false, tokens: [TOKEN], rateLimit: false });
    home = mkdtempSync(join(tmpdir(), 'hcloud-cli-'));
  });
  afterAll(() => {
    rmSync(home, { recursive: true, force: true });
  });

  /** Runs the CLI asynchronously (the mock shares this event loop) with only our endpoint, token and config. */
  function hcloud(...args: string[]): Promise<Run> {
    const env = {
      PATH: process.env.PATH ?? '',
      HOME: home,
      HCLOUD_ENDPOINT: m.url,
      HCLOUD_TOKEN: TOKEN,
      HCLOUD_CONFIG: join(home, 'cli.toml'),
    };
    return new Promise((resolve) => {
      execFile(HCLOUD!, ['--poll-interval', '20ms', ...args], { env, timeout: 20_000 }, (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
        resolve({ code, stdout, stderr });
      });
    });
  }

  async function ok(...args: string[]): Promise<string> {
    const r = await hcloud(...args);
    if (r.code !== 0) throw new Error(`hcloud ${args.join(' ')} exited ${r.code}: ${r.stderr.trim()}`);
    return r.stdout;
  }

  /** A command the real API refuses too: it must fail with exactly this API error code. */
  async function refused(code: string, ...args: string[]): Promise<void> {
    const r = await hcloud(...args);
    expect(r.code, `hcloud ${args.join(' ')} should fail`).not.toBe(0);
    expect(r.stderr).toContain(`(${code})`);
  }

  async function json(...args: string[]) {
    return JSON.parse(await ok(...args, '-o', 'json'));
  }

  it('runs keys, network, firewall, placement group, server, power, rDNS, volumes, protection and deletes', async () => {
    // Datacenters are gone from the API: 410, which the CLI reports.
    await refused('deprecated_api_endpoint', 'datacenter', 'list');

    // Independent resources are made side by side, as a script with `&` would; each chain keeps its order.
    await Promise.all([
      ok('ssh-key', 'create', '--name', 'cli-key', '--public-key', SSH_PUBLIC_KEY),
      (async () => {
        await ok('network', 'create', '--name', 'cli-net', '--ip-range', '10.40.0.0/16');
        await ok('network', 'add-subnet', 'cli-net', '--type', 'cloud', '--network-zone', 'eu-central');
        await ok(
          'network',
          'add-subnet',
          'cli-net',
          '--type',
          'cloud',
          '--network-zone',
          'eu-central',
          '--ip-range',
          '10.40.8.0/24',
        );
        await ok('network', 'change-ip-range', 'cli-net', '--ip-range', '10.40.0.0/15');
        await ok('network', 'enable-protection', 'cli-net', 'delete');
      })(),
      (async () => {
        await ok('firewall', 'create', '--name', 'cli-fw', '--label', 'role=web');
        await ok(
          'firewall',
          'add-rule',
          'cli-fw',
          '--direction',
          'in',
          '--protocol',
          'tcp',
          '--port',
          '22',
          '--source-ips',
          '0.0.0.0/0',
          '--source-ips',
          '::/0',
        );
      })(),
      ok('placement-group', 'create', '--name', 'cli-pg', '--type', 'spread'),
      ok('volume', 'create', '--name', 'cli-boot-vol', '--size', '10', '--location', 'fsn1', '--format', 'ext4'),
      ok('volume', 'create', '--name', 'cli-data', '--size', '10', '--location', 'fsn1'),
      (async () => {
        await ok('network', 'create', '--name', 'cli-net-2', '--ip-range', '10.50.0.0/16');
        await ok(
          'network',
          'add-subnet',
          'cli-net-2',
          '--type',
          'cloud',
          '--network-zone',
          'eu-central',
          '--ip-range',
          '10.50.1.0/24',
        );
      })(),
    ]);
    const net = await json('network', 'describe', 'cli-net');
    expect(net.ip_range).toBe('10.40.0.0/15');
    expect(net.subnets.map((s: { ip_range: string }) => s.ip_range)).toEqual(['10.40.0.0/24', '10.40.8.0/24']);
    expect(net.protection.delete).toBe(true);

    await ok(
      'server',
      'create',
      '--name',
      'cli-server',
      '--type',
      'cx23',
      '--image',
      'ubuntu-24.04',
      '--location',
      'fsn1',
      '--ssh-key',
      'cli-key',
      '--network',
      'cli-net',
      '--firewall',
      'cli-fw',
      '--placement-group',
      'cli-pg',
      '--volume',
      'cli-boot-vol',
      '--label',
      'env=ci',
    );
    const server = await json('server', 'describe', 'cli-server');
    expect(server).toMatchObject({ status: 'running', labels: { env: 'ci' } });
    expect(server.private_net[0].ip).toBe('10.40.0.2');
    expect(server.public_net.firewalls).toEqual([{ id: expect.any(Number), status: 'applied' }]);
    expect(server.placement_group.name).toBe('cli-pg');
    expect(server.volumes).toHaveLength(1);

    // A route through the server's private IP.
    await ok('network', 'add-route', 'cli-net', '--destination', '10.40.128.0/17', '--gateway', '10.40.0.2');

    for (const power of ['poweroff', 'poweron', 'reboot', 'reset', 'shutdown']) {
      await ok('server', power, 'cli-server');
    }
    const ipv4 = server.public_net.ipv4.ip as string;
    await ok('server', 'set-rdns', 'cli-server', '--ip', ipv4, '--hostname', 'web.example.com');
    expect((await json('server', 'describe', 'cli-server')).public_net.ipv4.dns_ptr).toBe('web.example.com');

    await ok('volume', 'attach', 'cli-data', '--server', 'cli-server', '--automount');
    await refused('volume_already_attached', 'volume', 'delete', 'cli-data');
    await ok('volume', 'resize', 'cli-data', '--size', '20');
    await ok('volume', 'detach', 'cli-data');
    expect(await json('volume', 'describe', 'cli-data')).toMatchObject({ server: null, size: 20 });
    await ok('volume', 'enable-protection', 'cli-data', 'delete');
    await refused('protected', 'volume', 'delete', 'cli-data');
    await ok('volume', 'disable-protection', 'cli-data', 'delete');

    await ok('server', 'attach-to-network', 'cli-server', '--network', 'cli-net-2', '--ip', '10.50.1.7');
    await ok('server', 'detach-from-network', 'cli-server', '--network', 'cli-net-2');

    await ok('server', 'enable-protection', 'cli-server', 'delete', 'rebuild');
    await refused('protected', 'server', 'delete', 'cli-server');
    await ok('server', 'disable-protection', 'cli-server', 'delete', 'rebuild');

    // Deletes, in the order a user would clean up.
    await ok('network', 'remove-route', 'cli-net', '--destination', '10.40.128.0/17', '--gateway', '10.40.0.2');
    await ok('network', 'remove-subnet', 'cli-net', '--ip-range', '10.40.8.0/24');
    await ok('server', 'delete', 'cli-server');
    await refused('protected', 'network', 'delete', 'cli-net');
    await ok('network', 'disable-protection', 'cli-net', 'delete');
    await Promise.all(
      [
        ['volume', 'cli-data'],
        ['volume', 'cli-boot-vol'],
        ['network', 'cli-net'],
        ['network', 'cli-net-2'],
        ['firewall', 'cli-fw'],
        ['placement-group', 'cli-pg'],
        ['ssh-key', 'cli-key'],
      ].map(([kind, name]) => ok(kind!, 'delete', name!)),
    );

    const s = m.state;
    expect([s.servers, s.volumes, s.networks, s.firewalls, s.placementGroups, s.sshKeys].map((x) => x.size)).toEqual([
      0, 0, 0, 0, 0, 0,
    ]);
    expect(s.checkInvariants()).toEqual([]);
    // The only errors the mock answered are the refusals above, which the real API gives as well.
    const errors = m.requests.filter((r) => r.status >= 400).map((r) => `${r.status} ${r.code}`);
    expect(errors).toEqual([
      '410 deprecated_api_endpoint',
      '422 volume_already_attached',
      '423 protected',
      '423 protected',
      '423 protected',
    ]);
  }, 60_000);
});
