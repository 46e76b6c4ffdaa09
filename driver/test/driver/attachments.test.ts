// Existing primary IPs and volumes against the mock: found by address, name or ID, passed in POST /servers, checked
// in PreCreateCheck (family, assignment, location), and still there after Remove.
import type { MockServer } from 'hcloud-mock';
import { describe, expect, it } from 'vitest';
import { planAttachments } from '../../src/driver/attachments';
import type { FlagSettings } from '../../src/driver/flags';
import { Problems } from '../../src/driver/validate';
import type { HcloudClient, PrimaryIp, Server } from '../../src/hcloud';
import { mockApi } from '../fixtures/mock-api';
import { captureLogger, configuredDriver, fastMockPerFile, resourcesOf, TOKEN } from './helpers';

let mock: MockServer;
fastMockPerFile({ tokens: [TOKEN], seedData: false }, (m) => {
  mock = m;
});

function addVolume(name: string, location: string, server: number | null = null): number {
  const id = mock.state.nextId();
  mock.state.volumes.set(id, {
    id,
    name,
    size: 10,
    server,
    locationId: mock.state.locationByRef(location)!.id,
    linux_device: `/dev/disk/by-id/scsi-0HC_Volume_${id}`,
    protection: { delete: false },
    labels: {},
    status: 'available',
    format: 'ext4',
    created: new Date().toISOString(),
  });
  return id;
}

function serverPost(name: string) {
  return mock.requests.find(
    (r) => r.method === 'POST' && r.path === '/servers' && (r.body as { name?: string }).name === name,
  )?.body as { public_net: { ipv4?: number; ipv6?: number }; volumes?: number[]; location: string } | undefined;
}

describe('existing primary IPs and volumes', () => {
  it('attaches them at create (IPv4 by address, IPv6 by an address in its /64, volumes by name and ID) and Remove keeps them', async () => {
    const fsn1 = mock.state.locationByRef('fsn1')!.id;
    const v4 = mock.state.createPrimaryIp('ipv4', fsn1, { name: 'keep-v4', auto_delete: true });
    const v6 = mock.state.createPrimaryIp('ipv6', fsn1, { name: 'keep-v6' });
    const vol1 = addVolume('att-data', 'fsn1');
    const vol2 = addVolume('att-logs', 'fsn1');
    const inside = v6.ip.replace(/::\/64$/, '::1');
    // The API's shape since 2026-08-01: a free primary IP is `unassigned`.
    const shape = async (id: number) =>
      ((await mockApi(mock, TOKEN, 'GET', `/primary_ips/${id}`)) as { primary_ip: PrimaryIp }).primary_ip;
    expect(await shape(v4.id)).toMatchObject({ assignee_id: null, assignee_type: 'unassigned' });
    const logger = captureLogger();
    const d = await configuredDriver(
      mock,
      'att-ok',
      {
        'hetzner-primary-ipv4': v4.ip,
        'hetzner-primary-ipv6': inside,
        'hetzner-volumes': ['att-data', String(vol2)],
        // A list of locations is narrowed to the one the IPs and volumes live in.
        'hetzner-server-location': 'nbg1,fsn1',
      },
      { logger },
    );
    await d.preCreateCheck();
    expect(logger.text()).toMatch(/cx23 in nbg1 is skipped: the primary IPs\/volumes are in fsn1/);
    expect(logger.text()).toMatch(/keep-v4 is set to auto-delete/);
    await d.create();

    const body = serverPost('att-ok')!;
    expect(body.public_net).toMatchObject({ ipv4: v4.id, ipv6: v6.id });
    expect(body.volumes).toEqual([vol1, vol2]);
    expect(body.location).toBe('fsn1');
    const srv = resourcesOf(mock, 'att-ok').servers[0]!;
    expect(srv.ipv4).toBe(v4.id);
    expect(await shape(v4.id)).toMatchObject({ assignee_id: srv.id, assignee_type: 'server' });
    expect(mock.state.volumes.get(vol1)!.server).toBe(srv.id);
    expect(mock.state.primaryIps.get(v4.id)!.auto_delete).toBe(false);
    const cfg = JSON.parse(new TextDecoder().decode(await d.getConfigRaw())) as Record<string, unknown>;
    expect(cfg).toMatchObject({ PrimaryIPv4: v4.ip, PrimaryIPv6: inside, Volumes: ['att-data', String(vol2)] });
    expect(await d.getIP()).toBe(v4.ip);

    await d.remove();
    expect(resourcesOf(mock, 'att-ok').servers).toEqual([]);
    expect(await shape(v4.id)).toMatchObject({ assignee_id: null, assignee_type: 'unassigned' });
    expect(await shape(v6.id)).toMatchObject({ assignee_id: null, assignee_type: 'unassigned' });
    expect(mock.state.volumes.get(vol1)).toMatchObject({ server: null });
    expect(mock.state.volumes.get(vol2)).toMatchObject({ server: null });
  });

  it('finds a primary IP by name or ID too', async () => {
    const hel1 = mock.state.locationByRef('hel1')!.id;
    const byName = mock.state.createPrimaryIp('ipv4', hel1, { name: 'named-v4' });
    const byId = mock.state.createPrimaryIp('ipv6', hel1, { name: 'id-v6' });
    const d = await configuredDriver(mock, 'att-names', {
      'hetzner-primary-ipv4': 'named-v4',
      'hetzner-primary-ipv6': String(byId.id),
      'hetzner-server-location': 'hel1',
    });
    await d.preCreateCheck();
    await d.create();
    expect(serverPost('att-names')!.public_net).toMatchObject({ ipv4: byName.id, ipv6: byId.id });
    await d.remove();
    expect(mock.state.primaryIps.has(byName.id)).toBe(true);
    expect(mock.state.primaryIps.has(byId.id)).toBe(true);
  });

  it('PreCreateCheck rejects missing, assigned, wrong-family and wrongly located resources before creating anything', async () => {
    const fsn1 = mock.state.locationByRef('fsn1')!.id;
    const nbg1 = mock.state.locationByRef('nbg1')!.id;
    const other = mock.state.addServer({ name: 'someone-else', location: 'fsn1' });
    const taken = mock.state.createPrimaryIp('ipv4', fsn1, { name: 'taken-v4', assignee_id: other.id });
    const v6 = mock.state.createPrimaryIp('ipv6', nbg1, { name: 'far-v6' });
    const busy = addVolume('busy-vol', 'fsn1', other.id);
    const before = mock.state.servers.size;

    const d = await configuredDriver(mock, 'att-bad', {
      'hetzner-primary-ipv4': 'taken-v4',
      'hetzner-primary-ipv6': 'no-such-ip',
      'hetzner-volumes': ['busy-vol', 'ghost-vol'],
    });
    const err = String(await d.preCreateCheck().catch((e: Error) => e));
    expect(err).toMatch(/hetzner-primary-ipv4: primary IP taken-v4 .* is assigned to server/);
    expect(err).toMatch(/hetzner-primary-ipv6: primary IP "no-such-ip" does not exist/);
    expect(err).toMatch(/hetzner-volumes: volume busy-vol is attached to server/);
    expect(err).toMatch(/hetzner-volumes: volume "ghost-vol" does not exist/);

    const family = await configuredDriver(mock, 'att-family', { 'hetzner-primary-ipv4': 'far-v6' });
    await expect(family.preCreateCheck()).rejects.toThrow(/is an ipv6 address: give it to --hetzner-primary-ipv6/);

    // The IPv6 is in nbg1, the server would be in fsn1.
    const far = await configuredDriver(mock, 'att-far', { 'hetzner-primary-ipv6': String(v6.id) });
    await expect(far.preCreateCheck()).rejects.toThrow(
      /primary IPs\/volumes are in nbg1, but the server would be created in fsn1/,
    );

    expect(mock.state.servers.size).toBe(before);
    expect(mock.state.primaryIps.get(taken.id)!.assignee_id).toBe(other.id);
    expect(mock.state.volumes.get(busy)!.server).toBe(other.id);
  });
});

