// Every typed endpoint sends exactly the request the API documents and unwraps the answer's envelope.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HcloudClient } from '../../src/hcloud';
import { action, type Recorded, type Scripted, type Step, startScript, TOKEN } from './scripted-server';

const L = 'page=1&per_page=50';
const list = (key: string, items: object[]) => ({ json: { [key]: items, meta: { pagination: { next_page: null } } } });
const body = (expected: unknown) => (r: Recorded) => expect(r.body).toEqual(expected);
const noBody = (r: Recorded) => {
  expect(r.rawBody).toBe('');
  expect(r.headers['content-type']).toBeUndefined();
};

interface Case {
  name: string;
  call: (c: HcloudClient) => Promise<unknown>;
  step: Step;
  result: unknown;
}

const a1 = action(1);
const cases: Case[] = [
  {
    name: 'servers.create',
    call: (c) =>
      c.servers.create({
        name: 'node-1',
        server_type: 'cx23',
        image: 'ubuntu-24.04',
        location: 'fsn1',
        ssh_keys: [11],
        labels: { cluster: 'c1' },
        firewalls: [{ firewall: 3 }],
        placement_group: 4,
        public_net: { enable_ipv4: true, enable_ipv6: true },
        start_after_create: true,
      }),
    step: {
      method: 'POST',
      path: '/servers',
      status: 201,
      json: { server: { id: 42 }, action: a1, next_actions: [], root_password: null },
      want: body({
        name: 'node-1',
        server_type: 'cx23',
        image: 'ubuntu-24.04',
        location: 'fsn1',
        ssh_keys: [11],
        labels: { cluster: 'c1' },
        firewalls: [{ firewall: 3 }],
        placement_group: 4,
        public_net: { enable_ipv4: true, enable_ipv6: true },
        start_after_create: true,
      }),
    },
    result: { server: { id: 42 }, action: a1, next_actions: [], root_password: null },
  },
  {
    name: 'servers.get',
    call: (c) => c.servers.get(42),
    step: { method: 'GET', path: '/servers/42', json: { server: { id: 42 } }, want: noBody },
    result: { id: 42 },
  },
  {
    name: 'servers.getByName',
    call: (c) => c.servers.getByName('node-1'),
    step: { method: 'GET', path: `/servers?name=node-1&${L}`, ...list('servers', [{ id: 42 }]) },
    result: { id: 42 },
  },
  {
    name: 'servers.getByName (absent)',
    call: (c) => c.servers.getByName('nope'),
    step: { method: 'GET', path: `/servers?name=nope&${L}`, ...list('servers', []) },
    result: null,
  },
  {
    name: 'servers.update',
    call: (c) => c.servers.update(42, { labels: { a: 'b' } }),
    step: { method: 'PUT', path: '/servers/42', json: { server: { id: 42 } }, want: body({ labels: { a: 'b' } }) },
    result: { id: 42 },
  },
  {
    name: 'servers.delete',
    call: (c) => c.servers.delete(42),
    step: { method: 'DELETE', path: '/servers/42', json: { action: a1 }, want: noBody },
    result: a1,
  },
  ...(['poweron', 'poweroff', 'shutdown', 'reboot', 'reset'] as const).map(
    (op): Case => ({
      name: `servers.${op}`,
      call: (c) => c.servers[op](42),
      step: { method: 'POST', path: `/servers/42/actions/${op}`, status: 201, json: { action: a1 }, want: noBody },
      result: a1,
    }),
  ),
  {
    name: 'servers.attachToNetwork',
    call: (c) => c.servers.attachToNetwork(42, { network: 5, ip: '10.0.0.2' }),
    step: {
      method: 'POST',
      path: '/servers/42/actions/attach_to_network',
      status: 201,
      json: { action: a1 },
      want: body({ network: 5, ip: '10.0.0.2' }),
    },
    result: a1,
  },
  {
    name: 'servers.detachFromNetwork',
    call: (c) => c.servers.detachFromNetwork(42, { network: 5 }),
    step: {
      method: 'POST',
      path: '/servers/42/actions/detach_from_network',
      status: 201,
      json: { action: a1 },
      want: body({ network: 5 }),
    },
    result: a1,
  },
  {
    name: 'servers.changeDnsPtr',
    call: (c) => c.servers.changeDnsPtr(42, { ip: '1.2.3.4', dns_ptr: 'node.example.com' }),
    step: {
      method: 'POST',
      path: '/servers/42/actions/change_dns_ptr',
      status: 201,
      json: { action: a1 },
      want: body({ ip: '1.2.3.4', dns_ptr: 'node.example.com' }),
    },
    result: a1,
  },
  {
    name: 'servers.actions',
    call: (c) => c.servers.actions(42, { status: 'running' }),
    step: { method: 'GET', path: `/servers/42/actions?status=running&${L}`, ...list('actions', [a1]) },
    result: [a1],
  },
  {
    name: 'sshKeys.create',
    call: (c) => c.sshKeys.create({ name: 'k', public_key: 'ssh-ed25519 AAAA', labels: { m: 'n' } }),
    step: {
      method: 'POST',
      path: '/ssh_keys',
      status: 201,
      json: { ssh_key: { id: 11 } },
      want: body({ name: 'k', public_key: 'ssh-ed25519 AAAA', labels: { m: 'n' } }),
    },
    result: { id: 11 },
  },
  {
    name: 'sshKeys.get',
    call: (c) => c.sshKeys.get(11),
    step: { method: 'GET', path: '/ssh_keys/11', json: { ssh_key: { id: 11 } } },
    result: { id: 11 },
  },
  {
    name: 'sshKeys.getByName',
    call: (c) => c.sshKeys.getByName('k'),
    step: { method: 'GET', path: `/ssh_keys?name=k&${L}`, ...list('ssh_keys', [{ id: 11 }]) },
    result: { id: 11 },
  },
  {
    name: 'sshKeys.getByFingerprint',
    call: (c) => c.sshKeys.getByFingerprint('aa:bb'),
    step: { method: 'GET', path: `/ssh_keys?fingerprint=aa%3Abb&${L}`, ...list('ssh_keys', [{ id: 11 }]) },
    result: { id: 11 },
  },
  {
    name: 'sshKeys.list',
    call: (c) => c.sshKeys.list({ label_selector: 'm=n' }),
    step: { method: 'GET', path: `/ssh_keys?label_selector=m%3Dn&${L}`, ...list('ssh_keys', [{ id: 11 }]) },
    result: [{ id: 11 }],
  },
  {
    name: 'sshKeys.delete',
    call: (c) => c.sshKeys.delete(11),
    step: { method: 'DELETE', path: '/ssh_keys/11', status: 204 },
    result: undefined,
  },
  {
    name: 'firewalls.create',
    call: (c) =>
      c.firewalls.create({
        name: 'fw',
        labels: { cluster: 'c1' },
        rules: [{ direction: 'in', protocol: 'tcp', port: '22', source_ips: ['0.0.0.0/0', '::/0'] }],
        apply_to: [{ type: 'label_selector', label_selector: { selector: 'cluster=c1' } }],
      }),
    step: {
      method: 'POST',
      path: '/firewalls',
      status: 201,
      json: { firewall: { id: 3 }, actions: [a1] },
      want: body({
        name: 'fw',
        labels: { cluster: 'c1' },
        rules: [{ direction: 'in', protocol: 'tcp', port: '22', source_ips: ['0.0.0.0/0', '::/0'] }],
        apply_to: [{ type: 'label_selector', label_selector: { selector: 'cluster=c1' } }],
      }),
    },
    result: { firewall: { id: 3 }, actions: [a1] },
  },
  {
    name: 'firewalls.get',
    call: (c) => c.firewalls.get(3),
    step: { method: 'GET', path: '/firewalls/3', json: { firewall: { id: 3 } } },
    result: { id: 3 },
  },
  {
    name: 'firewalls.getByName',
    call: (c) => c.firewalls.getByName('fw'),
    step: { method: 'GET', path: `/firewalls?name=fw&${L}`, ...list('firewalls', [{ id: 3 }]) },
    result: { id: 3 },
  },
  {
    name: 'firewalls.list',
    call: (c) => c.firewalls.list({ label_selector: 'cluster=c1' }),
    step: { method: 'GET', path: `/firewalls?label_selector=cluster%3Dc1&${L}`, ...list('firewalls', []) },
    result: [],
  },
  {
    name: 'firewalls.update',
    call: (c) => c.firewalls.update(3, { name: 'fw2' }),
    step: { method: 'PUT', path: '/firewalls/3', json: { firewall: { id: 3 } }, want: body({ name: 'fw2' }) },
    result: { id: 3 },
  },
  {
    name: 'firewalls.delete',
    call: (c) => c.firewalls.delete(3),
    step: { method: 'DELETE', path: '/firewalls/3', status: 204 },
    result: undefined,
  },
  {
    name: 'firewalls.setRules (empty clears)',
    call: (c) => c.firewalls.setRules(3, []),
    step: {
      method: 'POST',
      path: '/firewalls/3/actions/set_rules',
      status: 201,
      json: { actions: [a1] },
      want: body({ rules: [] }),
    },
    result: [a1],
  },
  {
    name: 'firewalls.applyToResources',
    call: (c) => c.firewalls.applyToResources(3, [{ type: 'server', server: { id: 42 } }]),
    step: {
      method: 'POST',
      path: '/firewalls/3/actions/apply_to_resources',
      status: 201,
      json: { actions: [a1] },
      want: body({ apply_to: [{ type: 'server', server: { id: 42 } }] }),
    },
    result: [a1],
  },
  {
    name: 'firewalls.removeFromResources',
    call: (c) => c.firewalls.removeFromResources(3, [{ type: 'label_selector', label_selector: { selector: 'a=b' } }]),
    step: {
      method: 'POST',
      path: '/firewalls/3/actions/remove_from_resources',
      status: 201,
      json: { actions: [a1] },
      want: body({ remove_from: [{ type: 'label_selector', label_selector: { selector: 'a=b' } }] }),
    },
    result: [a1],
  },
  {
    name: 'networks.get',
    call: (c) => c.networks.get(5),
    step: { method: 'GET', path: '/networks/5', json: { network: { id: 5 } } },
    result: { id: 5 },
  },
  {
    name: 'networks.getByName',
    call: (c) => c.networks.getByName('net'),
    step: { method: 'GET', path: `/networks?name=net&${L}`, ...list('networks', [{ id: 5 }]) },
    result: { id: 5 },
  },
  {
    name: 'networks.list',
    call: (c) => c.networks.list(),
    step: { method: 'GET', path: `/networks?${L}`, ...list('networks', [{ id: 5 }]) },
    result: [{ id: 5 }],
  },
  {
    name: 'placementGroups.create',
    call: (c) => c.placementGroups.create({ name: 'pg', type: 'spread', labels: { a: 'b' } }),
    step: {
      method: 'POST',
      path: '/placement_groups',
      status: 201,
      json: { placement_group: { id: 4 }, action: null },
      want: body({ name: 'pg', type: 'spread', labels: { a: 'b' } }),
    },
    result: { id: 4 },
  },
  {
    name: 'placementGroups.get',
    call: (c) => c.placementGroups.get(4),
    step: { method: 'GET', path: '/placement_groups/4', json: { placement_group: { id: 4 } } },
    result: { id: 4 },
  },
  {
    name: 'placementGroups.getByName',
    call: (c) => c.placementGroups.getByName('pg'),
    step: { method: 'GET', path: `/placement_groups?name=pg&${L}`, ...list('placement_groups', [{ id: 4 }]) },
    result: { id: 4 },
  },
  {
    name: 'placementGroups.list',
    call: (c) => c.placementGroups.list({ type: 'spread' }),
    step: { method: 'GET', path: `/placement_groups?type=spread&${L}`, ...list('placement_groups', []) },
    result: [],
  },
  {
    name: 'placementGroups.delete',
    call: (c) => c.placementGroups.delete(4),
    step: { method: 'DELETE', path: '/placement_groups/4', status: 204 },
    result: undefined,
  },
  {
    name: 'images.get',
    call: (c) => c.images.get(6),
    step: { method: 'GET', path: '/images/6', json: { image: { id: 6 } } },
    result: { id: 6 },
  },
  {
    name: 'images.list',
    call: (c) => c.images.list({ name: 'ubuntu-24.04', architecture: 'arm', type: 'system', include_deprecated: true }),
    step: {
      method: 'GET',
      path: `/images?name=ubuntu-24.04&architecture=arm&type=system&include_deprecated=true&${L}`,
      ...list('images', [{ id: 6 }]),
    },
    result: [{ id: 6 }],
  },
  {
    name: 'serverTypes.get',
    call: (c) => c.serverTypes.get(7),
    step: { method: 'GET', path: '/server_types/7', json: { server_type: { id: 7 } } },
    result: { id: 7 },
  },
  {
    name: 'serverTypes.getByName',
    call: (c) => c.serverTypes.getByName('cx23'),
    step: { method: 'GET', path: `/server_types?name=cx23&${L}`, ...list('server_types', [{ id: 7 }]) },
    result: { id: 7 },
  },
  {
    name: 'serverTypes.list',
    call: (c) => c.serverTypes.list(),
    step: { method: 'GET', path: `/server_types?${L}`, ...list('server_types', [{ id: 7 }]) },
    result: [{ id: 7 }],
  },
  {
    name: 'locations.get',
    call: (c) => c.locations.get(1),
    step: { method: 'GET', path: '/locations/1', json: { location: { id: 1 } } },
    result: { id: 1 },
  },
  {
    name: 'locations.getByName',
    call: (c) => c.locations.getByName('fsn1'),
    step: { method: 'GET', path: `/locations?name=fsn1&${L}`, ...list('locations', [{ id: 1 }]) },
    result: { id: 1 },
  },
  {
    name: 'primaryIps.get',
    call: (c) => c.primaryIps.get(8),
    step: { method: 'GET', path: '/primary_ips/8', json: { primary_ip: { id: 8 } } },
    result: { id: 8 },
  },
  {
    name: 'primaryIps.getByName',
    call: (c) => c.primaryIps.getByName('ip'),
    step: { method: 'GET', path: `/primary_ips?name=ip&${L}`, ...list('primary_ips', [{ id: 8 }]) },
    result: { id: 8 },
  },
  {
    name: 'primaryIps.getByIp',
    call: (c) => c.primaryIps.getByIp('2001:db8::1'),
    step: { method: 'GET', path: `/primary_ips?ip=2001%3Adb8%3A%3A1&${L}`, ...list('primary_ips', [{ id: 8 }]) },
    result: { id: 8 },
  },
  {
    name: 'primaryIps.list',
    call: (c) => c.primaryIps.list({ label_selector: 'a' }),
    step: { method: 'GET', path: `/primary_ips?label_selector=a&${L}`, ...list('primary_ips', []) },
    result: [],
  },
  {
    name: 'volumes.get',
    call: (c) => c.volumes.get(9),
    step: { method: 'GET', path: '/volumes/9', json: { volume: { id: 9 } } },
    result: { id: 9 },
  },
  {
    name: 'volumes.getByName',
    call: (c) => c.volumes.getByName('v'),
    step: { method: 'GET', path: `/volumes?name=v&${L}`, ...list('volumes', [{ id: 9 }]) },
    result: { id: 9 },
  },
  {
    name: 'volumes.list',
    call: (c) => c.volumes.list(),
    step: { method: 'GET', path: `/volumes?${L}`, ...list('volumes', []) },
    result: [],
  },
  {
    name: 'actions.get',
    call: (c) => c.actions.get(1),
    step: { method: 'GET', path: '/actions/1', json: { action: a1 } },
    result: a1,
  },
];

