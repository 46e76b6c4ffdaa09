// The modes of the design's table, against the mock: who gets the firewall, who is registered, who deletes it.
import { type MockServer, startMock } from 'hcloud-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deregisterNode, FirewallLimitError, prepareClusterFirewall, registerNode } from '../../src/firewall';
import { nodeSources } from '../../src/firewall/desired';
import { INTERNAL_RULES } from '../../src/firewall/rules';
import { HcloudClient } from '../../src/hcloud';
import { FIREWALL_SELECTOR_KEY } from '../../src/labels';
import { captureLogger } from '../driver/helpers';
import { createServer, FAST_CLIENT, join, leave, makeNode, observe, type SimOptions } from './cluster-sim';

const RECONCILE = { baseDelayMs: 5, maxDelayMs: 50, maxAttempts: 30 };
let mock: MockServer;
let opts: SimOptions;

beforeEach(async () => {
  mock = await startMock({ seedData: false, rateLimit: false, defaultActionMs: 15, labelSelectorPropagationMs: 10 });
  opts = { url: mock.url, clusterId: 'c-modes', reconcile: RECONCILE };
});
afterEach(async () => {
  await mock.stop();
});

function admin(): HcloudClient {
  return new HcloudClient({ token: 'admin', endpoint: mock.url, ...FAST_CLIENT });
}

async function settle(ms = 80): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