describe('primary IP assignment, in the API shapes before and after 2026-08-01', () => {
  const MACHINE = 'att-shape';
  const ip = (over: Partial<PrimaryIp>): PrimaryIp => ({
    id: 7001,
    name: 'shape-v4',
    type: 'ipv4',
    ip: '198.51.100.7',
    dns_ptr: [],
    assignee_id: null,
    assignee_type: 'unassigned',
    auto_delete: false,
    blocked: false,
    location: { id: 1, name: 'fsn1' },
    labels: {},
    protection: { delete: false },
    created: '2026-08-02T00:00:00Z',
    ...over,
  });
  /** A client that knows one primary IP and one server: this machine's own leftover, ID 42. */
  const clientWith = (p: PrimaryIp, serverLookups: number[]) =>
    ({
      primaryIps: { get: async (id: number) => (id === p.id ? p : null), getByName: async () => null },
      volumes: { get: async () => null, getByName: async () => null },
      servers: {
        get: async (id: number): Promise<Server | null> => {
          serverLookups.push(id);
          return id === 42
            ? ({
                id,
                name: MACHINE,
                labels: { 'managed-by': 'rancher-machine', machine: MACHINE },
              } as unknown as Server)
            : null;
        },
      },
    }) as unknown as HcloudClient;
  const settings = { primaryIpv4: '7001', primaryIpv6: '', volumes: [], clusterId: '' } as unknown as FlagSettings;

  it.each([
    ['unassigned (2026)', { assignee_type: 'unassigned' }],
    ['server with no assignee (before)', { assignee_type: 'server' }],
  ] as const)('a free IP, %s, is taken without looking up a server', async (_what, over) => {
    const lookups: number[] = [];
    const problems = new Problems();
    const attachments = await planAttachments(clientWith(ip(over), lookups), settings, MACHINE, problems);
    expect(problems.list).toEqual([]);
    expect(attachments.ipv4?.id).toBe(7001);
    expect(lookups).toEqual([]);
  });

  it("an IP held by this machine's leftover server is usable; one held by another resource type is not", async () => {
    const lookups: number[] = [];
    const mineProblems = new Problems();
    await planAttachments(
      clientWith(ip({ assignee_id: 42, assignee_type: 'server' }), lookups),
      settings,
      MACHINE,
      mineProblems,
    );
    expect(mineProblems.list).toEqual([]);
    expect(lookups).toEqual([42]);
    // The same number as a load balancer's ID is not that server.
    const other: number[] = [];
    const lbProblems = new Problems();
    const lb = await planAttachments(
      clientWith(ip({ assignee_id: 42, assignee_type: 'load_balancer' }), other),
      settings,
      MACHINE,
      lbProblems,
    );
    expect(lb.ipv4).toBeNull();
    expect(lbProblems.list).toEqual([
      {
        severity: 'error',
        flag: 'hetzner-primary-ipv4',
        message:
          'primary IP shape-v4 (198.51.100.7) is assigned to load balancer 42: unassign it first or choose another',
      },
    ]);
    expect(other).toEqual([]);
  });
});
