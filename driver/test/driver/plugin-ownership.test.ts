// Scope is ownership, proven by labels, THROUGH THE PLUGIN PROTOCOL: a name match never lets the driver change,
// attach or delete a firewall, server or SSH key of another cluster or of a person; a Remove that knows only the
// machine name still leaves the cluster firewall and placement groups as a full Remove does; and user labels cannot
// set the driver's own label keys. The operation under test runs in a plugin process driven as rancher-machine drives
// it, against the mock; machines that are mere scenery are made in-process (a plugin start costs seconds here).
import type { MockServer } from 'hcloud-mock';
import { describe, expect, it } from 'vitest';
import type { FlagValue } from '../../src/driver/interface';
import { INTERNAL_RULES, internalRule } from '../../src/firewall/rules';
import { HcloudClient } from '../../src/hcloud';
import type { PluginClient } from '../../src/plugin/client';
import { generateEd25519KeyPair } from '../../src/ssh/keys';
import { observe } from '../firewall/cluster-sim';
import { baseConfig, flagDefaults, spawnDriverPlugin } from '../fixtures/plugin-session';
import { configuredDriver, fastMockPerFile, resourcesOf, TOKEN, tempStore } from './helpers';

let mock: MockServer;
fastMockPerFile({ tokens: [TOKEN], seedData: false }, (m) => {
  mock = m;
});

const MANAGED = { 'managed-by': 'rancher-machine' };

function admin(): HcloudClient {
  return new HcloudClient({ token: TOKEN, endpoint: mock.url, poll: { initialMs: 5, maxMs: 20, factor: 1.5 } });
}

interface Session {
  client: PluginClient;
  log: string[];
}

async function plugin(): Promise<Session> {
  const log: string[] = [];
  const client = await spawnDriverPlugin({
    // The endpoint from the environment too, as Rancher's jobs get it: a Remove from the name alone knows no other.
    env: { ...process.env, HETZNER_API_TOKEN: TOKEN, HETZNER_API_ENDPOINT: mock.url, HETZNER_DRIVER_POLL_MS: '20' },
    onStdout: (l) => log.push(l),
    onStderr: (l) => log.push(l),
    addressTimeoutMs: 30_000,
  });
  return { client, log };
}

/** The process configured as rancher-machine configures a machine it is about to create. */
async function configure(client: PluginClient, name: string, values: Record<string, FlagValue>): Promise<void> {
  await client.setConfigRaw(baseConfig(name, tempStore()));
  const opts = await flagDefaults(client);
  opts.set('hetzner-api-endpoint', mock.url);
  for (const [k, v] of Object.entries(values)) opts.set(k, v);
  await client.setConfigFromFlags(opts);
}

/** Scenery: a machine made by the driver in-process; the config rancher-machine would save afterwards. */
async function created(name: string, values: Record<string, FlagValue>): Promise<Uint8Array> {
  const d = await configuredDriver(mock, name, values);
  await d.preCreateCheck();
  await d.create();
  return d.getConfigRaw();
}

/** `rm` from a stored config (bytes) or from the machine name alone (BaseDriver fields only). */
async function remove(client: PluginClient, config: Uint8Array | string): Promise<void> {
  await client.setConfigRaw(typeof config === 'string' ? baseConfig(config, tempStore()) : config);
  await client.remove();
}

async function rejection(p: Promise<unknown>): Promise<string> {
  return p.then(
    () => 'resolved',
    (e: unknown) => (e as Error).message,
  );
}

/** What a firewall is, for "never modified": its rules, what it is applied to, its labels. */
function firewallState(id: number) {
  const fw = mock.state.firewalls.get(id);
  return fw
    ? JSON.parse(JSON.stringify({ name: fw.name, labels: fw.labels, rules: fw.rules, to: fw.applied_to }))
    : null;
}

function appliedTo(id: number): string[] {
  return [...mock.state.servers.values()]
    .filter((s) => s.firewalls.some((f) => f.id === id))
    .map((s) => s.name)
    .sort();
}

const clusterFirewallFlags = (cluster: string, extra: Record<string, FlagValue> = {}) => ({
  'hetzner-cluster-id': cluster,
  'hetzner-create-firewall': true,
  'hetzner-auto-create-firewall-rules': true,
  ...extra,
});