describe('create-firewall', () => {
  it('creates one labelled firewall with the template, applied by selector and in the create request', async () => {
    const node = makeNode(opts, 'cf-1', true);
    const prepared = await prepareClusterFirewall(node.ctx);
    expect(prepared.serverLabels).toEqual({ [FIREWALL_SELECTOR_KEY]: 'c-modes' });
    const fw = await admin().firewalls.get(prepared.firewallIds[0]!);
    expect(fw).toMatchObject({
      name: 'rancher-c-modes',
      labels: { 'managed-by': 'rancher-machine', cluster: 'c-modes' },
    });
    expect(fw!.applied_to).toEqual([
      { type: 'label_selector', label_selector: { selector: 'rancher-firewall=c-modes' }, applied_to_resources: [] },
    ]);
    // SSH is open from the first boot; internal rules wait for the first node address.
    expect(fw!.rules.some((r) => r.port === '22' && r.source_ips.includes('0.0.0.0/0'))).toBe(true);

    const server = await join(node);
    const o = await observe(mock.url, 'c-modes');
    expect(o.actual).toEqual(nodeSources(server));
    expect(server.public_net.firewalls.map((f) => f.id)).toEqual([fw!.id]);
    expect(mock.stats().byEndpoint['POST /firewalls']).toBe(1);
  });

  it('falls back to finding the firewall when another node created it concurrently', async () => {
    // Both nodes list the firewalls before either has created it.
    mock.faults.add({
      match: { method: 'GET', path: /^\/firewalls$/ },
      when: { times: 2 },
      effect: { applyThen: { delayMs: 100 } },
    });
    const log = captureLogger();
    const a = makeNode({ ...opts, logger: log }, 'race-a', true);
    const b = makeNode({ ...opts, logger: log }, 'race-b', true);
    const [pa, pb] = await Promise.all([prepareClusterFirewall(a.ctx), prepareClusterFirewall(b.ctx)]);
    expect(pa.firewallIds).toEqual(pb.firewallIds);
    const posts = mock.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/firewalls'));
    expect(posts.map((r) => r.status).sort()).toEqual([201, 409]);
    expect(log.lines.join('\n')).toMatch(/created concurrently by another node/);
    expect(await admin().firewalls.list()).toHaveLength(1);
  });

  it('uses firewall-name, and nodes without it still find the firewall by label', async () => {
    const named = makeNode({ ...opts, firewallName: 'my-cluster-fw' }, 'cf-named', true);
    await join(named);
    const plain = makeNode(opts, 'cid-only', false);
    await join(plain);
    const o = await observe(mock.url, 'c-modes');
    expect(o.firewall!.name).toBe('my-cluster-fw');
    expect(o.actual).toEqual(o.expected);
    expect(o.expected).toHaveLength(4);
  });

  it('says so when the firewall name belongs to a firewall of someone else', async () => {
    await admin().firewalls.create({ name: 'rancher-c-modes', labels: { team: 'other' } });
    const node = makeNode(opts, 'cf-clash', true);
    await expect(prepareClusterFirewall(node.ctx)).rejects.toThrow(
      /firewall named "rancher-c-modes" \(#\d+\) already exists but does not carry the labels of cluster c-modes.*team=other \(not made by this driver\)/,
    );
  });

  it('refuses, before creating anything, a node that would exceed 5 firewalls', async () => {
    const client = admin();
    for (let i = 0; i < 5; i++) {
      await client.firewalls.create({
        name: `org-wide-${i}`,
        apply_to: [{ type: 'label_selector', label_selector: { selector: 'managed-by=rancher-machine' } }],
      });
    }
    const node = makeNode(opts, 'cf-limit', true);
    const err = await prepareClusterFirewall(node.ctx).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FirewallLimitError);
    expect((err as Error).message).toMatch(/would get 6 firewalls, but Hetzner allows 5 per server.*org-wide-0/);
    expect((await client.firewalls.list()).map((f) => f.name)).not.toContain('rancher-c-modes');
  });

  it('counts --hetzner-firewalls ids toward the limit in every mode', async () => {
    const client = admin();
    const ids: number[] = [];
    for (let i = 0; i < 6; i++) ids.push((await client.firewalls.create({ name: `own-${i}` })).firewall.id);
    const node = makeNode(opts, 'own-limit', false);
    node.ctx.extraFirewallIds = ids;
    await expect(prepareClusterFirewall(node.ctx)).rejects.toThrow(/would get 6 firewalls/);
    node.ctx.extraFirewallIds = ids.slice(0, 5);
    await expect(prepareClusterFirewall(node.ctx)).resolves.toEqual({ firewallIds: [], serverLabels: {} });
  });

  it('deletes the firewall after the last create-firewall node, riding out resource_in_use', async () => {
    const a = makeNode(opts, 'cf-a', true);
    const b = makeNode(opts, 'cf-b', true);
    const c = makeNode(opts, 'cid-c', false);
    await Promise.all([join(a), join(b), join(c)]);
    mock.faults.add({
      match: { method: 'DELETE', path: /^\/firewalls\/\d+$/ },
      when: { times: 2 },
      effect: mock.faults.presets.resourceInUse(),
    });
    await leave(a);
    expect((await observe(mock.url, 'c-modes')).firewalls).toHaveLength(1);
    await leave(b);
    // c has no create-firewall: it is registered but does not keep the firewall alive.
    expect((await observe(mock.url, 'c-modes')).firewalls).toHaveLength(0);
    expect(mock.requests.filter((r) => r.method === 'DELETE' && /\/firewalls\/\d+$/.test(r.path)).length).toBe(3);
    const log = captureLogger();
    c.ctx.logger = log;
    await leave(c);
    expect(log.lines.some((l) => l.includes('nothing to deregister'))).toBe(true);
  });
});

describe('template extras', () => {
  it('creates the firewall with admin-only SSH, and keeps it on every join', async () => {
    const a = makeNode(opts, 'cf-extra-a', true);
    const b = makeNode(opts, 'cf-extra-b', true);
    for (const n of [a, b]) n.ctx.adminCidrs = ['203.0.113.0/24'];
    const { firewallIds } = await prepareClusterFirewall(a.ctx);
    const created = await admin().firewalls.get(firewallIds[0]!);
    expect(created!.rules.find((r) => r.port === '22')!.source_ips).toEqual(['203.0.113.0/24']);
    await Promise.all([join(a), join(b)]);
    const o = await observe(mock.url, 'c-modes');
    expect(o.perGroup.size).toBe(INTERNAL_RULES.length);
    for (const sources of o.perGroup.values()) expect(sources).toEqual(o.expected);
    expect(o.firewall!.rules.find((r) => r.port === '6443')!.source_ips).toEqual(['203.0.113.0/24']);
  });
});

