// The machine state the driver hands rancher-machine (GetConfigRaw → config.json "Driver"), which Rancher's planner
// reads for the node's addresses: IPAddress (what Rancher connects to, the node's external address) and
// PrivateIPAddress (the node's internal address, the server's IP in its private network). Golden shapes of what a
// create stores, and configs saved before PrivateIPAddress existed, which must still load and remove their machine.
import type { MockServer } from 'hcloud-mock';
import { describe, expect, it } from 'vitest';
import { firstHostOf } from '../../src/driver/addresses';
import type { FlagValue } from '../../src/driver/interface';
import { mockApi } from '../fixtures/mock-api';
import { configuredDriver, fastMockPerFile, mockEnv, newDriver, resourcesOf, TOKEN, tempStore } from './helpers';

let mock: MockServer;
fastMockPerFile({ tokens: [TOKEN] }, (m) => {
  mock = m;
});

type Stored = Record<string, unknown>;

async function created(name: string, values: Record<string, FlagValue>, store = tempStore()) {
  const d = await configuredDriver(mock, name, values, { store, env: { HETZNER_API_TOKEN: TOKEN } });
  await d.preCreateCheck();
  await d.create();
  const stored = JSON.parse(new TextDecoder().decode(await d.getConfigRaw())) as Stored;
  const server = resourcesOf(mock, name).servers[0]!;
  return { d, stored, server, store };
}

function publicV4(server: { ipv4: number | null }): string {
  return server.ipv4 ? mock.state.primaryIps.get(server.ipv4)!.ip : '';
}
function publicV6(server: { ipv6: number | null }): string {
  return server.ipv6 ? firstHostOf(mock.state.primaryIps.get(server.ipv6)!.ip) : '';
}
function networkId(name: string): number {
  return [...mock.state.networks.values()].find((n) => n.name === name)!.id;
}
function ipIn(server: { privateNet: Array<{ network: number; ip: string }> }, network: string): string {
  return server.privateNet.find((p) => p.network === networkId(network))!.ip;
}

/** A fresh process (rancher-machine's `rm`) that gets only the stored JSON, removes the machine. */
async function removeWith(name: string, json: string): Promise<void> {
  const rm = newDriver({ env: mockEnv(mock, { HETZNER_API_TOKEN: TOKEN }) });
  await rm.setConfigRaw(new TextEncoder().encode(json));
  await rm.remove();
  expect(resourcesOf(mock, name)).toEqual({ servers: [], keys: [] });
}

