// Interop with Go itself (standard library only): goclient/ plays rancher-machine against our plugin process;
// goplugin/ is a Go plugin that our TypeScript client drives through every method. Both are built with `go build`
// into a temp dir; without a Go toolchain the suite is skipped with a message saying so.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FlagValue } from '../../src/driver/interface';
import { PluginCallError, PluginClient } from '../../src/plugin/client';
import { outputOf } from '../fixtures/child-output';
import { goBuild } from '../fixtures/go-build';
import { doublePluginCommand, REPO_ROOT } from '../fixtures/plugin-command';

const goVersion = spawnSync('go', ['version'], { encoding: 'utf8' });
const haveGo = goVersion.status === 0;
if (!haveGo) {
  console.warn(
    'interop tests skipped: no `go` on PATH (install Go ≥ 1.19, e.g. apt-get install golang-go; .ci/run does)',
  );
}

let binDir = '';
const bin = (name: string) => join(binDir, name);

const build = (name: string) => goBuild(name, join(REPO_ROOT, 'driver', 'test', 'interop', name, 'main.go'), bin(name));

describe.skipIf(!haveGo)('interop with Go net/rpc + encoding/gob', () => {
  beforeAll(() => {
    binDir = mkdtempSync(join(tmpdir(), 'plugin-interop-'));
    build('goclient');
    build('goplugin');
  }, 180_000);
  afterAll(() => {
    if (binDir) rmSync(binDir, { recursive: true, force: true });
  });

  it('a Go rancher-machine-style client drives our plugin through all 24 methods', async () => {
    const cmd = doublePluginCommand();
    const r = await outputOf(
      spawn(bin('goclient'), ['--', cmd.command, ...cmd.args], { stdio: ['ignore', 'pipe', 'pipe'] }),
    );
    if (r.code !== 0)
      throw new Error(`goclient failed (exit ${r.code}):\n${r.stdout}\n--- plugin stderr ---\n${r.stderr}`);
    const checked = r.stdout
      .split('\n')
      .filter((l) => l.startsWith('ok '))
      .map((l) => l.slice(3));
    for (const m of [
      'address',
      'GetVersion',
      'RpcServerDriver.GetVersion',
      'SetConfigRaw',
      'GetConfigRaw',
      'GetCreateFlags',
      'SetConfigFromFlags',
      'DriverName',
      'GetMachineName',
      'GetIP',
      'GetIPv6',
      'GetSSHHostname',
      'GetSSHKeyPath',
      'GetSSHPort',
      'GetSSHUsername',
      'GetURL',
      'GetState',
      'PreCreateCheck',
      'Create',
      'Remove',
      'Start',
      'Stop',
      'Restart',
      'Kill',
      'Heartbeat',
      'Close',
      'Upgrade',
      'unknown service',
    ]) {
      expect(checked, m).toContain(m);
    }
    expect(r.stdout.trimEnd().endsWith('PASS')).toBe(true);
  }, 60_000);

  it('our TypeScript client drives a Go plugin through all 24 methods', async () => {
    const stderr: string[] = [];
    const c = await PluginClient.spawn({
      command: bin('goplugin'),
      args: ['rancher-machine', 'create', '--driver', 'goplugin'],
      env: { ...process.env, GOPLUGIN_CREATE_DELAY_MS: '800' },
      onStderr: (l) => stderr.push(l),
      heartbeatIntervalMs: 5_000,
    });
    expect(c.address).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(await c.getVersion()).toBe(1);
    const v0 = await PluginClient.connect(c.address, { service: 'RpcServerDriver' });
    expect(await v0.getVersion()).toBe(1);
    v0.disconnect();

    await c.setConfigRaw({ MachineName: 'm1', StorePath: '/store', SSHPort: 0 });
    expect(await c.getMachineName()).toBe('m1');
    expect(await c.driverName()).toBe('goplugin');
    expect(await c.getCreateFlags()).toEqual([
      { kind: 'string', name: 'goplugin-api-token', usage: 'API token', envVar: 'GOPLUGIN_API_TOKEN', value: '' },
      { kind: 'string', name: 'goplugin-image', usage: 'Image', envVar: 'GOPLUGIN_IMAGE', value: 'debian-12' },
      { kind: 'int', name: 'goplugin-disk-size', usage: 'Disk size in GB', envVar: '', value: 40 },
      { kind: 'int', name: 'goplugin-zero', usage: 'Zero default', envVar: '', value: 0 },
      {
        kind: 'stringSlice',
        name: 'goplugin-networks',
        usage: 'Networks',
        envVar: 'GOPLUGIN_NETWORKS',
        value: ['n1', 'n2'],
      },
      { kind: 'stringSlice', name: 'goplugin-labels', usage: 'Labels', envVar: '', value: [] },
      { kind: 'bool', name: 'goplugin-private', usage: 'Private network only', envVar: 'GOPLUGIN_PRIVATE' },
    ]);

    await c.setConfigFromFlags(
      new Map<string, FlagValue>([
        ['goplugin-image', 'ubuntu-24.04'],
        ['goplugin-disk-size', 80],
        ['negative', -12],
        ['goplugin-private', true],
        ['swarm-master', false],
        ['goplugin-networks', ['a', 'b', 'c']],
        ['goplugin-labels', []],
        ['empty', ''],
        ['unset', null],
      ]),
    );
    const cfg = (await c.getConfigRaw()) as {
      MachineName: string;
      Flags: Record<string, { type: string; value: unknown }>;
    };
    expect(cfg.MachineName).toBe('m1');
    expect(cfg.Flags).toEqual({
      'goplugin-image': { type: 'string', value: 'ubuntu-24.04' },
      'goplugin-disk-size': { type: 'int', value: 80 },
      negative: { type: 'int', value: -12 },
      'goplugin-private': { type: 'bool', value: true },
      'swarm-master': { type: 'bool', value: false },
      'goplugin-networks': { type: '[]string', value: ['a', 'b', 'c'] },
      // An empty slice arrives as Go's nil []string, exactly what rancher-machine sends for an unset slice flag.
      'goplugin-labels': { type: '[]string(nil)', value: null },
      empty: { type: 'string', value: '' },
      unset: { type: '<nil>', value: null },
    });

    expect(await c.getIP()).toBe('198.51.100.7');
    await expect(c.getIPv6()).rejects.toThrow(
      new PluginCallError('IPv6 address is not set', 'RPCServerDriver.GetIPv6'),
    );
    expect(await c.getSSHHostname()).toBe('198.51.100.7');
    expect(await c.getSSHKeyPath()).toBe('/store/machines/m1/id_rsa');
    expect(await c.getSSHPort()).toBe(22);
    expect(await c.getSSHUsername()).toBe('root');
    expect(await c.getURL()).toBe('tcp://198.51.100.7:2376');
    expect(await c.getState()).toBe(4);
    await c.preCreateCheck();

    // Out of order: a slow Create, then quick calls that must come back first.
    const order: string[] = [];
    const create = c.create().then(() => order.push('create'));
    await c.heartbeat().then(() => order.push('heartbeat'));
    await c.getVersion().then(() => order.push('version'));
    await create;
    expect(order).toEqual(['heartbeat', 'version', 'create']);

    for (const m of ['start', 'stop', 'restart', 'remove'] as const) await c[m]();
    await expect(c.kill()).rejects.toThrow('goplugin: kill not supported');
    await expect(c.call('.Upgrade')).rejects.toThrow("rpc: can't find method RPCServerDriver.Upgrade");
    expect(await c.close()).toEqual({ code: 0, signal: null });
  }, 60_000);
});
