// Golden stored configs (driver/test/fixtures/configs): what the previous release of this driver and the Go driver
// (docker-machine-driver-hetzner) wrote must still load through SetConfigRaw, keep every value it holds, and remove
// its machine. Only what differs per run (IDs, addresses, paths, the mock's URL) is put into the files' values.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MockServer } from 'hcloud-mock';
import { describe, expect, it } from 'vitest';
import type { FlagValue } from '../../src/driver/interface';
import { configuredDriver, fastMockPerFile, mockEnv, newDriver, resourcesOf, TOKEN, tempStore } from './helpers';

let mock: MockServer;
fastMockPerFile({ tokens: [TOKEN] }, (m) => {
  mock = m;
});

type Stored = Record<string, unknown>;

function golden(name: string): Stored {
  return JSON.parse(readFileSync(join(import.meta.dirname, '../fixtures/configs', name), 'utf8')) as Stored;
}

async function stored(d: { getConfigRaw(): Promise<Uint8Array> }): Promise<Stored> {
  return JSON.parse(new TextDecoder().decode(await d.getConfigRaw())) as Stored;
}

function allFirewallRules(): string {
  return JSON.stringify([...mock.state.firewalls.values()].map((f) => f.rules));
}

function pick(from: Stored, keys: readonly string[]): Stored {
  return Object.fromEntries(keys.map((k) => [k, from[k]]));
}

/** The flags the rich golden config was made with (see the fixtures' README). */
const RICH_FLAGS: Record<string, FlagValue> = {
  'hetzner-server-type': 'cx23',
  'hetzner-server-location': 'nbg1',
  'hetzner-image': 'ubuntu-24.04',
  'hetzner-networks': ['private'],
  'hetzner-create-firewall': true,
  'hetzner-auto-create-firewall-rules': true,
  'hetzner-firewall-name': 'golden-fw',
  'hetzner-cluster-id': 'c-golden',
  'hetzner-existing-ssh-key': 'admin',
  'hetzner-ssh-user': 'root',
  'hetzner-ssh-port': 2222,
  'hetzner-server-labels': ['env=golden', 'team=platform'],
  'hetzner-rdns-template': '{{ machine }}.k8s.example.com',
  'hetzner-firewall-admin-cidrs': ['203.0.113.0/24', '2001:db8::/32'],
  'hetzner-firewall-close-nodeports': true,
  'hetzner-placement-group-spread': true,
  'hetzner-volumes': ['backup-1'],
  'hetzner-additional-user-data': '#cloud-config\nruncmd: [echo hi]\n',
};

/** What differs from run to run: made by the API, or where the store and the mock are. */
const PER_RUN = [
  'IPAddress',
  'IPv6Address',
  'PrivateIPAddress',
  'SSHKeyPath',
  'StorePath',
  'ImageID',
  'KeyID',
  'KeyName',
  'ServerID',
  'AdditionalKeyIDs',
  'AutoPlacementGroupID',
  'APIEndpoint',
] as const;

describe('a config the previous release stored for a machine with most flags set', () => {
  it('is what this version stores for the same flags, loads back unchanged, and removes its machine', async () => {
    const name = 'golden-rich';
    const made = await configuredDriver(mock, name, RICH_FLAGS, { env: { HETZNER_API_TOKEN: TOKEN } });
    await made.preCreateCheck();
    await made.create();
    const now = await stored(made);
    const old = { ...golden('driver-0.1.0-rich.json'), ...pick(now, PER_RUN) };
    // Every key of the old document, with the same value: a key renamed, dropped or stored in another shape fails
    // here. Keys a later version adds are allowed.
    expect(Object.keys(old)).toHaveLength(44);
    expect(pick(now, Object.keys(old))).toEqual(old);
    const server = resourcesOf(mock, name).servers[0]!;
    const group = mock.state.placementGroups.get(now.AutoPlacementGroupID as number)!;
    expect(group.servers).toContain(server.id);
    expect(allFirewallRules()).toContain(`"${now.IPAddress}/32"`);

    // A later process (rancher-machine's `rm`) gets only the stored JSON and the credential's environment.
    const rm = newDriver({ env: mockEnv(mock, { HETZNER_API_TOKEN: TOKEN }) });
    await rm.setConfigRaw(new TextEncoder().encode(JSON.stringify(old)));
    expect(pick(await stored(rm), Object.keys(old))).toEqual(old);
    expect(await rm.getSSHPort()).toBe(2222);
    await rm.remove();
    expect(resourcesOf(mock, name)).toEqual({ servers: [], keys: [] });
    expect(mock.state.placementGroups.has(group.id)).toBe(false);
    expect(allFirewallRules()).not.toContain(`"${now.IPAddress}/32"`);
  });
});

describe('a config the Go driver stored', () => {
  it('loads with every value the Go driver wrote, and removes its machine by the stored IDs', async () => {
    const name = 'go-legacy';
    const srv = mock.state.addServer({ name, serverType: 'cx23', location: 'nbg1', labels: {} });
    const key = {
      id: mock.state.nextId(),
      name,
      fingerprint: 'aa:bb:cc',
      public_key: 'ssh-ed25519 AAAA',
      labels: {},
      created: new Date().toISOString(),
    };
    mock.state.sshKeys.set(key.id, key);
    const go: Stored = { ...golden('go-driver-5.json'), ServerID: srv.id, KeyID: key.id, StorePath: tempStore() };

    const rm = newDriver({ env: mockEnv(mock, { HETZNER_API_TOKEN: TOKEN }) });
    await rm.setConfigRaw(new TextEncoder().encode(JSON.stringify(go)));
    const back = await stored(rm);
    // Every key the Go driver wrote and this driver knows keeps its value; nil slices read as empty ones, and the
    // token in the file gives way to the credential's (which, coming from the environment, is not stored).
    const kept = Object.keys(go).filter((k) => k in back);
    expect(kept.sort()).toEqual(
      Object.keys(go)
        .filter((k) => !k.startsWith('WaitOn') && k !== 'WaitForRunningTimeout')
        .sort(),
    );
    const nilAsEmpty = (v: unknown) => (v === null ? expect.anything() : v);
    expect(pick(back, kept)).toEqual({
      ...Object.fromEntries(kept.map((k) => [k, nilAsEmpty(go[k])])),
      AccessToken: '',
    });
    expect(back).toMatchObject({ Volumes: [], Firewalls: [], AdditionalKeys: [], AdditionalKeyIDs: [] });
    expect(await rm.getIP()).toBe('203.0.113.77');
    expect(await rm.getSSHUsername()).toBe('root');

    await rm.remove();
    expect(mock.state.servers.has(srv.id)).toBe(false);
    expect(mock.state.sshKeys.has(key.id)).toBe(false);
  });
});
