// The networking extras against the mock: a pool's subnet or fixed IP, reverse DNS from a template, and the
// managed firewall's admin CIDRs / NodePort switch — each with the messages PreCreateCheck gives for bad input.
import type { MockServer } from 'hcloud-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { firstHostOf } from '../../src/driver/addresses';
import type { FlagValue } from '../../src/driver/interface';
import { mockApi } from '../fixtures/mock-api';
import { captureLogger, configuredDriver, fastMock, resourcesOf, TOKEN } from './helpers';

let mock: MockServer;

interface ServerJson {
  public_net: {
    ipv4: { ip: string; dns_ptr: string } | null;
    ipv6: { ip: string; dns_ptr: Array<{ ip: string; dns_ptr: string }> } | null;
  };
}
beforeAll(async () => {
  mock = await fastMock({ tokens: [TOKEN] });
  await api('POST', '/networks', {
    name: 'pool-net',
    ip_range: '10.20.0.0/16',
    subnets: [
      { type: 'cloud', ip_range: '10.20.1.0/24', network_zone: 'eu-central' },
      { type: 'cloud', ip_range: '10.20.2.0/24', network_zone: 'eu-central' },
      { type: 'cloud', ip_range: '10.20.3.0/24', network_zone: 'us-east' },
    ],
  });
});
afterAll(async () => {
  await mock?.stop();
});
beforeEach(() => {
  mock.faults.clear();
});

function api(method: string, path: string, body?: unknown): Promise<unknown> {
  return mockApi(mock, TOKEN, method, path, body);
}

/** A server made outside the driver that holds `ip` in pool-net (as a console user would have made it). */
function holdIp(name: string, ip: string): { id: number } {
  const srv = mock.state.addServer({ name, serverType: 'cx23', location: 'fsn1', labels: {} });
  srv.privateNet.push({ network: netId(), ip, alias_ips: [], mac_address: mock.state.macAddress() });
  mock.state.networks.get(netId())!.servers.push(srv.id);
  return { id: srv.id };
}

function netId(name = 'pool-net'): number {
  return [...mock.state.networks.values()].find((n) => n.name === name)!.id;
}

function requestsTo(pathPart: string) {
  return mock.requests.filter((r) => r.method === 'POST' && r.path.includes(pathPart));
}

function serverBody(name: string): Record<string, unknown> {
  const hit = mock.requests
    .filter((r) => r.method === 'POST' && r.path === '/servers')
    .reverse()
    .find((r) => (r.body as { name?: string }).name === name);
  return hit!.body as Record<string, unknown>;
}

async function preCheckError(name: string, values: Record<string, FlagValue>): Promise<string> {
  const d = await configuredDriver(mock, name, values);
  const err = await d.preCreateCheck().then(
    () => null,
    (e: Error) => e,
  );
  expect(err, 'PreCreateCheck should fail').not.toBeNull();
  expect(resourcesOf(mock, name).servers).toEqual([]);
  return err!.message;
}

