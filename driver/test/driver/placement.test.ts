// Spread placement per pool against the mock: groups named from cluster and pool, filled to Hetzner's 10 before the
// next opens, safe under 25 concurrent creates, deleted when their last server goes, and never a user's own group.
import type { MockServer } from 'hcloud-mock';
import { describe, expect, it } from 'vitest';
import type { HetznerDriver } from '../../src/driver';
import { SPREAD_GROUP_LIMIT, spreadGroupName, spreadPool } from '../../src/driver/placement';
import { AUTO_PLACEMENT_KEY, POOL_KEY } from '../../src/labels';
import { captureLogger, configuredDriver, fastMockPerFile, TOKEN } from './helpers';

let mock: MockServer;
fastMockPerFile(
  { tokens: [TOKEN], seedData: false },
  (m) => {
    mock = m;
  },
  { clearFaults: true },
);

const SPREAD = { 'hetzner-placement-group-spread': true, 'hetzner-cluster-id': 'c-m-spread' };

/** The pool's groups, by their labels, in name order. */
function groupsOf(pool: string) {
  return [...mock.state.placementGroups.values()]
    .filter((g) => g.labels[POOL_KEY] === pool)
    .sort((a, b) => a.name.localeCompare(b.name));
}

describe('pool and group names', () => {
  it('takes the pool as {{ pool }} does, and a hand-made machine is its own pool', () => {
    expect(spreadPool('prod-workers-7d9f8c6b5-x2k4z', 'c-m-1', [])).toBe('prod-workers');
    expect(spreadPool('prod-workers-7d9f8c6b5-x2k4z', 'prod', [])).toBe('workers');
    expect(spreadPool('anything-abcde-12345', 'c-m-1', ['pool=gpu'])).toBe('gpu');
    expect(spreadPool('web1', 'c-m-1', [])).toBe('web1');
  });

  it('names groups <cluster>-<pool>-spread-<n> within Hetzner limits', () => {
    expect(spreadGroupName('c-m-1', 'workers', 2)).toBe('c-m-1-workers-spread-2');
    // A pool that still carries the cluster id is not prefixed twice.
    expect(spreadGroupName('prod', 'prod-workers', 1)).toBe('prod-workers-spread-1');
    expect(spreadGroupName('c'.repeat(40), 'p'.repeat(40), 10).length).toBeLessThanOrEqual(63);
  });
});