describe('resource endpoints', () => {
  let api: Scripted;
  let client: HcloudClient;
  beforeAll(async () => {
    api = await startScript(cases.map((c) => c.step));
    client = new HcloudClient({ token: TOKEN, endpoint: `${api.url}/`, userAgent: 'test-agent/1.0' });
  });
  afterAll(async () => {
    await api.close();
  });

  // The script is ordered, so the cases run in sequence against one server.
  for (const [i, c] of cases.entries()) {
    it(c.name, async () => {
      expect(await c.call(client)).toEqual(c.result);
      expect(api.calls).toHaveLength(i + 1);
      expect(api.mismatches).toEqual([]);
      const headers = api.calls[i]?.headers;
      expect(headers?.authorization).toBe(`Bearer ${TOKEN}`);
      expect(headers?.accept).toBe('application/json');
      expect(headers?.['user-agent']).toBe('test-agent/1.0');
      if (api.calls[i]?.rawBody) expect(headers?.['content-type']).toBe('application/json');
    });
  }

  it('consumed the whole script', () => {
    api.assertDone();
    expect(client.stats.requests).toBe(cases.length);
    expect(client.stats.byEndpoint.get('POST /servers/{id}/actions/poweron')).toBe(1);
    expect(client.stats.byEndpoint.get('GET /servers/{id}')).toBe(1);
  });
});
