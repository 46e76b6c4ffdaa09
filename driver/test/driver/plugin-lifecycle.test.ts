// The lifecycle THROUGH THE PLUGIN PROTOCOL: our plugin process (or the built binary when HETZNER_DRIVER_BINARY is
// set), driven as rancher-machine drives it, against the mock API.
import type { MockServer } from 'hcloud-mock';
import { describe, expect, it } from 'vitest';
import { createFlags } from '../../src/driver';
import type { FlagValue } from '../../src/driver/interface';
import { MachineState } from '../../src/driver/interface';
import type { PluginClient } from '../../src/plugin/client';
import { baseConfig, flagDefaults, spawnDriverPlugin } from '../fixtures/plugin-session';
import { fastMockPerFile, resourcesOf, TOKEN, tempStore } from './helpers';

let mock: MockServer;
fastMockPerFile({ tokens: [TOKEN] }, (m) => {
  mock = m;
});

interface Session {
  client: PluginClient;
  out: string[];
  err: string[];
}

async function spawnPlugin(env: Record<string, string> = {}): Promise<Session> {
  const out: string[] = [];
  const err: string[] = [];
  const client = await spawnDriverPlugin({
    env: { ...process.env, HETZNER_DRIVER_POLL_MS: '20', HETZNER_API_ENDPOINT: mock.url, ...env },
    onStdout: (l) => out.push(l),
    onStderr: (l) => err.push(l),
    addressTimeoutMs: 20_000,
  });
  expect(await client.getVersion()).toBe(1);
  return { client, out, err };
}

/** What rancher-machine's getDriverOpts sends: every flag's default, our values, and its own create flags. */
async function driverOpts(client: PluginClient, values: Record<string, FlagValue>): Promise<Map<string, FlagValue>> {
  const opts = await flagDefaults(client);
  opts.set('swarm-master', false);
  opts.set('engine-install-url', 'https://get.docker.com');
  opts.set('hetzner-api-endpoint', mock.url);
  for (const [k, v] of Object.entries(values)) opts.set(k, v);
  return opts;
}

/** create → Running → stop → start → restart → kill in one process; remove in a second one, as `rm` does. */
async function lifecycle(name: string, values: Record<string, FlagValue>) {
  const store = tempStore();
  const s = await spawnPlugin({ HETZNER_API_TOKEN: TOKEN });
  const { client } = s;
  try {
    await client.setConfigRaw(baseConfig(name, store));
    expect(await client.getMachineName()).toBe(name);
    expect(await client.driverName()).toBe('hetzner');
    await client.setConfigFromFlags(await driverOpts(client, values));
    await client.preCreateCheck();
    await client.create();
    const saved = await client.getConfigRawBytes();
    // The server's IPs in its private networks, as the API has them.
    const privateIps = resourcesOf(mock, name).servers.flatMap((srv) => srv.privateNet.map((p) => p.ip));
    expect(await client.getState()).toBe(MachineState.Running);
    const ip = await client.getIP();
    expect(await client.getSSHHostname()).toBe(ip);
    expect(await client.getSSHKeyPath()).toBe(`${store}/machines/${name}/id_rsa`);
    await client.stop();
    expect(await client.getState()).toBe(MachineState.Stopped);
    await client.start();
    expect(await client.getState()).toBe(MachineState.Running);
    await client.restart();
    expect(await client.getState()).toBe(MachineState.Running);
    await client.kill();
    expect(await client.getState()).toBe(MachineState.Stopped);
    await client.close();
    expect(s.out.some((l) => l.includes(`Creating server ${name} (`))).toBe(true);
    expect([...s.out, ...s.err].join('\n')).not.toContain(TOKEN);

    const rm = await spawnPlugin({ HETZNER_API_TOKEN: TOKEN });
    await rm.client.setConfigRaw(saved);
    await rm.client.remove();
    expect(await rm.client.getState()).toBe(MachineState.NotFound);
    await rm.client.close();
    expect(resourcesOf(mock, name)).toEqual({ servers: [], keys: [] });
    const stored = JSON.parse(new TextDecoder().decode(saved)) as Record<string, unknown>;
    return { ip, stored, privateIps };
  } finally {
    await client.killProcess().catch(() => {});
  }
}