// Plugin processes start (and exit) slowly on a loaded machine (tsx compiles the driver on the fly).
const TIMEOUT = 90_000;
const CLOSE_MS = 20_000;

describe.concurrent('ownership: a name match is never enough (plugin protocol)', () => {
  it(
    'refuses a firewall owned by another cluster (--hetzner-firewall-name), before any server exists',
    async () => {
      const { firewall } = await admin().firewalls.create({
        name: 'rancher-c-own-a',
        labels: { ...MANAGED, cluster: 'c-own-a' },
        rules: INTERNAL_RULES.slice(0, 2).map((t) => internalRule(t, ['198.51.100.1/32', '198.51.100.2/32'])),
        apply_to: [{ type: 'label_selector', label_selector: { selector: 'rancher-firewall=c-own-a' } }],
      });
      const before = firewallState(firewall.id);
      const { client } = await plugin();
      try {
        await configure(client, 'own-b-1', clusterFirewallFlags('c-own-b', { 'hetzner-firewall-name': firewall.name }));
        const check = await rejection(client.preCreateCheck());
        expect(check).toMatch(/hetzner-firewall-name: a firewall named "rancher-c-own-a" \(#\d+\) already exists/);
        expect(check).toMatch(
          /cluster=c-own-a, managed-by=rancher-machine \(made by this driver for cluster c-own-a\)/,
        );
        expect(check).toMatch(/choose another --hetzner-firewall-name, or leave it empty to use rancher-c-own-b/);
        // A Create that skipped the check (or ran it in another process) plans again and refuses the same way.
        expect(await rejection(client.create())).toMatch(/"rancher-c-own-a".*made by this driver for cluster c-own-a/);
      } finally {
        await client.close(CLOSE_MS);
      }
      expect(resourcesOf(mock, 'own-b-1')).toEqual({ servers: [], keys: [] });
      expect(firewallState(firewall.id)).toEqual(before);
      expect(before.to).toMatchObject([
        { type: 'label_selector', label_selector: { selector: 'rancher-firewall=c-own-a' } },
      ]);
    },
    TIMEOUT,
  );

  it(
    'refuses an unlabelled hand-made firewall (--hetzner-firewall-name), and one that appears after PreCreateCheck',
    async () => {
      const db = mock.state.addServer({ name: 'own-db' });
      const rules = [
        { direction: 'in' as const, protocol: 'tcp' as const, port: '5432', source_ips: ['192.0.2.0/24'] },
        internalRule(INTERNAL_RULES[0]!, ['192.0.2.10/32']),
      ];
      const { firewall } = await admin().firewalls.create({
        name: 'own-db-firewall',
        rules,
        apply_to: [{ type: 'server', server: { id: db.id } }],
      });
      const before = firewallState(firewall.id);
      const { client } = await plugin();
      let lateId = 0;
      try {
        await configure(
          client,
          'own-hand-1',
          clusterFirewallFlags('c-own-h', { 'hetzner-firewall-name': firewall.name }),
        );
        const check = await rejection(client.preCreateCheck());
        expect(check).toMatch(/hetzner-firewall-name: a firewall named "own-db-firewall" \(#\d+\) already exists/);
        expect(check).toMatch(/it has no labels \(made by hand\)/);
        expect(check).toMatch(/never changes, attaches or deletes a firewall it did not create for this cluster/);

        // The same kind of firewall, made between PreCreateCheck and Create: Create refuses it too, and rolls back.
        await configure(client, 'own-hand-2', clusterFirewallFlags('c-own-h', { 'hetzner-firewall-name': 'own-late' }));
        await client.preCreateCheck();
        lateId = (await admin().firewalls.create({ name: 'own-late', rules })).firewall.id;
        const lateBefore = firewallState(lateId);
        const create = await rejection(client.create());
        expect(create).toMatch(/firewall named "own-late" \(#\d+\) already exists.*no labels \(made by hand\)/);
        expect(create).toMatch(/Everything it created has been removed/);
        expect(firewallState(lateId)).toEqual(lateBefore);
      } finally {
        await client.close(CLOSE_MS);
      }
      expect(resourcesOf(mock, 'own-hand-1')).toEqual({ servers: [], keys: [] });
      expect(resourcesOf(mock, 'own-hand-2')).toEqual({ servers: [], keys: [] });
      expect(firewallState(firewall.id)).toEqual(before);
      expect(appliedTo(firewall.id)).toEqual(['own-db']);
      expect(appliedTo(lateId)).toEqual([]);
    },
    TIMEOUT,
  );

  it(
    'Remove never detaches or deletes a firewall of someone else that its stored config names',
    async () => {
      // A config written when the name was still accepted (the driver before this rule): the last create-firewall
      // node's Remove used to detach and delete whatever firewall had that name.
      const [saved, session] = await Promise.all([
        created('own-rm-1', clusterFirewallFlags('c-own-rm', { 'hetzner-firewall-name': 'own-rm-fw' })),
        plugin(),
      ]);
      const victimServer = mock.state.addServer({ name: 'own-victim' });
      const { firewall } = await admin().firewalls.create({
        name: 'own-victim-fw',
        labels: { team: 'db' },
        rules: [internalRule(INTERNAL_RULES[1]!, ['192.0.2.20/32'])],
        apply_to: [{ type: 'server', server: { id: victimServer.id } }],
      });
      const before = firewallState(firewall.id);
      const config = JSON.parse(new TextDecoder().decode(saved));
      config.FirewallName = 'own-victim-fw';
      try {
        await remove(session.client, new TextEncoder().encode(JSON.stringify(config)));
      } finally {
        await session.client.close(CLOSE_MS);
      }
      expect(resourcesOf(mock, 'own-rm-1')).toEqual({ servers: [], keys: [] });
      expect(firewallState(firewall.id)).toEqual(before);
      expect(appliedTo(firewall.id)).toEqual(['own-victim']);
      expect(session.log.join('\n')).toMatch(/leaving the firewall alone .*"own-victim-fw".*team=db \(not made by/);
    },
    TIMEOUT,
  );

  it(
    "Create (and the Remove after it) refuses another cluster's live server of the same machine name and its key",
    async () => {
      const other = (machine: string) => ({ ...MANAGED, cluster: 'c-own-other', machine });
      const key = (machine: string) =>
        admin().sshKeys.create({
          name: `${machine}-0a1b2c3d`,
          public_key: generateEd25519KeyPair(machine).publicKey,
          labels: other(machine),
        });
      // Already there before PreCreateCheck, which does not look the name up: the create's POST meets the server.
      const first = mock.state.addServer({ name: 'own-dup-1', labels: other('own-dup-1') });
      await key('own-dup-1');
      const { client } = await plugin();
      try {
        await configure(client, 'own-dup-1', { 'hetzner-cluster-id': 'c-own-mine' });
        await client.preCreateCheck();
        const check = await rejection(client.create());
        expect(check).toMatch(/a server named "own-dup-1" already exists in this Hetzner project \(id \d+, running\)/);
        expect(check).toMatch(/not made by this driver for this machine of cluster c-own-mine/);
        expect(check).toMatch(/cluster=c-own-other.*\(made by this driver for cluster c-own-other\)/);
        expect(check).toMatch(/Nothing was deleted/);
        expect(check).toMatch(/Everything it created has been removed/);
        expect(mock.state.servers.get(first.id)?.status).toBe('running');

        // Made by the other cluster between PreCreateCheck and Create.
        await configure(client, 'own-dup-2', { 'hetzner-cluster-id': 'c-own-mine' });
        await client.preCreateCheck();
        const second = mock.state.addServer({ name: 'own-dup-2', labels: other('own-dup-2') });
        await key('own-dup-2');
        const create = await rejection(client.create());
        expect(create).toMatch(
          /a server named "own-dup-2" already exists.*made by this driver for cluster c-own-other/,
        );
        expect(mock.state.servers.get(second.id)?.status).toBe('running');

        // Rancher then deletes the machine from the config saved before Create: still not the other cluster's.
        await remove(client, await client.getConfigRawBytes());
        expect(mock.state.servers.get(second.id)?.status).toBe('running');
      } finally {
        await client.close(CLOSE_MS);
      }
      for (const machine of ['own-dup-1', 'own-dup-2']) {
        const { servers, keys } = resourcesOf(mock, machine);
        expect(servers.map((s) => s.labels.cluster)).toEqual(['c-own-other']);
        expect(keys.map((k) => k.labels.cluster)).toEqual(['c-own-other']);
      }
    },
    TIMEOUT,
  );

  it(
    'a Remove that knows only the machine name deregisters the node, and the last one deletes the firewall',
    async () => {
      const cluster = 'c-own-six';
      // A server someone labelled with the cluster's firewall selector and cluster label, without managed-by: it is
      // not a node, so its address never enters the node-only rules.
      const stranger = mock.state.addServer({ name: 'own-stranger', labels: { cluster, 'rancher-firewall': cluster } });
      const [session] = await Promise.all([
        plugin(),
        ...['own-six-1', 'own-six-2'].map((n) => created(n, clusterFirewallFlags(cluster))),
      ]);
      const { client, log } = session;
      try {
        const joined = await observe(mock.url, cluster, TOKEN);
        expect(joined.actual).toHaveLength(4);
        expect(joined.actual).toEqual(joined.expected);
        const strangerV4 = mock.state.primaryIps.get(stranger.ipv4!)!.ip;
        expect(joined.actual).not.toContain(`${strangerV4}/32`);

        await remove(client, 'own-six-1');
        const left = await observe(mock.url, cluster, TOKEN);
        expect(left.servers.map((s) => s.name)).toEqual(['own-six-2']);
        expect(left.actual).toEqual(left.expected);
        expect(left.actual).toHaveLength(2);
        expect(log.join('\n')).toMatch(/belonged to cluster c-own-six/);

        await remove(client, 'own-six-2');
        expect((await observe(mock.url, cluster, TOKEN)).firewalls).toEqual([]);
      } finally {
        await client.close(CLOSE_MS);
      }
      expect(resourcesOf(mock, 'own-six-1')).toEqual({ servers: [], keys: [] });
      expect(resourcesOf(mock, 'own-six-2')).toEqual({ servers: [], keys: [] });
    },
    TIMEOUT,
  );

  it(
    'a Remove that knows only the machine name deletes the empty spread group a killed Create left',
    async () => {
      const name = 'c-own-pg-pool1-5f6d7-abcde';
      mock.faults.add({
        match: { method: 'POST', path: '/servers', body: (b) => (b as { name?: string }).name === name },
        effect: { hang: true },
      });
      const [killed, rm] = await Promise.all([plugin(), plugin()]);
      await configure(killed.client, name, {
        'hetzner-cluster-id': 'c-own-pg',
        'hetzner-placement-group-spread': true,
      });
      await killed.client.preCreateCheck();
      const creating = killed.client.create().catch(() => {});
      const groups = () => [...mock.state.placementGroups.values()].filter((g) => g.labels.cluster === 'c-own-pg');
      for (let i = 0; i < 400 && groups().length === 0; i++) await new Promise((r) => setTimeout(r, 50));
      // kill -9 between the group and the server.
      await killed.client.killProcess();
      await creating;
      expect(groups()).toHaveLength(1);
      const [left] = groups();
      expect(left!.servers).toEqual([]);

      try {
        await remove(rm.client, name);
      } finally {
        await rm.client.close(CLOSE_MS);
      }
      expect(groups()).toEqual([]);
      // Found by its creator's label (the pool's labels alone name no machine).
      expect(left!.labels).toMatchObject({
        ...MANAGED,
        cluster: 'c-own-pg',
        machine: name,
        'auto-placement': 'spread',
      });
    },
    TIMEOUT,
  );

  it(
    "refuses user labels that set the driver's reserved keys (rancher-firewall, auto-placement, cluster, …)",
    async () => {
      const { client } = await plugin();
      try {
        await configure(client, 'own-labels', {
          'hetzner-cluster-id': 'c-own-l',
          'hetzner-server-labels': ['rancher-firewall=c-victim', 'auto-placement=spread', 'team=web'],
        });
        const check = await rejection(client.preCreateCheck());
        expect(check).toMatch(/hetzner-server-labels: label key "rancher-firewall" is reserved/);
        expect(check).toMatch(/hetzner-server-labels: label key "auto-placement" is reserved/);
        expect(check).not.toMatch(/"team"/);
      } finally {
        await client.close(CLOSE_MS);
      }
      expect(resourcesOf(mock, 'own-labels')).toEqual({ servers: [], keys: [] });
    },
    TIMEOUT,
  );
});
