// Every PreCreateCheck rule, with its message: the static ones and those that ask the (mock) API.
import type { MockServer } from 'hcloud-mock';
import { describe, expect, it } from 'vitest';
import type { FlagValue } from '../../src/driver/interface';
import {
  captureLogger,
  configJson,
  configuredDriver,
  fastMockPerFile,
  flags,
  mockEnv,
  newDriver,
  TOKEN,
  tempStore,
} from './helpers';

let mock: MockServer;
fastMockPerFile({ tokens: [TOKEN] }, (m) => {
  mock = m;
});

async function check(values: Record<string, FlagValue>, name = 'm-check') {
  const logger = captureLogger();
  const d = await configuredDriver(mock, name, values, { logger });
  let error: Error | null = null;
  try {
    await d.preCreateCheck();
  } catch (e) {
    error = e as Error;
  }
  const warnings = logger.lines.filter((l) => l.startsWith('warn '));
  return { error, warnings };
}

const bigUserData = `#cloud-config\n#${'x'.repeat(33 * 1024)}\n`;

/** [rule, flags, flag named in the message, message pattern] */
const ERRORS: Array<[string, Record<string, FlagValue>, string, RegExp]> = [
  ['missing token', { 'hetzner-api-token': '' }, 'hetzner-api-token', /no API token.*HETZNER_API_TOKEN/],
  [
    'both public IPs off without private network',
    { 'hetzner-disable-public-ipv4': true, 'hetzner-disable-public-ipv6': true },
    'hetzner-disable-public-ipv4',
    /both public IPv4 and public IPv6 are disabled.*--hetzner-use-private-network/,
  ],
  [
    'private network without networks',
    { 'hetzner-use-private-network': true },
    'hetzner-use-private-network',
    /add the network to --hetzner-networks/,
  ],
  [
    'auto-create-firewall-rules with IPv4 off',
    {
      'hetzner-create-firewall': true,
      'hetzner-cluster-id': 'c1',
      'hetzner-auto-create-firewall-rules': true,
      'hetzner-disable-public-ipv4': true,
    },
    'hetzner-auto-create-firewall-rules',
    /public IPv4/,
  ],
  [
    'create-firewall together with firewalls',
    { 'hetzner-create-firewall': true, 'hetzner-cluster-id': 'c1', 'hetzner-firewalls': ['default-web'] },
    'hetzner-create-firewall',
    /cannot be combined with --hetzner-firewalls/,
  ],
  [
    'create-firewall without cluster-id',
    { 'hetzner-create-firewall': true },
    'hetzner-create-firewall',
    /set --hetzner-cluster-id/,
  ],
  ['firewall name too long', { 'hetzner-firewall-name': 'f'.repeat(129) }, 'hetzner-firewall-name', /128/],
  ['invalid server label', { 'hetzner-server-labels': ['bad key=1'] }, 'hetzner-server-labels', /invalid key/],
  ['reserved server label', { 'hetzner-server-labels': ['machine=x'] }, 'hetzner-server-labels', /reserved/],
  ['unknown location', { 'hetzner-server-location': 'xyz1' }, 'hetzner-server-location', /"xyz1" does not exist/],
  ['unknown server type', { 'hetzner-server-type': 'cx999' }, 'hetzner-server-type', /"cx999" does not exist/],
  ['deprecated server type', { 'hetzner-server-type': 'cx22' }, 'hetzner-server-type', /deprecated in fsn1/],
  [
    'server type sold out in the location',
    { 'hetzner-server-type': 'ccx13', 'hetzner-server-location': 'sin' },
    'hetzner-server-type',
    /sold out in sin/,
  ],
  ['unknown image', { 'hetzner-image': 'plan9-4' }, 'hetzner-image', /"plan9-4" does not exist/],
  ['unknown network', { 'hetzner-networks': ['nope'] }, 'hetzner-networks', /network "nope" does not exist/],
  [
    'network without a subnet in the location zone',
    { 'hetzner-networks': ['private'], 'hetzner-server-location': 'ash' },
    'hetzner-networks',
    /no subnet in network zone us-east/,
  ],
  ['unknown firewall', { 'hetzner-firewalls': ['nope'] }, 'hetzner-firewalls', /firewall "nope" does not exist/],
  ['unknown placement group', { 'hetzner-placement-group': 'nope' }, 'hetzner-placement-group', /does not exist/],
  ['unknown SSH key', { 'hetzner-existing-ssh-key': 'nope' }, 'hetzner-existing-ssh-key', /SSH key "nope" does not/],
  ['user data over 32 KiB', { 'hetzner-user-data': bigUserData }, 'hetzner-user-data', /32 KiB/],
  [
    'user data path that does not exist',
    { 'hetzner-user-data': '/tmp/modified-user-data-gone' },
    'hetzner-user-data',
    /names no file the driver can use/,
  ],
  [
    'additional user data without a header',
    { 'hetzner-user-data': '#cloud-config\n', 'hetzner-additional-user-data': 'packages: [jq]' },
    'hetzner-additional-user-data',
    /must start with "#cloud-config"/,
  ],
];