// Plugin processes start slowly on a loaded machine (tsx compiles the driver on the fly).
const PLUGIN_TEST_TIMEOUT = 120_000;

describe('plugin protocol lifecycle', () => {
  it(
    'default flags, and IPv4 off',
    async () => {
      const [a, b] = await Promise.all([
        lifecycle('pl-default', {}),
        lifecycle('pl-v6', { 'hetzner-disable-public-ipv4': true }),
      ]);
      expect(a.ip).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
      expect(b.ip).toMatch(/::1$/);
    },
    PLUGIN_TEST_TIMEOUT,
  );

  it(
    'private network, and existing SSH key + placement group + firewalls + labels',
    async () => {
      const [a, b, c] = await Promise.all([
        lifecycle('pl-private', { 'hetzner-use-private-network': true, 'hetzner-networks': ['private'] }),
        lifecycle('pl-net-public', { 'hetzner-networks': ['private'] }),
        lifecycle('pl-extras', {
          'hetzner-existing-ssh-key': 'admin',
          'hetzner-placement-group': 'spread-demo',
          'hetzner-firewalls': ['default-web'],
          'hetzner-server-labels': ['env=test'],
          'hetzner-cluster-id': 'c-plugin',
        }),
      ]);
      expect(a.ip).toMatch(/^10\.0\./);
      // Rancher's planner takes the node's internal address from the stored PrivateIPAddress, its external one from
      // IPAddress: with a network attached the first is the server's IP there, whatever Rancher connects to.
      expect(a.privateIps).toEqual([a.ip]);
      expect(a.stored).toMatchObject({ IPAddress: a.ip, PrivateIPAddress: a.ip });
      expect(b.ip).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
      expect(b.privateIps).toEqual([expect.stringMatching(/^10\.0\.1\.\d+$/)]);
      expect(b.stored).toMatchObject({ IPAddress: b.ip, PrivateIPAddress: b.privateIps[0] });
      expect(c.privateIps).toEqual([]);
      expect(c.stored).toMatchObject({ PrivateIPAddress: '' });
    },
    PLUGIN_TEST_TIMEOUT,
  );

  it(
    'Remove after a Create whose state was never saved cleans up by label; errors reach the client',
    async () => {
      const store = tempStore();
      const s = await spawnPlugin({ HETZNER_API_TOKEN: TOKEN });
      await s.client.setConfigRaw(baseConfig('pl-nostate', store));
      await s.client.setConfigFromFlags(await driverOpts(s.client, {}));
      await s.client.create();
      await s.client.close();
      expect(resourcesOf(mock, 'pl-nostate').servers).toHaveLength(1);

      const rm = await spawnPlugin({ HETZNER_API_TOKEN: TOKEN, HETZNER_API_ENDPOINT: mock.url });
      await rm.client.setConfigRaw(baseConfig('pl-nostate', store));
      await rm.client.remove();
      expect(resourcesOf(mock, 'pl-nostate')).toEqual({ servers: [], keys: [] });
      await expect(rm.client.start()).rejects.toThrow(/not found/);
      await rm.client.close();
    },
    PLUGIN_TEST_TIMEOUT,
  );

  it(
    'PreCreateCheck errors arrive as the RPC error string',
    async () => {
      const s = await spawnPlugin({ HETZNER_API_TOKEN: TOKEN });
      expect(await s.client.getCreateFlags()).toEqual(createFlags());
      await s.client.setConfigRaw(baseConfig('pl-bad', tempStore()));
      await s.client.setConfigFromFlags(await driverOpts(s.client, { 'hetzner-server-type': 'cx999' }));
      await expect(s.client.preCreateCheck()).rejects.toThrow(
        /hetzner-server-type: server type "cx999" does not exist/,
      );
      await s.client.close();
      expect(resourcesOf(mock, 'pl-bad')).toEqual({ servers: [], keys: [] });
    },
    PLUGIN_TEST_TIMEOUT,
  );
});
