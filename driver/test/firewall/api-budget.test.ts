// The firewall module's API budget: how often each endpoint is hit by one lifecycle step, counted by the mock.
// A repeated lookup within one operation shows up here as a count above the design's; the post-write re-read of
// the firewall and of the cluster's servers is the design (it heals lost updates) and is counted as such.
import { type MockServer, startMock } from 'hcloud-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Alongside, deregisterNode, prepareClusterFirewall, registerNode } from '../../src/firewall';
import { withTransientRetry } from '../../src/firewall/reconcile';
import { createServer, join, makeNode, quietLogger, type SimNode, type SimOptions } from './cluster-sim';

const RECONCILE = { baseDelayMs: 5, maxDelayMs: 50, maxAttempts: 30 };
let mock: MockServer;
let opts: SimOptions;

beforeEach(async () => {
  // Actions finish at once, so each wait costs exactly one poll and the counts below are exact.
  mock = await startMock({ seedData: false, rateLimit: false, defaultActionMs: 0, labelSelectorPropagationMs: 0 });
  opts = { url: mock.url, clusterId: 'c-budget', reconcile: RECONCILE };
});
afterEach(async () => {
  await mock.stop();
});

/** The requests `step` made, per endpoint (only endpoints it hit). */
async function counted(step: () => Promise<unknown>): Promise<Record<string, number>> {
  const before = { ...mock.stats().byEndpoint };
  await step();
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(mock.stats().byEndpoint)) {
    const n = v - (before[k] ?? 0);
    if (n > 0) out[k] = n;
  }
  return out;
}

/** The driver's own part of Remove (not under test): delete the server and wait. */
async function deleteServer(node: SimNode): Promise<void> {
  const server = node.server!;
  const action = await withTransientRetry(quietLogger, 'delete', () => node.client.servers.delete(server.id));
  await node.client.actions.waitFor([action], { timeoutMs: 10_000 });
}

/**
 * Register's apply loop: the first write takes the rules the firewall lookup (prepare's) returned plus this node,
 * without a read; then one wait, and the verify pass reads both halves and holds them against ground truth.
 */
const REGISTER = {
  // Ground truth, read to verify after the write.
  'GET /servers': 1,
  // The rules again, to verify after the write.
  'GET /firewalls/{id}': 1,
  'POST /firewalls/{id}/actions/set_rules': 1,
  // The set_firewall_rules action, done at once here.
  'GET /actions': 1,
};

