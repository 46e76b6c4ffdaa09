// `gc` against a mock seeded with orphans and live resources of two clusters plus unlabelled look-alikes: the dry run
// changes nothing, the real run removes exactly the orphans (and the stale firewall addresses), a second run finds
// nothing, and young orphans are left to a Create that may still be running.
import { type MockServer, startMock } from 'hcloud-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli';
import { UsageError } from '../../src/command';
import { INTERNAL_RULES, internalRule } from '../../src/firewall/rules';
import { gcCommand, parseDuration, parseGcArgs } from '../../src/gc';
import { HcloudClient } from '../../src/hcloud';
import { generateEd25519KeyPair } from '../../src/ssh/keys';

const TOKEN = 'gc-token-0123456789';
let mock: MockServer;
let client: HcloudClient;
const ids: Record<string, number> = {};

const managed = (cluster: string, extra: Record<string, string> = {}) => ({
  'managed-by': 'rancher-machine',
  cluster,
  ...extra,
});
const autoGroup = (cluster: string, pool: string) => managed(cluster, { pool, 'auto-placement': 'spread' });

function env() {
  return { HETZNER_API_TOKEN: TOKEN, HETZNER_API_ENDPOINT: mock.url };
}

async function gc(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io = { stdout: (t: string) => (out += t), stderr: (t: string) => (err += t) };
  const code = await gcCommand(args, io, env(), { backoff: { baseMs: 5, capMs: 20 } }).catch((e: Error) => {
    err += e.message;
    return 1;
  });
  return { code, out, err };
}

function inventory() {
  return {
    keys: [...mock.state.sshKeys.values()].map((k) => k.name).sort(),
    groups: [...mock.state.placementGroups.values()].map((g) => g.name).sort(),
    firewalls: [...mock.state.firewalls.values()].map((f) => f.name).sort(),
    servers: [...mock.state.servers.values()].map((s) => s.name).sort(),
  };
}

function sourcesOf(firewallId: number): string[] {
  const fw = mock.state.firewalls.get(firewallId)!;
  return [...new Set(fw.rules.flatMap((r) => r.source_ips ?? []))].sort();
}

beforeAll(async () => {
  mock = await startMock({
    defaultActionMs: 10,
    labelSelectorPropagationMs: 5,
    rateLimit: false,
    seedData: false,
    tokens: [TOKEN],
  });
  client = new HcloudClient({ token: TOKEN, endpoint: mock.url, poll: { initialMs: 5, maxMs: 20, factor: 1.5 } });
  const key = (name: string, labels: Record<string, string>) =>
    client.sshKeys.create({ name, public_key: generateEd25519KeyPair(name).publicKey, labels });

  // Cluster c-gc: one live machine, one vanished.
  const live = mock.state.addServer({ name: 'gc-live-1', labels: managed('c-gc', { machine: 'gc-live-1' }) });
  ids.live = live.id;
  await key('gc-live-1-aaaa', managed('c-gc', { machine: 'gc-live-1' }));
  await key('gc-gone-1-bbbb', managed('c-gc', { machine: 'gc-gone-1' }));
  // Look-alikes that must survive: unlabelled, another cluster's, no cluster label, not ours.
  await key('gc-gone-2-unlabelled', {});
  await key('other-gone-cccc', managed('c-other', { machine: 'other-gone' }));
  await key('nocluster-gone-dddd', { 'managed-by': 'rancher-machine', machine: 'nocluster-gone' });
  await key('gc-gone-3-foreign', { cluster: 'c-gc', machine: 'gc-gone-3' });

  const group = (name: string, labels: Record<string, string>) =>
    client.placementGroups.create({ name, type: 'spread', labels });
  ids.emptyGroup = (await group('gc-pool-spread-2', autoGroup('c-gc', 'gc-pool'))).id;
  const used = await group('gc-pool-spread-1', autoGroup('c-gc', 'gc-pool'));
  mock.state.placementGroups.get(used.id)!.servers.push(live.id);
  mock.state.servers.get(live.id)!.placementGroupId = used.id;
  await group('users-empty-group', {});
  await group('labelled-manual-group', managed('c-gc'));
  await group('other-pool-spread-1', autoGroup('c-other', 'other-pool'));

  // The cluster firewall: the live node plus an address of a node that vanished without deregistering.
  const liveV4 = mock.state.primaryIps.get(live.ipv4!)!.ip;
  const rules = INTERNAL_RULES.slice(0, 2).map((t) => internalRule(t, [`${liveV4}/32`, '203.0.113.7/32']));
  const { firewall } = await client.firewalls.create({
    name: 'rancher-c-gc',
    labels: managed('c-gc'),
    rules,
    apply_to: [{ type: 'label_selector', label_selector: { selector: 'rancher-firewall=c-gc' } }],
  });
  ids.firewall = firewall.id;
  ids.liveV4 = 0;
  // Cluster c-empty: its firewall outlived every node.
  const empty = await client.firewalls.create({
    name: 'rancher-c-empty',
    labels: managed('c-empty'),
    apply_to: [{ type: 'label_selector', label_selector: { selector: 'rancher-firewall=c-empty' } }],
  });
  ids.emptyFirewall = empty.firewall.id;
  await client.firewalls.create({ name: 'users-firewall', labels: {} });
});