describe('PreCreateCheck errors', () => {
  it.each(ERRORS)('%s', async (_rule, values, flag, pattern) => {
    const { error } = await check(values);
    expect(error).not.toBeNull();
    expect(error!.message).toContain(`${flag}:`);
    expect(error!.message).toMatch(pattern);
  });

  it('reports a rejected token once, naming the flag and the fix', async () => {
    const { error } = await check({ 'hetzner-api-token': 'wrong-token' });
    expect(error!.message).toMatch(/hetzner-api-token: the Hetzner API rejected the token.*read & write token/);
    expect(error!.message).not.toContain('wrong-token');
  });

  it('reports an unreachable endpoint against HETZNER_API_ENDPOINT', async () => {
    const d = await configuredDriver(mock, 'm-check', {}, { env: { HETZNER_API_ENDPOINT: 'http://127.0.0.1:1/v1' } });
    await expect(d.preCreateCheck()).rejects.toThrow(/HETZNER_API_ENDPOINT: cannot talk to the Hetzner API/);
  });

  it('refuses an image of the wrong architecture', async () => {
    const arm = [...mock.state.images.values()].find((i) => i.architecture === 'arm' && i.type === 'snapshot')!;
    const { error } = await check({ 'hetzner-image': String(arm.id) });
    expect(error!.message).toMatch(/hetzner-image: .* built for arm, but server type cx23 is x86/);
  });

  it('refuses a type not offered in the location', async () => {
    const type = [...mock.state.serverTypes.values()].find((t) => t.name === 'cpx32')!;
    const saved = type.locations;
    type.locations = saved.filter((l) => l.name !== 'hel1');
    try {
      const { error } = await check({ 'hetzner-server-type': 'cpx32', 'hetzner-server-location': 'hel1' });
      expect(error!.message).toMatch(/hetzner-server-type: server type cpx32 is not offered in hel1/);
    } finally {
      type.locations = saved;
    }
  });

  it('refuses a full placement group', async () => {
    const pg = [...mock.state.placementGroups.values()].find((p) => p.name === 'spread-demo')!;
    const saved = pg.servers;
    pg.servers = Array.from({ length: 10 }, (_, i) => 100 + i);
    try {
      const { error } = await check({ 'hetzner-placement-group': 'spread-demo' });
      expect(error!.message).toMatch(/hetzner-placement-group: .* already holds 10 servers/);
    } finally {
      pg.servers = saved;
    }
  });

  it('refuses a machine name taken by a server it did not create (at the create, which the name stops)', async () => {
    // The name is not looked up beforehand (a request every create would pay): POST /servers meets the server.
    const other = [...mock.state.servers.values()].find((s) => s.name === 'existing-web-1')!;
    const before = JSON.stringify(other);
    const d = await configuredDriver(mock, 'existing-web-1');
    await d.preCreateCheck();
    await expect(d.create()).rejects.toThrow(
      /a server named "existing-web-1" already exists.*Nothing was deleted.*Everything it created has been removed/,
    );
    expect(JSON.stringify(mock.state.servers.get(other.id))).toBe(before);
    expect([...mock.state.sshKeys.values()].filter((k) => k.labels.machine === 'existing-web-1')).toEqual([]);
  });

  it('lists every problem in one error', async () => {
    const { error } = await check({
      'hetzner-server-type': 'cx999',
      'hetzner-networks': ['nope'],
      'hetzner-firewalls': ['nope'],
    });
    expect(error!.message).toMatch(/3 problems/);
  });

  it('rejects an invalid machine name', async () => {
    const d = newDriver({ env: mockEnv(mock) });
    await d.setConfigRaw(configJson('bad_name!', tempStore()));
    await d.setConfigFromFlags(flags(mock));
    await expect(d.preCreateCheck()).rejects.toThrow(/machine name: "bad_name!" is not a valid server name/);
  });
});

const WARNINGS: Array<[string, Record<string, FlagValue>, RegExp]> = [
  [
    'create-firewall with IPv4 off',
    { 'hetzner-create-firewall': true, 'hetzner-cluster-id': 'c1', 'hetzner-disable-public-ipv4': true },
    /hetzner-create-firewall: this node has no public IPv4/,
  ],
  [
    'IPv6-only node in a cluster',
    { 'hetzner-cluster-id': 'c1', 'hetzner-disable-public-ipv4': true },
    /hetzner-disable-public-ipv4: this is an IPv6-only node in a cluster/,
  ],
  ['firewall name without create-firewall', { 'hetzner-firewall-name': 'fw' }, /hetzner-firewall-name: has no effect/],
  [
    'auto rules without create-firewall',
    { 'hetzner-auto-create-firewall-rules': true },
    /hetzner-auto-create-firewall-rules: has no effect/,
  ],
  ['deprecated image', { 'hetzner-image': 'ubuntu-20.04' }, /hetzner-image: image ubuntu-20.04 is deprecated/],
];

describe('PreCreateCheck warnings', () => {
  it.each(WARNINGS)('%s', async (_rule, values, pattern) => {
    const { error, warnings } = await check(values);
    expect(error).toBeNull();
    expect(warnings.join('\n')).toMatch(pattern);
  });
});

describe('PreCreateCheck success', () => {
  it('resolves networks, firewalls, placement group, SSH key and a snapshot by name or ID, creating nothing', async () => {
    const before = mock.requests.length;
    const net = [...mock.state.networks.values()].find((n) => n.name === 'private')!;
    const snap = [...mock.state.images.values()].find((i) => i.description === 'rancher-node-base x86')!;
    const cases: Array<Record<string, FlagValue>> = [
      {
        'hetzner-networks': [String(net.id)],
        'hetzner-use-private-network': true,
        'hetzner-firewalls': ['default-web'],
        'hetzner-placement-group': 'spread-demo',
        'hetzner-existing-ssh-key': 'admin',
        'hetzner-image': String(snap.id),
      },
      { 'hetzner-image': 'rancher-node-base x86', 'hetzner-networks': ['private'] },
      { 'hetzner-server-type': 'cax11', 'hetzner-image': 'ubuntu-24.04' },
    ];
    for (const values of cases) {
      const { error } = await check(values);
      expect(error).toBeNull();
    }
    const made = mock.requests.slice(before).filter((r) => r.method !== 'GET');
    expect(made).toEqual([]);
  });
});
