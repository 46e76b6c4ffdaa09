// 20 independent writers (each its own HcloudClient, as each Rancher driver process has) join one cluster at once,
// under every set_rules concurrency behaviour the mock can show and under random injected failures; then half of
// them leave at once, then the rest. The firewall must always end equal to ground truth.
import { type MockServer, startMock } from 'hcloud-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { type Alongside, deregisterNode, registerNode } from '../../src/firewall';
import { createServer, join, leave, makeNode, observe, type SimNode, type SimOptions } from './cluster-sim';

const DURATIONS = {
  create_server: 40,
  start_server: 20,
  delete_server: 30,
  set_firewall_rules: 40,
  apply_firewall: 15,
  remove_firewall: 15,
};
const RECONCILE = { baseDelayMs: 10, maxDelayMs: 200, maxAttempts: 40 };

let mock: MockServer | null = null;
afterEach(async () => {
  await mock?.stop();
  mock = null;
});

async function start(): Promise<MockServer> {
  mock = await startMock({
    seedData: false,
    rateLimit: false,
    actionDurations: DURATIONS,
    labelSelectorPropagationMs: 20,
    seed: 7,
  });
  return mock;
}

async function expectConverged(m: MockServer, clusterId: string, serverCount: number) {
  const o = await observe(m.url, clusterId);
  expect(o.servers).toHaveLength(serverCount);
  expect(o.firewalls).toHaveLength(1);
  expect(o.expected).toHaveLength(serverCount * 2);
  expect(o.actual).toEqual(o.expected);
  // Every internal port group carries the whole list, not just the union of them.
  expect(o.perGroup.size).toBe(6);
  for (const sources of o.perGroup.values()) expect(sources).toEqual(o.expected);
  return o;
}

/** Staggered starts, so server creation interleaves with other nodes' reads and writes. */
function staggered<T>(items: T[], fn: (item: T) => Promise<unknown>, spreadMs: number): Promise<unknown[]> {
  return Promise.all(
    items.map(async (item, i) => {
      await new Promise((r) => setTimeout(r, (i * 7919) % spreadMs));
      return fn(item);
    }),
  );
}

async function scenario(m: MockServer, clusterId: string) {
  // Slow server lists make observations stale by the time they are written: the lost-update race of the issue.
  m.faults.add({
    match: { method: 'GET', path: /^\/servers$/ },
    when: { probability: 0.5 },
    effect: { applyThen: { delayMs: 80 } },
  });
  m.faults.add({ match: { method: 'POST', path: /set_rules$/ }, when: { probability: 0.5 }, effect: { delayMs: 60 } });
  const opts: SimOptions = { url: m.url, clusterId, reconcile: RECONCILE };
  const nodes: SimNode[] = Array.from({ length: 20 }, (_, i) => makeNode(opts, `${clusterId}-n${i}`, true));
  await staggered(nodes, join, 150);
  const afterJoin = await expectConverged(m, clusterId, 20);
  // create-firewall nodes carry the firewall from their first boot and keep it (selector + create request).
  for (const s of afterJoin.servers) expect(s.public_net.firewalls.map((f) => f.id)).toEqual([afterJoin.firewall!.id]);

  await staggered(nodes.slice(0, 10), leave, 100);
  await expectConverged(m, clusterId, 10);

  await staggered(nodes.slice(10), leave, 100);
  const end = await observe(m.url, clusterId);
  expect(end.servers).toHaveLength(0);
  expect(end.firewalls).toHaveLength(0);
  expect(m.state.firewalls.size).toBe(0);
}

describe('shared firewall under concurrent joins and leaves', () => {
  it('a stale writer cannot erase a node that already verified (the lost update of the Go design)', async () => {
    const m = await start();
    const opts: SimOptions = { url: m.url, clusterId: 'c-stale', reconcile: RECONCILE };
    const a = makeNode(opts, 'stale-a', true);
    const b = makeNode(opts, 'stale-b', true);
    // A's prepare reads the firewall now; its first write will take those rules, which will be stale.
    const aServer = await createServer(a);
    // Meanwhile B joins completely: its server exists, its write verified.
    const bServer = await join(b);
    const mid = await observe(m.url, 'c-stale');
    expect(mid.actual).toEqual(expect.arrayContaining([`${bServer.public_net.ipv4!.ip}/32`]));
    // A now writes from its stale view (without B); its verify pass must notice and heal it.
    await registerNode(a.ctx, aServer);
    const end = await observe(m.url, 'c-stale');
    expect(end.servers).toHaveLength(2);
    expect(end.actual).toEqual(end.expected);
    const setRules = m.requests.filter((r) => r.path.endsWith('/actions/set_rules') && r.status === 201);
    expect(setRules.length).toBeGreaterThanOrEqual(3);
  }, 120_000);

  it('nodes leaving at once with listings taken before their deletes: the last of them still deletes the firewall', async () => {
    const m = await start();
    const opts: SimOptions = { url: m.url, clusterId: 'c-both', reconcile: RECONCILE };
    const nodes = [makeNode(opts, 'both-a', true), makeNode(opts, 'both-b', true), makeNode(opts, 'both-c', true)];
    for (const n of nodes) await join(n);
    // As Remove does: each lists the cluster first (and sees the others), then deletes its server and hands both the
    // listing and the delete to the firewall step.
    const selector = 'managed-by=rancher-machine,cluster=c-both';
    const lists = await Promise.all(nodes.map((n) => n.client.servers.list({ label_selector: selector })));
    await Promise.all(
      nodes.map(async (n, i) => {
        const action = await n.client.servers.delete(n.server!.id);
        const deleting: Alongside = { actions: [action], timeoutMs: 30_000 };
        await deregisterNode(n.ctx, n.server, { servers: lists[i], alongside: deleting });
        await n.client.actions.waitFor(deleting.finals ?? [action], { timeoutMs: 30_000 });
      }),
    );
    const end = await observe(m.url, 'c-both');
    expect(end.servers).toHaveLength(0);
    expect(end.firewalls).toHaveLength(0);
  }, 120_000);

  for (const mode of ['lastWins', 'conflict', 'locked'] as const) {
    it(`converges with concurrent set_rules answering ${mode}`, async () => {
      const m = await start();
      m.faults.setConcurrentSetRules(mode);
      await scenario(m, `c-${mode.toLowerCase()}`);
      // Concurrent creates of the firewall: exactly one succeeds, the others fall back to finding it.
      const creates = m.requests.filter((r) => r.method === 'POST' && /\/firewalls$/.test(r.path));
      expect(creates.filter((r) => r.status === 201)).toHaveLength(1);
    }, 120_000);
  }

  it('converges with random 409/423/5xx on the firewall and server reads', async () => {
    const m = await start();
    m.faults.setConcurrentSetRules('locked');
    m.faults.chaos({
      seed: 42,
      rate: 0.15,
      kinds: ['conflict', 'locked', 'serverError', 'badGateway', 'timeout', 'unavailable'],
      match: { path: /^\/firewalls|^\/actions/ },
    });
    m.faults.chaos({
      seed: 43,
      rate: 0.1,
      kinds: ['conflict', 'locked', 'serverError'],
      match: { method: 'GET', path: /^\/servers$/ },
    });
    await scenario(m, 'c-chaos');
    expect(m.stats().faultsInjected).toBeGreaterThan(20);
  }, 120_000);
});