afterAll(async () => {
  await mock?.stop();
});

describe('gc arguments', () => {
  it('parses flags and durations and rejects the rest', () => {
    expect(parseGcArgs(['--cluster-id', 'c-1'])).toEqual({ clusterId: 'c-1', dryRun: true, minAgeMs: 600_000 });
    expect(parseGcArgs(['--cluster-id', 'c-1', '--yes'])).toEqual({
      clusterId: 'c-1',
      dryRun: false,
      minAgeMs: 600_000,
    });
    expect(parseGcArgs(['--delete', '--cluster-id=c-1'])).toMatchObject({ dryRun: false });
    expect(parseGcArgs(['--cluster-id=c-1', '--dry-run', '--min-age', '90s'])).toEqual({
      clusterId: 'c-1',
      dryRun: true,
      minAgeMs: 90_000,
    });
    expect(parseGcArgs(['--cluster-id', 'c', '--hetzner-api-endpoint', 'https://x.example/v1'])).toMatchObject({
      endpoint: 'https://x.example/v1',
    });
    expect(parseGcArgs(['--cluster-id', 'c', '--help'])).toBe('help');
    expect(() => parseGcArgs(['--cluster-id', 'x', '--yes', '--dry-run'])).toThrow(UsageError);
    expect(() => parseGcArgs(['--cluster-id', 'x', '--yes=no'])).toThrow(/--yes takes no value/);
    expect(parseDuration('2h')).toBe(7_200_000);
    expect(parseDuration('0')).toBe(0);
    expect(parseDuration('soon')).toBeNull();
    expect(() => parseGcArgs([])).toThrow(UsageError);
    expect(() => parseGcArgs([])).toThrow(/--cluster-id is required/);
    expect(() => parseGcArgs(['--cluster-id', 'x', '--force'])).toThrow(/unknown argument "--force"/);
    expect(() => parseGcArgs(['--cluster-id', 'x', '--min-age', 'soon'])).toThrow(/--min-age must be a duration/);
  });

  it('is a CLI command that needs the token from the environment', async () => {
    let err = '';
    const saved = process.env.HETZNER_API_TOKEN;
    delete process.env.HETZNER_API_TOKEN;
    try {
      const code = await runCli(['gc', '--cluster-id', 'c-gc'], { stdout: () => {}, stderr: (t) => (err += t) });
      expect(code).toBe(1);
      expect(err).toMatch(/gc: set HETZNER_API_TOKEN/);
    } finally {
      if (saved !== undefined) process.env.HETZNER_API_TOKEN = saved;
    }
  });
});

