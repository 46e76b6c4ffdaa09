// The whole lifecycle in-process against the mock: every variant of the flags, Remove without a stored ID, Go-driver
// machines, retries after failed attempts. The protocol-level run of the same lifecycle is in plugin-lifecycle.test.ts.
import { statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { MockServer } from 'hcloud-mock';
import { describe, expect, it } from 'vitest';
import { HetznerDriver } from '../../src/driver';
import { MachineState } from '../../src/driver/interface';
import {
  captureLogger,
  configJson,
  configuredDriver,
  FAST_TIMEOUTS,
  fastMockPerFile,
  mockEnv,
  newDriver,
  resourcesOf,
  TOKEN,
  tempStore,
} from './helpers';

let mock: MockServer;
fastMockPerFile(
  { tokens: [TOKEN] },
  (m) => {
    mock = m;
  },
  { clearFaults: true },
);

function serverBody(name: string): Record<string, unknown> {
  const req = mock.requests.filter((r) => r.method === 'POST' && r.path === '/servers').reverse();
  const hit = req.find((r) => (r.body as { name?: string }).name === name);
  return hit!.body as Record<string, unknown>;
}

async function fullCycle(d: HetznerDriver, name: string) {
  expect(await d.getState()).toBe(MachineState.Running);
  await d.stop();
  expect(await d.getState()).toBe(MachineState.Stopped);
  await d.start();
  expect(await d.getState()).toBe(MachineState.Running);
  await d.restart();
  expect(await d.getState()).toBe(MachineState.Running);
  await d.kill();
  expect(await d.getState()).toBe(MachineState.Stopped);
  await d.remove();
  expect(await d.getState()).toBe(MachineState.NotFound);
  expect(resourcesOf(mock, name)).toEqual({ servers: [], keys: [] });
}

describe('lifecycle', () => {
  it('creates with defaults, records ID/IP/key, and runs stop/start/restart/kill/remove', async () => {
    const logger = captureLogger();
    const store = tempStore();
    const d = await configuredDriver(mock, 'lc-default', {}, { logger, store });
    await d.preCreateCheck();
    await d.create();

    const { servers, keys } = resourcesOf(mock, 'lc-default');
    expect(servers).toHaveLength(1);
    const srv = servers[0]!;
    expect(srv.labels).toEqual({ 'managed-by': 'rancher-machine', machine: 'lc-default' });
    // The key was uploaded under the machine's name with its labels, given to the server, then deleted: Hetzner
    // copies keys into a server only when it is made, so the key object has no further use.
    const upload = mock.requests.filter((r) => r.method === 'POST' && r.path === '/ssh_keys').at(-1)!;
    expect(upload.body).toMatchObject({
      name: 'lc-default',
      labels: { 'managed-by': 'rancher-machine', machine: 'lc-default' },
    });
    expect(keys).toEqual([]);

    const cfg = JSON.parse(new TextDecoder().decode(await d.getConfigRaw()));
    expect(cfg.ServerID).toBe(srv.id);
    expect(cfg.KeyName).toBe('lc-default');
    expect(cfg.KeyDeleted).toBe(true);
    expect(mock.state.sshKeys.has(cfg.KeyID)).toBe(false);
    const ip = await d.getIP();
    expect(ip).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(await d.getSSHHostname()).toBe(ip);
    expect(await d.getURL()).toBe(`tcp://${ip}:2376`);
    expect(await d.getIPv6()).toMatch(/::1$/);
    expect(await d.getSSHUsername()).toBe('root');
    expect(await d.getSSHPort()).toBe(22);
    const keyPath = await d.getSSHKeyPath();
    expect(keyPath).toBe(join(store, 'machines', 'lc-default', 'id_rsa'));
    expect(statSync(keyPath).mode & 0o777).toBe(0o600);

    const body = serverBody('lc-default');
    expect(body).toMatchObject({
      server_type: 'cx23',
      location: 'fsn1',
      ssh_keys: [cfg.KeyID],
      public_net: { enable_ipv4: true, enable_ipv6: true },
    });
    expect(body).not.toHaveProperty('datacenter');
    expect(logger.text()).toContain('Creating server lc-default (cx23, fsn1, ubuntu-24.04)…');
    expect(logger.text()).not.toContain(TOKEN);

    await fullCycle(d, 'lc-default');
  });

  it('uses the private IP with use-private-network', async () => {
    const d = await configuredDriver(mock, 'lc-private', {
      'hetzner-use-private-network': true,
      'hetzner-networks': ['private'],
    });
    await d.preCreateCheck();
    await d.create();
    const net = [...mock.state.networks.values()].find((n) => n.name === 'private')!;
    const srv = resourcesOf(mock, 'lc-private').servers[0]!;
    expect(srv.privateNet.map((p) => p.network)).toContain(net.id);
    expect(await d.getIP()).toBe(srv.privateNet.find((p) => p.network === net.id)!.ip);
    expect(await d.getIP()).toMatch(/^10\.0\./);
    await fullCycle(d, 'lc-private');
  });

  it('reports the ::1 of the IPv6 /64 when IPv4 is off', async () => {
    const d = await configuredDriver(mock, 'lc-v6', { 'hetzner-disable-public-ipv4': true });
    await d.preCreateCheck();
    await d.create();
    expect(serverBody('lc-v6').public_net).toEqual({ enable_ipv4: false, enable_ipv6: true });
    const ip = await d.getIP();
    expect(ip).toMatch(/^[0-9a-f:]+::1$/);
    expect(await d.getIPv6()).toBe(ip);
    expect(await d.getURL()).toBe(`tcp://[${ip}]:2376`);
    await fullCycle(d, 'lc-v6');
  });

  it('adds the existing SSH key, the placement group, firewalls and labels, and leaves them alone on remove', async () => {
    const admin = [...mock.state.sshKeys.values()].find((k) => k.name === 'admin')!;
    const pg = [...mock.state.placementGroups.values()].find((p) => p.name === 'spread-demo')!;
    const fw = [...mock.state.firewalls.values()].find((f) => f.name === 'default-web')!;
    const d = await configuredDriver(mock, 'lc-extras', {
      'hetzner-existing-ssh-key': 'admin',
      'hetzner-placement-group': String(pg.id),
      'hetzner-firewalls': ['default-web'],
      'hetzner-server-labels': ['env=test', 'team=platform'],
      'hetzner-cluster-id': 'fleet-default/c-abc',
    });
    await d.preCreateCheck();
    await d.create();
    const body = serverBody('lc-extras');
    expect(body.ssh_keys).toContain(admin.id);
    expect(body.placement_group).toBe(pg.id);
    expect(body.firewalls).toEqual([{ firewall: fw.id }]);
    const srv = resourcesOf(mock, 'lc-extras').servers[0]!;
    expect(srv.labels).toMatchObject({ env: 'test', team: 'platform', 'managed-by': 'rancher-machine' });
    expect(srv.labels.cluster).toMatch(/^fleet-default-c-abc-[0-9a-f]{10}$/);
    expect(srv.placementGroupId).toBe(pg.id);
    expect(srv.firewalls.map((f) => f.id)).toContain(fw.id);
    await fullCycle(d, 'lc-extras');
    expect(mock.state.sshKeys.has(admin.id)).toBe(true);
    expect(mock.state.firewalls.has(fw.id)).toBe(true);
    expect(mock.state.placementGroups.has(pg.id)).toBe(true);
  });

  it('keeps the cluster firewall in step in create-firewall mode', async () => {
    const d = await configuredDriver(mock, 'lc-fw', {
      'hetzner-create-firewall': true,
      'hetzner-cluster-id': 'c-fw1',
      'hetzner-auto-create-firewall-rules': true,
    });
    await d.preCreateCheck();
    await d.create();
    const shared = [...mock.state.firewalls.values()].filter((f) => f.labels.cluster === 'c-fw1');
    expect(shared).toHaveLength(1);
    const ip = await d.getIP();
    expect(JSON.stringify(shared[0]!.rules)).toContain(`${ip}/32`);
    await d.remove();
    expect([...mock.state.firewalls.values()].filter((f) => f.labels.cluster === 'c-fw1')).toEqual([]);
    expect(resourcesOf(mock, 'lc-fw')).toEqual({ servers: [], keys: [] });
  });

  it('sends user data read from the file rancher-machine names, merged with the additional cloud-config', async () => {
    const store = tempStore();
    const path = join(store, 'modified-user-data4711');
    const secret = '#cloud-config\nwrite_files: [{path: /x, content: "secret-bootstrap-token"}]\n';
    writeFileSync(path, secret);
    const logger = captureLogger();
    const d = await configuredDriver(
      mock,
      'lc-userdata',
      { 'hetzner-user-data': path, 'hetzner-additional-user-data': '#cloud-config\npackages: [jq]\n' },
      { logger, store },
    );
    await d.preCreateCheck();
    await d.create();
    const srv = resourcesOf(mock, 'lc-userdata').servers[0]!;
    expect(srv.userData).toContain('secret-bootstrap-token');
    expect(srv.userData).toContain('packages: [jq]');
    expect(srv.userData).toMatch(/^Content-Type: multipart\/mixed/);
    expect(logger.text()).not.toContain('secret-bootstrap-token');
    await d.remove();
  });

  it('falls back to poweroff when an ACPI shutdown does not finish in time', async () => {
    const logger = captureLogger();
    const d = await configuredDriver(
      mock,
      'lc-shutdown',
      {},
      { logger, timeouts: { shutdownMs: 150, busyRetryMs: 40 } },
    );
    await d.create();
    mock.faults.add({
      match: { method: 'POST', path: '/servers/{id}/actions/shutdown' },
      when: { times: 1 },
      effect: { actionDurationMs: 800, command: 'shutdown_server' },
    });
    await d.stop();
    expect(await d.getState()).toBe(MachineState.Stopped);
    expect(logger.text()).toMatch(/did not shut down in time; powering it off/);
    expect(mock.requests.some((r) => r.path.endsWith('/actions/poweroff'))).toBe(true);
    await d.remove();
  });
});

describe('power operations', () => {
  it('are idempotent: start when running, kill/stop when off, restart when off starts', async () => {
    const d = await configuredDriver(mock, 'pw-idem');
    await d.create();
    const before = mock.requests.length;
    await d.start();
    expect(mock.requests.slice(before).some((r) => r.method === 'POST')).toBe(false);
    await d.kill();
    await d.kill();
    await d.stop();
    expect(await d.getState()).toBe(MachineState.Stopped);
    await d.restart();
    expect(await d.getState()).toBe(MachineState.Running);
    await d.remove();
  });

  it('takes the token and endpoint from the environment when the flags carry only defaults', async () => {
    const d = newDriver({ env: { HETZNER_API_TOKEN: TOKEN, HETZNER_API_ENDPOINT: mock.url } });
    await d.setConfigRaw(configJson('pw-env', tempStore()));
    await d.setConfigFromFlags(new Map([['hetzner-api-token', '']]));
    await d.preCreateCheck();
    const cfg = JSON.parse(new TextDecoder().decode(await d.getConfigRaw()));
    expect(cfg.APIEndpoint).toBe(mock.url);
    // The environment supplies the token to every process, so the stored state need not carry it.
    expect(cfg.AccessToken).toBe('');
  });
});

describe('Remove', () => {
  it('cleans up by label after a Create whose state was never saved (no ID)', async () => {
    const store = tempStore();
    const creator = await configuredDriver(mock, 'rm-nostate', {}, { store });
    await creator.create();
    expect(resourcesOf(mock, 'rm-nostate').servers).toHaveLength(1);

    // What `rm` does: a fresh process with only the BaseDriver JSON rancher-machine had before Create.
    const d = newDriver({ env: { HETZNER_API_TOKEN: TOKEN, HETZNER_API_ENDPOINT: mock.url } });
    await d.setConfigRaw(configJson('rm-nostate', store));
    expect(await d.getState()).toBe(MachineState.Running);
    await d.remove();
    expect(resourcesOf(mock, 'rm-nostate')).toEqual({ servers: [], keys: [] });
  });

  it('treats an already deleted machine as success, twice', async () => {
    const d = await configuredDriver(mock, 'rm-twice');
    await d.create();
    const saved = await d.getConfigRaw();
    await d.remove();
    const again = newDriver({ env: mockEnv(mock, { HETZNER_API_TOKEN: TOKEN }) });
    await again.setConfigRaw(saved);
    await expect(again.remove()).resolves.toBeUndefined();
    expect(await again.getState()).toBe(MachineState.NotFound);
    await expect(again.start()).rejects.toThrow(/not found/);
  });

  it('removes a machine of the Go driver by its stored IDs, with the token from the environment', async () => {
    const srv = mock.state.addServer({ name: 'go-machine', serverType: 'cx23', location: 'fsn1', labels: {} });
    const key = {
      id: mock.state.nextId(),
      name: 'go-machine',
      fingerprint: 'aa:bb',
      public_key: 'ssh-ed25519 AAAA',
      labels: {},
      created: new Date().toISOString(),
    };
    mock.state.sshKeys.set(key.id, key);
    const goJson = JSON.stringify({
      IPAddress: '203.0.113.200',
      MachineName: 'go-machine',
      StorePath: tempStore(),
      AccessToken: 'stale-token',
      Image: 'ubuntu-24.04',
      ImageID: 0,
      Type: 'cx23',
      Location: 'fsn1',
      KeyID: key.id,
      IsExistingKey: false,
      ServerID: srv.id,
      Networks: null,
      Firewalls: null,
      ServerLabels: null,
      Volumes: null,
    });
    const d = newDriver({ env: { HETZNER_API_TOKEN: TOKEN, HETZNER_API_ENDPOINT: mock.url } });
    await d.setConfigRaw(new TextEncoder().encode(goJson));
    await d.remove();
    expect(mock.state.servers.has(srv.id)).toBe(false);
    expect(mock.state.sshKeys.has(key.id)).toBe(false);
  });

  it('keeps a key the Go driver marked as existing', async () => {
    const admin = [...mock.state.sshKeys.values()].find((k) => k.name === 'admin')!;
    const d = newDriver({ env: { HETZNER_API_TOKEN: TOKEN, HETZNER_API_ENDPOINT: mock.url } });
    await d.setConfigRaw(configJson('go-existing', tempStore(), { KeyID: admin.id, IsExistingKey: true }));
    await d.remove();
    expect(mock.state.sshKeys.has(admin.id)).toBe(true);
  });

  it('never deletes a server it did not create, even when a stored ID points at it', async () => {
    const other = [...mock.state.servers.values()].find((s) => s.name === 'existing-web-1')!;
    const logger = captureLogger();
    const d = new HetznerDriver({
      logger,
      env: { HETZNER_API_TOKEN: TOKEN, HETZNER_API_ENDPOINT: mock.url },
      timeouts: FAST_TIMEOUTS,
    });
    await d.setConfigRaw(configJson('rm-foreign', tempStore(), { ServerID: other.id, KeyID: 0 }));
    await d.remove();
    expect(mock.state.servers.has(other.id)).toBe(true);
    expect(logger.text()).toMatch(/leaving it alone/);
  });

  it('fails a Remove that could not reach the API in words rancher-machine cannot mistake for "gone"', async () => {
    // `rm` counts any Remove error containing "not found" as success and forgets the machine; a proxy's or a wrong
    // endpoint's 404 page must not make it drop a server that is still there (and still billed).
    const d = await configuredDriver(mock, 'rm-proxy-404');
    await d.create();
    const saved = await d.getConfigRaw();
    const proxy = createServer((_req, res) => {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('404 page not found\n');
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    try {
      const { port } = proxy.address() as AddressInfo;
      const lost = newDriver({
        env: { HETZNER_API_TOKEN: TOKEN, HETZNER_API_ENDPOINT: `http://127.0.0.1:${port}/v1` },
      });
      await lost.setConfigRaw(saved);
      const err = await lost.remove().then(
        () => null,
        (e: unknown) => e as Error,
      );
      expect(err).toBeInstanceOf(Error);
      expect(err!.message).toMatch(/HTTP 404/);
      expect(err!.message).not.toMatch(/not found/i);
      expect(resourcesOf(mock, 'rm-proxy-404').servers).toHaveLength(1);
    } finally {
      await new Promise((r) => proxy.close(r));
    }
    await d.remove();
    expect(resourcesOf(mock, 'rm-proxy-404')).toEqual({ servers: [], keys: [] });
  });

  it('explains delete protection instead of failing obscurely', async () => {
    const d = await configuredDriver(mock, 'rm-protected');
    await d.create();
    const srv = resourcesOf(mock, 'rm-protected').servers[0]!;
    srv.protection.delete = true;
    await expect(d.remove()).rejects.toThrow(/delete protection enabled: turn it off in the Hetzner Cloud Console/);
    srv.protection.delete = false;
    await d.remove();
    expect(resourcesOf(mock, 'rm-protected')).toEqual({ servers: [], keys: [] });
  });

  it('retries a delete that meets locked and conflict', async () => {
    const d = await configuredDriver(mock, 'rm-locked');
    await d.create();
    mock.faults.add({
      match: { method: 'DELETE', path: '/servers/{id}' },
      when: { times: 2 },
      effect: { status: 423, code: 'locked' },
    });
    mock.faults.add({
      match: { method: 'DELETE', path: '/ssh_keys/{id}' },
      when: { times: 1 },
      effect: { status: 409, code: 'conflict' },
    });
    await d.remove();
    expect(resourcesOf(mock, 'rm-locked')).toEqual({ servers: [], keys: [] });
  });
});

describe('idempotent retries', () => {
  it('removes a server and key left by an earlier failed attempt before creating again', async () => {
    const labels = { 'managed-by': 'rancher-machine', machine: 'retry-1' };
    const stale = mock.state.addServer({ name: 'retry-1', serverType: 'cx23', location: 'fsn1', labels });
    const staleKey = {
      id: mock.state.nextId(),
      name: 'retry-1-00000000',
      fingerprint: '00:11',
      public_key: 'ssh-ed25519 AAAA',
      labels,
      created: new Date().toISOString(),
    };
    mock.state.sshKeys.set(staleKey.id, staleKey);
    const d = await configuredDriver(mock, 'retry-1');
    await d.preCreateCheck();
    await d.create();
    const { servers, keys } = resourcesOf(mock, 'retry-1');
    expect(servers.map((s) => s.id)).not.toContain(stale.id);
    expect(servers).toHaveLength(1);
    // The stale key is gone with its server; the new one was deleted once the new server had it.
    expect(keys).toEqual([]);
    await d.remove();
    expect(resourcesOf(mock, 'retry-1')).toEqual({ servers: [], keys: [] });
  });

  it('replaces a key of an earlier attempt that holds the machine name, without a leftover server', async () => {
    const labels = { 'managed-by': 'rancher-machine', machine: 'retry-k' };
    const staleKey = {
      id: mock.state.nextId(),
      name: 'retry-k',
      fingerprint: '00:22',
      public_key: 'ssh-ed25519 AAAA',
      labels,
      created: new Date().toISOString(),
    };
    mock.state.sshKeys.set(staleKey.id, staleKey);
    const logger = captureLogger();
    const d = await configuredDriver(mock, 'retry-k', {}, { logger });
    await d.preCreateCheck();
    await d.create();
    expect(logger.text()).toMatch(/Removing SSH key retry-k left by an earlier attempt/);
    const uploads = mock.requests.filter((r) => r.method === 'POST' && r.path === '/ssh_keys').slice(-2);
    expect(uploads.map((r) => (r.body as { name: string }).name)).toEqual(['retry-k', 'retry-k']);
    expect(mock.state.sshKeys.has(staleKey.id)).toBe(false);
    expect(resourcesOf(mock, 'retry-k').servers).toHaveLength(1);
    await d.remove();
    expect(resourcesOf(mock, 'retry-k')).toEqual({ servers: [], keys: [] });
  });

  it("keeps someone else's key that holds the machine name and uploads its own under a suffix", async () => {
    const foreign = {
      id: mock.state.nextId(),
      name: 'retry-f',
      fingerprint: '00:33',
      public_key: 'ssh-ed25519 AAAB',
      labels: {},
      created: new Date().toISOString(),
    };
    mock.state.sshKeys.set(foreign.id, foreign);
    const d = await configuredDriver(mock, 'retry-f');
    await d.preCreateCheck();
    await d.create();
    expect(mock.state.sshKeys.get(foreign.id)).toEqual(foreign);
    const cfg = JSON.parse(new TextDecoder().decode(await d.getConfigRaw()));
    expect(cfg.KeyName).toMatch(/^retry-f-[0-9a-f]{8}$/);
    expect(serverBody('retry-f').ssh_keys).toEqual([cfg.KeyID]);
    await d.remove();
    expect(mock.state.sshKeys.get(foreign.id)).toEqual(foreign);
    mock.state.sshKeys.delete(foreign.id);
    expect(resourcesOf(mock, 'retry-f')).toEqual({ servers: [], keys: [] });
  });

  it('adopts the server when the answer to POST /servers was lost and the retry meets uniqueness_error', async () => {
    mock.faults.add({
      match: { method: 'POST', path: '/servers' },
      when: { times: 1 },
      effect: { applyThen: { status: 504, code: 'timeout', message: 'gateway timeout' } },
    });
    const logger = captureLogger();
    const d = await configuredDriver(mock, 'retry-adopt', {}, { logger });
    await d.create();
    expect(logger.text()).toMatch(/Adopting server retry-adopt/);
    expect(resourcesOf(mock, 'retry-adopt').servers).toHaveLength(1);
    expect(await d.getState()).toBe(MachineState.Running);
    await d.remove();
    expect(resourcesOf(mock, 'retry-adopt')).toEqual({ servers: [], keys: [] });
  });

  it('reuses its own key when the answer to POST /ssh_keys was lost', async () => {
    mock.faults.add({
      match: { method: 'POST', path: '/ssh_keys' },
      when: { times: 1 },
      effect: { applyThen: { status: 504, code: 'timeout', message: 'gateway timeout' } },
    });
    const logger = captureLogger();
    const d = await configuredDriver(mock, 'retry-key', {}, { logger });
    await d.create();
    expect(logger.text()).toMatch(/Reusing SSH key retry-key with the same fingerprint/);
    // The one key made was deleted once the server had it: a second key would still be there.
    expect(resourcesOf(mock, 'retry-key').keys).toEqual([]);
    await d.remove();
    expect(resourcesOf(mock, 'retry-key')).toEqual({ servers: [], keys: [] });
  });

  it('picks up a rotated token from HETZNER_API_TOKEN on SetConfigRaw', async () => {
    const d = await configuredDriver(mock, 'rotate');
    await d.create();
    const saved = JSON.parse(new TextDecoder().decode(await d.getConfigRaw()));
    saved.AccessToken = 'revoked-token';
    const later = newDriver({ env: mockEnv(mock, { HETZNER_API_TOKEN: TOKEN }) });
    await later.setConfigRaw(new TextEncoder().encode(JSON.stringify(saved)));
    expect(await later.getState()).toBe(MachineState.Running);
    await later.remove();
    expect(resourcesOf(mock, 'rotate')).toEqual({ servers: [], keys: [] });
  });
});