describe('hetzner-networks with a subnet or a fixed IP', () => {
  it('<network>:<ip-range> attaches the server in that subnet, before its first boot', async () => {
    const d = await configuredDriver(mock, 'net-range-1', {
      'hetzner-networks': ['pool-net:10.20.2.0/24'],
      'hetzner-use-private-network': true,
    });
    await d.preCreateCheck();
    await d.create();
    const srv = resourcesOf(mock, 'net-range-1').servers[0]!;
    const priv = srv.privateNet.find((p) => p.network === netId())!;
    expect(priv.ip).toMatch(/^10\.20\.2\.\d+$/);
    expect(await d.getIP()).toBe(priv.ip);
    expect(srv.status).toBe('running');
    // The network is not in POST /servers (it takes IDs only); the server starts only after the attach.
    const body = serverBody('net-range-1');
    expect(body.networks).toBeUndefined();
    expect(body.start_after_create).toBe(false);
    const attach = requestsTo(`/servers/${srv.id}/actions/attach_to_network`);
    expect(attach.map((r) => r.body)).toEqual([{ network: netId(), ip_range: '10.20.2.0/24' }]);
    const poweron = requestsTo(`/servers/${srv.id}/actions/poweron`);
    expect(poweron).toHaveLength(1);
    expect(mock.requests.indexOf(attach[0]!)).toBeLessThan(mock.requests.indexOf(poweron[0]!));
    await d.remove();
  });

  it('<network>:<ip> gives the fixed IP; a second machine with the same IP fails PreCreateCheck', async () => {
    const values = { 'hetzner-networks': ['pool-net:10.20.1.77'], 'hetzner-use-private-network': true };
    const d = await configuredDriver(mock, 'net-fixed-1', values);
    await d.preCreateCheck();
    await d.create();
    expect(await d.getIP()).toBe('10.20.1.77');
    const srv = resourcesOf(mock, 'net-fixed-1').servers[0]!;
    expect(srv.privateNet).toEqual([expect.objectContaining({ network: netId(), ip: '10.20.1.77' })]);

    const msg = await preCheckError('net-fixed-2', values);
    expect(msg).toContain(
      `hetzner-networks: 10.20.1.77 in network "pool-net" is already used by server net-fixed-1 (id ${srv.id}): ` +
        'a fixed IP fits a pool of one machine only; for a larger pool give a subnet (<network>:<ip-range>), or ' +
        'free the IP',
    );
    await d.remove();
    // Freed by the remove: the next machine may take it.
    const again = await configuredDriver(mock, 'net-fixed-3', values);
    await again.preCreateCheck();
    await again.remove();
  });

  it('mixes plain and pinned networks: plain ones go into the create request as before', async () => {
    const d = await configuredDriver(mock, 'net-mixed-1', { 'hetzner-networks': ['private', 'pool-net:10.20.1.0/24'] });
    await d.preCreateCheck();
    await d.create();
    const srv = resourcesOf(mock, 'net-mixed-1').servers[0]!;
    const privateId = netId('private');
    expect(serverBody('net-mixed-1').networks).toEqual([privateId]);
    expect(srv.privateNet.map((p) => p.network).sort()).toEqual([privateId, netId()].sort());
    expect(srv.privateNet.find((p) => p.network === netId())!.ip).toMatch(/^10\.20\.1\.\d+$/);
    // Public IPv4 stays the machine's address without use-private-network.
    expect(await d.getIP()).not.toMatch(/^10\./);
    await d.remove();
  });

  it.each([
    [
      'a range outside the network',
      'pool-net:10.99.0.0/24',
      '10.99.0.0/24 is outside network "pool-net" (10.20.0.0/16): pick a subnet of 10.20.0.0/16',
    ],
    [
      'a range in the network but in no subnet',
      'pool-net:10.20.9.0/24',
      'network "pool-net" has no subnet covering 10.20.9.0/24 (its subnets: 10.20.1.0/24, 10.20.2.0/24, ' +
        '10.20.3.0/24): add that subnet to the network first',
    ],
    [
      'a subnet in another network zone',
      'pool-net:10.20.3.0/24',
      'subnet 10.20.3.0/24 of network "pool-net" is in network zone us-east, but the server\'s location is in ' +
        'eu-central: choose a subnet in eu-central',
    ],
    ['an IP outside the network', 'pool-net:192.168.1.5', '192.168.1.5 is outside network "pool-net" (10.20.0.0/16)'],
    [
      'an IP in no subnet',
      'pool-net:10.20.200.5',
      '10.20.200.5 lies in no subnet of network "pool-net" (its subnets: 10.20.1.0/24, 10.20.2.0/24, 10.20.3.0/24)',
    ],
    [
      'a reserved address',
      'pool-net:10.20.1.255',
      '10.20.1.255 is reserved in subnet 10.20.1.0/24 of network "pool-net" (network, gateway or broadcast address)',
    ],
    [
      'a CIDR with host bits',
      'pool-net:10.20.1.5/24',
      '"10.20.1.5/24" in "pool-net:10.20.1.5/24" is not an IPv4 subnet in CIDR notation with its host bits clear',
    ],
    [
      'garbage after the colon',
      'pool-net:first-free',
      '"first-free" in "pool-net:first-free" is not an IPv4 address (e.g. 10.0.1.10) or subnet (e.g. 10.0.1.0/24)',
    ],
    ['no network before the colon', ':10.20.1.5', '":10.20.1.5" names no network before the ":"'],
    ['an unknown network', 'nope:10.20.1.0/24', 'network "nope" does not exist in this project'],
  ])('rejects %s in PreCreateCheck', async (_what, entry, message) => {
    const name = `net-bad-${Math.random().toString(36).slice(2, 8)}`;
    const msg = await preCheckError(name, { 'hetzner-networks': [entry] });
    expect(msg).toContain(`hetzner-networks: ${message}`);
  });

  it('rejects a taken IP held by a server outside the driver', async () => {
    const other = holdIp('foreign-holder', '10.20.2.50');
    const msg = await preCheckError('net-taken-1', { 'hetzner-networks': ['pool-net:10.20.2.50'] });
    expect(msg).toContain(`10.20.2.50 in network "pool-net" is already used by server foreign-holder (id ${other.id})`);
  });

  it('needs one plain network for a server without public addresses', async () => {
    const msg = await preCheckError('net-private-only', {
      'hetzner-networks': ['pool-net:10.20.1.0/24'],
      'hetzner-use-private-network': true,
      'hetzner-disable-public-ipv4': true,
      'hetzner-disable-public-ipv6': true,
    });
    expect(msg).toContain('a server without public addresses must get one network at create');
  });

  it('rolls the server back when the IP is taken between PreCreateCheck and Create', async () => {
    const logger = captureLogger();
    const d = await configuredDriver(mock, 'net-race-1', { 'hetzner-networks': ['pool-net:10.20.2.60'] }, { logger });
    await d.preCreateCheck();
    holdIp('ip-thief', '10.20.2.60');
    const err = await d.create().then(
      () => null,
      (e: Error) => e,
    );
    expect(err?.message).toMatch(
      /attaching the server to network "pool-net" with IP 10\.20\.2\.60 failed: .*ip_not_available|not available/,
    );
    expect(err?.message).toContain('Everything it created has been removed');
    expect(resourcesOf(mock, 'net-race-1')).toEqual({ servers: [], keys: [] });
  });
});