describe('spread placement', () => {
  it('rejects a fixed group together with spread, and spread without a cluster id', async () => {
    const both = await configuredDriver(mock, 'pc-pool-abcde-00001', {
      ...SPREAD,
      'hetzner-placement-group': 'mine',
    });
    await expect(both.preCreateCheck()).rejects.toThrow(/hetzner-placement-group-spread: cannot be combined/);
    const noCluster = await configuredDriver(mock, 'pc-pool-abcde-00002', { 'hetzner-placement-group-spread': true });
    await expect(noCluster.preCreateCheck()).rejects.toThrow(/set --hetzner-cluster-id/);
    expect(mock.state.servers.size).toBe(0);
  });

  it('spreads 25 concurrent creates over three groups of at most 10, then deletes them as the pool empties', async () => {
    const names = Array.from({ length: 25 }, (_, i) => `conc-pool-b7c9d-m${String(i).padStart(4, '0')}`);
    const drivers: HetznerDriver[] = await Promise.all(names.map((n) => configuredDriver(mock, n, SPREAD)));
    await Promise.all(
      drivers.map(async (d) => {
        await d.preCreateCheck();
        await d.create();
      }),
    );

    const groups = groupsOf('conc-pool');
    expect(groups.map((g) => g.name)).toEqual([
      'c-m-spread-conc-pool-spread-1',
      'c-m-spread-conc-pool-spread-2',
      'c-m-spread-conc-pool-spread-3',
    ]);
    expect(groups.map((g) => g.servers.length)).toEqual([10, 10, 5]);
    for (const g of groups) {
      expect(g.servers.length).toBeLessThanOrEqual(SPREAD_GROUP_LIMIT);
      expect(g.labels).toMatchObject({
        'managed-by': 'rancher-machine',
        cluster: 'c-m-spread',
        [POOL_KEY]: 'conc-pool',
        [AUTO_PLACEMENT_KEY]: 'spread',
      });
    }
    // Every server is in exactly one of the pool's groups, and the mock agrees with itself.
    const placed = groups.flatMap((g) => g.servers).sort();
    const servers = [...mock.state.servers.values()].filter((s) => s.name.startsWith('conc-pool-'));
    expect(placed).toEqual(servers.map((s) => s.id).sort());
    expect(mock.state.checkInvariants()).toEqual([]);
    // The race really happened: creates that picked a group which filled meanwhile met placement_error and recounted.
    const posts = mock.requests.filter((r) => r.method === 'POST' && r.path === '/servers');
    expect(posts.filter((r) => r.code === 'placement_error').length).toBeGreaterThan(0);
    expect(posts.filter((r) => r.status === 201)).toHaveLength(25);

    // The config remembers the group; removing all but one server of group 3 keeps it, the last one deletes it.
    const cfg = JSON.parse(new TextDecoder().decode(await drivers[0]!.getConfigRaw())) as Record<string, unknown>;
    expect(groups.map((g) => g.id)).toContain(cfg.AutoPlacementGroupID);

    const third = groups[2]!;
    const inThird = drivers.filter((_, i) => third.servers.includes(servers.find((s) => s.name === names[i])!.id));
    expect(inThird).toHaveLength(5);
    for (const d of inThird.slice(0, 4)) await d.remove();
    expect(mock.state.placementGroups.has(third.id)).toBe(true);
    await inThird[4]!.remove();
    expect(mock.state.placementGroups.has(third.id)).toBe(false);

    await Promise.all(drivers.filter((d) => !inThird.includes(d)).map((d) => d.remove()));
    expect(groupsOf('conc-pool')).toEqual([]);
    expect([...mock.state.servers.values()].filter((s) => s.name.startsWith('conc-pool-'))).toEqual([]);
  }, 60_000);

  it('treats placement_error on a group with room as a placement failure and tries the next pair', async () => {
    const logger = captureLogger();
    const d1 = await configuredDriver(mock, 'pf-pool-abcde-00001', SPREAD);
    await d1.preCreateCheck();
    await d1.create();
    const g1 = groupsOf('pf-pool')[0]!;
    // Hetzner could not find a host for the group (not because it is full): the recount shows room.
    mock.faults.add({
      match: { method: 'POST', path: '/servers' },
      when: { nth: 1 },
      effect: { status: 422, code: 'placement_error', message: 'no host satisfies the spread placement' },
    });
    const d2 = await configuredDriver(
      mock,
      'pf-pool-abcde-00002',
      { ...SPREAD, 'hetzner-server-type': 'cx23,cpx22' },
      { logger },
    );
    await d2.preCreateCheck();
    await d2.create();
    expect(groupsOf('pf-pool').map((g) => g.servers.length)).toEqual([2]);
    const srv = [...mock.state.servers.values()].find((s) => s.name === 'pf-pool-abcde-00002')!;
    expect(mock.state.serverTypes.get(srv.serverTypeId)?.name).toBe('cpx22');
    expect(srv.placementGroupId).toBe(g1.id);
    expect(logger.text()).toMatch(/cx23 in fsn1 is not available \(placement_error\); trying cpx22 in fsn1/);
    await d1.remove();
    await d2.remove();
    expect(groupsOf('pf-pool')).toEqual([]);
  });

  it('a failed Create deletes the spread group it opened and left empty', async () => {
    mock.faults.add({
      match: { method: 'POST', path: '/servers' },
      effect: { status: 412, code: 'resource_unavailable', message: 'not available' },
    });
    const d = await configuredDriver(mock, 'rb-pool-abcde-00001', SPREAD);
    await d.preCreateCheck();
    await expect(d.create()).rejects.toThrow(/Everything it created has been removed/);
    expect(mock.requests.some((r) => r.method === 'POST' && r.path === '/placement_groups')).toBe(true);
    expect(groupsOf('rb-pool')).toEqual([]);
  });

  it('never deletes a placement group it did not create', async () => {
    const own = await (
      await fetch(`${mock.url}/placement_groups`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'users-own', type: 'spread' }),
      })
    ).json();
    const id = (own as { placement_group: { id: number } }).placement_group.id;
    const d = await configuredDriver(mock, 'own-pool-abcde-00001', { 'hetzner-placement-group': 'users-own' });
    await d.preCreateCheck();
    await d.create();
    await d.remove();
    expect(mock.state.placementGroups.has(id)).toBe(true);
  });
});