describe('cluster-id without create-firewall', () => {
  it('registers in the cluster firewall but never gets it attached, and never deletes it', async () => {
    const owner = makeNode(opts, 'cf-owner', true);
    await join(owner);
    const member = makeNode(opts, 'cid-member', false);
    const prepared = await prepareClusterFirewall(member.ctx);
    expect(prepared).toEqual({ firewallIds: [], serverLabels: {} });
    const server = await join(member);
    await settle();
    const fresh = await admin().servers.get(server.id);
    expect(fresh!.public_net.firewalls).toEqual([]);
    let o = await observe(mock.url, 'c-modes');
    expect(o.actual).toEqual(o.expected);
    expect(o.actual).toEqual(expect.arrayContaining(nodeSources(server)));

    await leave(member);
    o = await observe(mock.url, 'c-modes');
    expect(o.firewalls).toHaveLength(1);
    expect(o.actual).toEqual(nodeSources(owner.server!));
  });

  it('does nothing but say so when the cluster has no firewall', async () => {
    const log = captureLogger();
    const node = makeNode({ ...opts, logger: log }, 'cid-alone', false);
    await join(node);
    expect((await admin().firewalls.list()).length).toBe(0);
    expect(log.lines.join('\n')).toMatch(/no shared firewall found for cluster c-modes/);
  });
});

describe('no cluster id', () => {
  it('makes no firewall call at all', async () => {
    const node = makeNode({ ...opts, clusterId: '' }, 'loner', false);
    const server = await createServer(node);
    const before = mock.stats().total;
    expect(await prepareClusterFirewall(node.ctx)).toEqual({ firewallIds: [], serverLabels: {} });
    await registerNode(node.ctx, server);
    await deregisterNode(node.ctx, server);
    expect(mock.stats().total).toBe(before);
  });

  it('rejects create-firewall without a cluster id with the flag to set', async () => {
    const node = makeNode({ ...opts, clusterId: ' ' }, 'loner', true);
    await expect(prepareClusterFirewall(node.ctx)).rejects.toThrow(/--hetzner-cluster-id/);
  });
});

describe('rules without auto-create', () => {
  it('creates an empty firewall and warns that there is nothing to register into', async () => {
    const log = captureLogger();
    const node = makeNode({ ...opts, autoCreateRules: false, logger: log }, 'cf-norules', true);
    await join(node);
    const o = await observe(mock.url, 'c-modes');
    expect(o.firewall!.rules).toEqual([]);
    expect(log.lines.join('\n')).toMatch(/warn the cluster firewall has no internal rules/);
  });

  it('keeps user rules and fills user-made internal rules', async () => {
    const client = admin();
    const seed = makeNode({ ...opts, autoCreateRules: false }, 'cf-user', true);
    const { firewallIds } = await prepareClusterFirewall(seed.ctx);
    await client.firewalls.setRules(firewallIds[0]!, [
      { direction: 'in', protocol: 'tcp', port: '22', source_ips: ['198.51.100.0/24'], description: 'office SSH' },
      {
        direction: 'in',
        protocol: 'tcp',
        port: '9345',
        source_ips: ['192.0.2.1/32'],
        description: 'sup (cluster nodes only)',
      },
    ]);
    const server = await join(seed);
    const o = await observe(mock.url, 'c-modes');
    expect(o.firewall!.rules).toHaveLength(2);
    expect(o.firewall!.rules.find((r) => r.port === '22')!.source_ips).toEqual(['198.51.100.0/24']);
    expect(o.actual).toEqual(nodeSources(server));
  });
});

describe('deregister without a known server', () => {
  it('reconciles from ground truth alone', async () => {
    const a = makeNode(opts, 'cf-x', true);
    const b = makeNode(opts, 'cf-y', true);
    await Promise.all([join(a), join(b)]);
    const client = admin();
    await client.actions.waitFor([await client.servers.delete(b.server!.id)]);
    await deregisterNode(b.ctx, null);
    const o = await observe(mock.url, 'c-modes');
    expect(o.actual).toEqual(nodeSources(a.server!));
  });
});