describe('hetzner-rdns-template', () => {
  async function ptrs(serverId: number) {
    const { server } = (await api('GET', `/servers/${serverId}`)) as { server: ServerJson };
    return {
      v4: server.public_net.ipv4?.ip,
      v4ptr: server.public_net.ipv4?.dns_ptr,
      v6ptrs: server.public_net.ipv6?.dns_ptr ?? [],
    };
  }

  it('sets the PTR of the public IPv4 and of ::1 of the IPv6 /64 after create', async () => {
    const d = await configuredDriver(mock, 'rdns-one', { 'hetzner-rdns-template': '{{ machine }}.k8s.example.com' });
    await d.preCreateCheck();
    await d.create();
    const srv = resourcesOf(mock, 'rdns-one').servers[0]!;
    const p = await ptrs(srv.id);
    expect(p.v4).toBe(await d.getIP());
    expect(p.v4ptr).toBe('rdns-one.k8s.example.com');
    expect(p.v6ptrs).toEqual([{ ip: await d.getIPv6(), dns_ptr: 'rdns-one.k8s.example.com' }]);
    expect(await d.getIPv6()).toMatch(/::1$/);
    await d.remove();
  });

  it('fills {{ cluster }} and {{ pool }} from the cluster id and the Rancher machine name', async () => {
    const name = 'prod-workers-6c9f8d7b5-x2k4q';
    const d = await configuredDriver(mock, name, {
      'hetzner-rdns-template': '{{machine}}.{{ pool }}.{{ cluster }}.example.org',
      'hetzner-cluster-id': 'prod',
      'hetzner-disable-public-ipv4': true,
    });
    await d.preCreateCheck();
    await d.create();
    const srv = resourcesOf(mock, name).servers[0]!;
    const p = await ptrs(srv.id);
    // IPv6 only: just the ::1 entry.
    expect(p.v4).toBeUndefined();
    expect(p.v6ptrs).toEqual([{ ip: firstHostOf(mockIpv6(srv.id)), dns_ptr: `${name}.workers.prod.example.org` }]);
    expect(requestsTo(`/servers/${srv.id}/actions/change_dns_ptr`)).toHaveLength(1);
    await d.remove();
  });

  it.each([
    [
      'a bare machine name',
      '{{ machine }}',
      '"{{ machine }}" gives "rdns-bad" for machine rdns-bad, which is not a fully qualified name: add the domain, ' +
        'e.g. {{ machine }}.k8s.example.com',
    ],
    [
      'an unknown placeholder',
      '{{ host }}.example.com',
      '"{{ host }}.example.com" unknown placeholder {{ host }}: use {{ machine }}, {{ cluster }} or {{ pool }}',
    ],
    [
      'a cluster placeholder without a cluster id',
      '{{ machine }}.{{ cluster }}.example.com',
      'uses {{ cluster }}, but no cluster ID is set (--hetzner-cluster-id)',
    ],
    [
      'a pool placeholder the name cannot fill',
      '{{ pool }}.example.com',
      'uses {{ pool }}, but the machine name "rdns-bad" does not show a pool',
    ],
    [
      'an invalid label',
      '{{ machine }}.my_domain.com',
      '"{{ machine }}.my_domain.com" gives "rdns-bad.my_domain.com" for machine rdns-bad, which has the label ' +
        '"my_domain": labels use letters, digits and "-"',
    ],
    ['a stray brace', '{{ machine }.example.com', 'has an unmatched "{" or "}"'],
  ])('rejects %s in PreCreateCheck', async (_what, template, message) => {
    const msg = await preCheckError('rdns-bad', { 'hetzner-rdns-template': template });
    expect(msg).toContain('hetzner-rdns-template: ');
    expect(msg).toContain(message);
  });

  it('takes the pool from a pool= server label when given', async () => {
    const d = await configuredDriver(mock, 'rdns-labelled', {
      'hetzner-rdns-template': '{{ machine }}.{{ pool }}.example.com',
      'hetzner-server-labels': ['pool=edge'],
    });
    await d.preCreateCheck();
    await d.create();
    const srv = resourcesOf(mock, 'rdns-labelled').servers[0]!;
    expect((await ptrs(srv.id)).v4ptr).toBe('rdns-labelled.edge.example.com');
    await d.remove();
  });

  it('fails Create and removes the server when the PTR cannot be set', async () => {
    const logger = captureLogger();
    const d = await configuredDriver(
      mock,
      'rdns-fail',
      { 'hetzner-rdns-template': '{{ machine }}.example.com' },
      { logger },
    );
    await d.preCreateCheck();
    mock.faults.add({
      match: { method: 'POST', path: '/servers/{id}/actions/change_dns_ptr' },
      effect: { status: 422, code: 'invalid_input', message: 'dns_ptr is not allowed' },
    });
    const err = await d.create().then(
      () => null,
      (e: Error) => e,
    );
    expect(err?.message).toMatch(
      /setting reverse DNS of [\d.]+ to rdns-fail\.example\.com failed \(hetzner-rdns-template\): .*dns_ptr is not allowed/,
    );
    expect(err?.message).toContain('Everything it created has been removed');
    expect(resourcesOf(mock, 'rdns-fail')).toEqual({ servers: [], keys: [] });
  });
});