describe('gc', () => {
  it('dry run: lists exactly the orphans and the stale address, and changes nothing', async () => {
    const before = inventory();
    const sources = sourcesOf(ids.firewall!);
    const r = await gc(['--cluster-id', 'c-gc', '--dry-run', '--min-age', '0']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/dry run: nothing was changed/);
    const rows = r.out
      .trim()
      .split('\n')
      .slice(2)
      .filter((l) => !l.startsWith('Run again'));
    expect(rows).toHaveLength(3);
    expect(r.out).toMatch(/ssh-key\s+\d+\s+gc-gone-1-bbbb\s+machine gc-gone-1 has no server\s+would delete/);
    expect(r.out).toMatch(/placement-group\s+\d+\s+gc-pool-spread-2\s+auto-created, no servers\s+would delete/);
    expect(r.out).toMatch(
      /firewall-rules\s+\d+\s+rancher-c-gc\s+stale node addresses: 203\.0\.113\.7\/32\s+would update/,
    );
    expect(inventory()).toEqual(before);
    expect(sourcesOf(ids.firewall!)).toEqual(sources);
  });

  it('without --yes only lists what it would do: a dry run that exits 0 and changes nothing', async () => {
    const before = inventory();
    const sources = sourcesOf(ids.firewall!);
    const r = await gc(['--cluster-id', 'c-gc', '--min-age', '0']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/dry run: nothing was changed/);
    expect(r.out).toMatch(/gc-gone-1-bbbb\s+.*would delete$/m);
    expect(r.out).toMatch(/Run again with --yes/);
    expect(inventory()).toEqual(before);
    expect(sourcesOf(ids.firewall!)).toEqual(sources);
  });

  it('says so when nothing at all carries the cluster’s labels', async () => {
    const r = await gc(['--cluster-id', 'c-never-existed', '--min-age', '0', '--yes']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/nothing in this project carries the driver's labels for this cluster; check --cluster-id/);
    expect(r.out).not.toMatch(/in use/);
  });

  it('leaves orphans younger than --min-age alone', async () => {
    const r = await gc(['--cluster-id', 'c-gc', '--dry-run']);
    expect(r.out).toMatch(/gc-gone-1-bbbb .*skipped: younger than --min-age/);
    expect(r.out).toMatch(/gc-pool-spread-2 .*skipped: younger than --min-age/);
  });

  it('deletes exactly the orphans, cleans the stale address, and then finds nothing', async () => {
    const before = inventory();
    const r = await gc(['--cluster-id', 'c-gc', '--min-age', '0', '--yes']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/gc-gone-1-bbbb\s+.*\bdeleted$/m);
    expect(r.out).toMatch(/gc-pool-spread-2\s+.*\bdeleted$/m);
    expect(r.out).toMatch(/rancher-c-gc\s+.*\bupdated$/m);
    expect(inventory()).toEqual({
      ...before,
      keys: before.keys.filter((k) => k !== 'gc-gone-1-bbbb'),
      groups: before.groups.filter((g) => g !== 'gc-pool-spread-2'),
    });
    // The stale address is gone; the live node's addresses (its /64 too, which the seed lacked) are in.
    const liveSrv = mock.state.servers.get(ids.live!)!;
    const liveV4 = mock.state.primaryIps.get(liveSrv.ipv4!)!.ip;
    const liveV6 = mock.state.primaryIps.get(liveSrv.ipv6!)!.ip;
    expect(sourcesOf(ids.firewall!)).toEqual([`${liveV4}/32`, liveV6].sort());

    const again = await gc(['--cluster-id', 'c-gc', '--min-age', '0', '--yes']);
    expect(again.out).toMatch(/Nothing to collect/);
  });

  it('deletes the firewall of a cluster without servers, and nothing of other clusters', async () => {
    const before = inventory();
    const r = await gc(['--cluster-id', 'c-empty', '--min-age', '0', '--delete']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/firewall\s+\d+\s+rancher-c-empty\s+the cluster has no servers\s+deleted/);
    expect(mock.state.firewalls.has(ids.emptyFirewall!)).toBe(false);
    expect(inventory()).toEqual({ ...before, firewalls: before.firewalls.filter((f) => f !== 'rancher-c-empty') });
    expect(mock.state.checkInvariants()).toEqual([]);
  });
});