describe('stored addresses', () => {
  it('a private network without use-private-network: Rancher connects publicly, the private IP is stored too', async () => {
    const name = 'sc-net-public';
    const store = tempStore();
    const { d, stored, server } = await created(name, { 'hetzner-networks': ['private'] }, store);
    const privateIp = ipIn(server, 'private');
    expect(privateIp).toMatch(/^10\.0\.1\.\d+$/);
    // The stored document, key for key: rancher-machine and Rancher's planner read these names (keys a later flag
    // adds may follow; config-golden.test.ts holds the previous release's document).
    expect(stored).toMatchObject({
      IPAddress: publicV4(server),
      IPv6Address: publicV6(server),
      PrivateIPAddress: privateIp,
      MachineName: name,
      SSHUser: 'root',
      SSHPort: 22,
      SSHKeyPath: `${store}/machines/${name}/id_rsa`,
      StorePath: store,
      SwarmMaster: false,
      SwarmHost: '',
      SwarmDiscovery: '',
      // The token came from the environment, which every later process gets again: not stored.
      AccessToken: '',
      Image: 'ubuntu-24.04',
      ImageID: server.imageId,
      ImageArch: 'x86',
      Type: 'cx23',
      Location: 'fsn1',
      // The key the server was made with; Create deleted it once the server had it (KeyDeleted).
      KeyID: (
        mock.requests.findLast((r) => r.method === 'POST' && r.path === '/servers')!.body as { ssh_keys: number[] }
      ).ssh_keys[0],
      IsExistingKey: false,
      ServerID: server.id,
      Networks: ['private'],
      UsePrivateNetwork: false,
      DisablePublic4: false,
      DisablePublic6: false,
      Firewalls: [],
      ServerLabels: {},
      AdditionalKeys: [],
      AdditionalKeyIDs: [],
      APIEndpoint: mock.url,
      PlacementGroup: '',
      CreateFirewall: false,
      FirewallName: '',
      AutoCreateFirewallRules: false,
      ClusterID: '',
      ExistingSSHKey: '',
      KeyName: name,
      KeyDeleted: true,
      RDNSTemplate: '',
      FirewallAdminCIDRs: [],
      FirewallCloseNodePorts: false,
      PrimaryIPv4: '',
      PrimaryIPv6: '',
      Volumes: [],
      PlacementGroupSpread: false,
      AutoPlacementGroupID: 0,
    });
    expect(await d.getIP()).toBe(publicV4(server));
    await removeWith(name, JSON.stringify(stored));
  });

  it('use-private-network: Rancher connects to the private IP, which is also the internal address', async () => {
    const name = 'sc-net-private';
    const { stored, server } = await created(name, {
      'hetzner-networks': ['private'],
      'hetzner-use-private-network': true,
    });
    const privateIp = ipIn(server, 'private');
    expect(stored).toMatchObject({
      IPAddress: privateIp,
      PrivateIPAddress: privateIp,
      IPv6Address: publicV6(server),
      UsePrivateNetwork: true,
    });
    await removeWith(name, JSON.stringify(stored));
  });

  it('two networks: the first listed one is the internal address, also when it is attached after the create', async () => {
    await mockApi(mock, TOKEN, 'POST', '/networks', {
      name: 'sc-second',
      ip_range: '10.30.0.0/16',
      subnets: [{ type: 'cloud', ip_range: '10.30.1.0/24', network_zone: 'eu-central' }],
    });
    const name = 'sc-two-nets';
    // sc-second with a subnet is attached after the server is made; private goes into the create request.
    const { stored, server } = await created(name, { 'hetzner-networks': ['sc-second:10.30.1.0/24', 'private'] });
    expect(server.privateNet).toHaveLength(2);
    expect(stored.PrivateIPAddress).toBe(ipIn(server, 'sc-second'));
    expect(stored.PrivateIPAddress).toMatch(/^10\.30\.1\.\d+$/);
    expect(stored.IPAddress).toBe(publicV4(server));
    await removeWith(name, JSON.stringify(stored));
  });

  it('no network: no internal address; IPv6 only: IPAddress is the ::1 of the /64', async () => {
    const a = await created('sc-no-net', {});
    expect(a.stored).toMatchObject({ IPAddress: publicV4(a.server), PrivateIPAddress: '' });
    await removeWith('sc-no-net', JSON.stringify(a.stored));
    const b = await created('sc-v6-net', { 'hetzner-disable-public-ipv4': true, 'hetzner-networks': ['private'] });
    expect(b.stored).toMatchObject({
      IPAddress: publicV6(b.server),
      IPv6Address: publicV6(b.server),
      PrivateIPAddress: ipIn(b.server, 'private'),
    });
    await removeWith('sc-v6-net', JSON.stringify(b.stored));
  });
});

describe('configs saved before PrivateIPAddress existed', () => {
  it('load, report their addresses and remove their machine', async () => {
    const name = 'sc-old-release';
    const { stored, server } = await created(name, {
      'hetzner-networks': ['private'],
      'hetzner-use-private-network': true,
    });
    // What release 0.1.0 wrote: the same document without the key.
    const old: Stored = { ...stored };
    delete old.PrivateIPAddress;
    const d = newDriver({ env: mockEnv(mock, { HETZNER_API_TOKEN: TOKEN }) });
    await d.setConfigRaw(new TextEncoder().encode(JSON.stringify(old)));
    expect(await d.getIP()).toBe(ipIn(server, 'private'));
    // Written back with the key present but empty: the machine was not re-read, so nothing is claimed about it.
    const back = JSON.parse(new TextDecoder().decode(await d.getConfigRaw())) as Stored;
    expect(back.PrivateIPAddress).toBe('');
    expect({ ...back, PrivateIPAddress: undefined }).toEqual({ ...old, PrivateIPAddress: undefined });
    await removeWith(name, JSON.stringify(old));
  });

  it('a BaseDriver-only config saved before Create (no addresses at all) removes the labelled leftovers', async () => {
    const name = 'sc-old-precreate';
    await created(name, { 'hetzner-networks': ['private'] });
    await removeWith(
      name,
      JSON.stringify({
        IPAddress: '',
        MachineName: name,
        SSHUser: '',
        SSHPort: 0,
        SSHKeyPath: '',
        StorePath: tempStore(),
        SwarmMaster: false,
        SwarmHost: '',
        SwarmDiscovery: '',
      }),
    );
  });
});

describe('the API calls of these creates and removes', () => {
  it('never went to /datacenters, which the API no longer has', () => {
    const stats = mock.stats();
    expect(stats.total).toBeGreaterThan(0);
    expect(Object.keys(stats.byEndpoint).filter((e) => e.includes('datacenter'))).toEqual([]);
  });
});