describe('API calls per firewall operation (create-firewall mode)', () => {
  it('first node: one firewall lookup in prepare, handed to register; no second lookup', async () => {
    const node = makeNode(opts, 'budget-1', true);
    // One list serves the lookup and the 5-firewalls check; the firewall does not exist yet, so it is created.
    expect(await counted(() => prepareClusterFirewall(node.ctx))).toEqual({
      'GET /firewalls': 1,
      'POST /firewalls': 1,
    });
    await createServerOnly(node);
    expect(await counted(() => registerNode(node.ctx, node.server!))).toEqual(REGISTER);
  });

  it('joining node: the existing firewall is found once, with the same apply loop', async () => {
    await join(makeNode(opts, 'budget-1', true));
    const node = makeNode(opts, 'budget-2', true);
    expect(await counted(() => prepareClusterFirewall(node.ctx))).toEqual({ 'GET /firewalls': 1 });
    await createServerOnly(node);
    expect(await counted(() => registerNode(node.ctx, node.server!))).toEqual(REGISTER);
  });

  it('leaving node: the lookup and one server listing serve the last-node check and the first pass', async () => {
    const first = makeNode(opts, 'budget-1', true);
    const second = makeNode(opts, 'budget-2', true);
    await join(first);
    await join(second);
    await deleteServer(second);
    expect(await counted(() => deregisterNode(second.ctx, second.server))).toEqual({
      // Finds the firewall, rules included: that read is the first pass's view of the rules.
      'GET /firewalls': 1,
      // Before writing (also: does a create-firewall node remain?) and again to verify after the write.
      'GET /servers': 2,
      // Only the verify pass reads the firewall by id.
      'GET /firewalls/{id}': 1,
      'POST /firewalls/{id}/actions/set_rules': 1,
      'GET /actions': 1,
    });
  });

  it("leaving node, as Remove calls it: Remove's cluster listing is the first look; one poll for delete and rules", async () => {
    const first = makeNode(opts, 'budget-1', true);
    const second = makeNode(opts, 'budget-2', true);
    await join(first);
    await join(second);
    const server = second.server!;
    const servers = await second.client.servers.list({ label_selector: 'managed-by=rancher-machine,cluster=c-budget' });
    const action = await second.client.servers.delete(server.id);
    const deleting: Alongside = { actions: [action], timeoutMs: 10_000 };
    expect(await counted(() => deregisterNode(second.ctx, server, { servers, alongside: deleting }))).toEqual({
      'GET /firewalls': 1,
      'POST /firewalls/{id}/actions/set_rules': 1,
      // The rule change and the server's delete, in one poll.
      'GET /actions': 1,
      // The verify pass.
      'GET /servers': 1,
      'GET /firewalls/{id}': 1,
    });
    expect(deleting.finals?.map((a) => [a.id, a.status])).toEqual([[action.id, 'success']]);
    expect(mock.state.servers.has(server.id)).toBe(false);
  });

  it("joining node, as Create calls it: the create's actions are waited for in the rule write's poll", async () => {
    await join(makeNode(opts, 'budget-1', true));
    const node = makeNode(opts, 'budget-2', true);
    const prepared = await prepareClusterFirewall(node.ctx);
    const created = await node.client.servers.create({
      name: 'budget-2',
      server_type: 'cx23',
      image: 'ubuntu-24.04',
      location: 'fsn1',
      labels: { ...prepared.serverLabels, 'managed-by': 'rancher-machine', cluster: 'c-budget', machine: 'budget-2' },
      firewalls: prepared.firewallIds.map((id) => ({ firewall: id })),
    });
    const creating: Alongside = {
      actions: [created.action, ...created.next_actions],
      timeoutMs: 10_000,
      chained: true,
    };
    expect(await counted(() => registerNode(node.ctx, created.server, { alongside: creating }))).toEqual(REGISTER);
    expect(creating.finals?.map((a) => a.status)).toEqual(creating.actions.map(() => 'success'));
    expect(mock.state.servers.get(created.server.id)?.status).toBe('running');
  });

  it('last node: one lookup and one listing, then detach and delete', async () => {
    const node = makeNode(opts, 'budget-1', true);
    await join(node);
    await deleteServer(node);
    expect(await counted(() => deregisterNode(node.ctx, node.server))).toEqual({
      'GET /firewalls': 1,
      // Shows that no create-firewall node remains.
      'GET /servers': 1,
      // Hetzner refuses to delete a firewall that is still applied (here: to its label selector).
      'POST /firewalls/{id}/actions/remove_from_resources': 1,
      // No wait: with its last server gone, detaching the selector starts no action to poll.
      'DELETE /firewalls/{id}': 1,
    });
  });
});

describe('API calls per firewall operation (cluster-id only)', () => {
  it('registering: the firewall found by label is the first pass view; only the verify reads it by id', async () => {
    await join(makeNode(opts, 'budget-cf', true));
    const node = makeNode(opts, 'budget-plain', false);
    // Nothing to check or create before the server exists.
    expect(await counted(() => prepareClusterFirewall(node.ctx))).toEqual({});
    await createServerOnly(node);
    expect(await counted(() => registerNode(node.ctx, node.server!))).toEqual({
      // Looked up after the boot, so a firewall made meanwhile by a create-firewall node is found.
      'GET /firewalls': 1,
      'GET /servers': 1,
      'GET /firewalls/{id}': 1,
      'POST /firewalls/{id}/actions/set_rules': 1,
      'GET /actions': 1,
    });
  });
});

/** The server part of Create without calling prepare again (prepare was counted separately). */
async function createServerOnly(node: SimNode): Promise<void> {
  // createServer runs prepare itself; run it on a twin context so the counted prepare's hand-off stays put.
  const copy = makeNode(opts, node.name, node.ctx.createFirewall);
  await createServer(copy);
  node.server = copy.server;
}