/** The /64 the mock gave a server (its primary IPv6 record). */
function mockIpv6(serverId: number): string {
  const srv = mock.state.servers.get(serverId)!;
  return mock.state.primaryIps.get(srv.ipv6!)!.ip;
}

describe('hetzner-firewall-admin-cidrs and hetzner-firewall-close-nodeports', () => {
  it('shape the public rules of the managed firewall and are kept for Remove', async () => {
    const d = await configuredDriver(mock, 'fw-admin-1', {
      'hetzner-cluster-id': 'c-admin',
      'hetzner-create-firewall': true,
      'hetzner-auto-create-firewall-rules': true,
      'hetzner-firewall-admin-cidrs': ['203.0.113.0/24', '2001:db8::/32'],
      'hetzner-firewall-close-nodeports': true,
    });
    await d.preCreateCheck();
    await d.create();
    const fw = [...mock.state.firewalls.values()].find((f) => f.name === 'rancher-c-admin')!;
    const rule = (port: string) => fw.rules.filter((r) => r.direction === 'in' && r.port === port);
    expect(rule('22').map((r) => r.source_ips)).toEqual([['203.0.113.0/24', '2001:db8::/32']]);
    expect(rule('6443').map((r) => r.source_ips)).toEqual([['203.0.113.0/24', '2001:db8::/32']]);
    expect(rule('30000-32767')).toEqual([]);
    const cfg = JSON.parse(new TextDecoder().decode(await d.getConfigRaw()));
    expect(cfg.FirewallAdminCIDRs).toEqual(['203.0.113.0/24', '2001:db8::/32']);
    expect(cfg.FirewallCloseNodePorts).toBe(true);
    await d.remove();
  });

  it('default: SSH, the API and NodePorts open to anywhere, as before', async () => {
    const d = await configuredDriver(mock, 'fw-admin-2', {
      'hetzner-cluster-id': 'c-admin-default',
      'hetzner-create-firewall': true,
      'hetzner-auto-create-firewall-rules': true,
    });
    await d.preCreateCheck();
    await d.create();
    const fw = [...mock.state.firewalls.values()].find((f) => f.name === 'rancher-c-admin-default')!;
    for (const port of ['22', '6443', '30000-32767']) {
      const sources = fw.rules.filter((r) => r.direction === 'in' && r.port === port).map((r) => r.source_ips);
      expect(sources.length).toBeGreaterThan(0);
      for (const s of sources) expect(s).toEqual(['0.0.0.0/0', '::/0']);
    }
    await d.remove();
  });

  it('rejects a bad CIDR in PreCreateCheck and warns when no managed rules are written', async () => {
    const msg = await preCheckError('fw-admin-bad', {
      'hetzner-cluster-id': 'c-admin-bad',
      'hetzner-create-firewall': true,
      'hetzner-auto-create-firewall-rules': true,
      'hetzner-firewall-admin-cidrs': ['203.0.113.0/24', '10.0.0.0/40'],
    });
    expect(msg).toContain(
      'hetzner-firewall-admin-cidrs: admin CIDR "10.0.0.0/40" is not an IPv4 or IPv6 address or CIDR (e.g. 203.0.113.0/24)',
    );

    const logger = captureLogger();
    const d = await configuredDriver(
      mock,
      'fw-admin-warn',
      { 'hetzner-firewall-admin-cidrs': ['203.0.113.0/24'] },
      {
        logger,
      },
    );
    await d.preCreateCheck();
    expect(logger.text()).toContain(
      'Warning: hetzner-firewall-admin-cidrs: shapes only the rules the driver writes: has no effect without ' +
        '--hetzner-create-firewall and --hetzner-auto-create-firewall-rules',
    );
  });
});
