import { type MockServer, startMock } from 'hcloud-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { prepareClusterFirewall } from '../../src/firewall';
import { backoffDelay, DEFAULT_RECONCILE_OPTIONS, isTransient, reconcileFirewall } from '../../src/firewall/reconcile';
import { HcloudError } from '../../src/hcloud';
import { createServer, makeNode, quietLogger } from './cluster-sim';

describe('backoffDelay', () => {
  const at = (retry: number, random: number) =>
    backoffDelay(retry, { ...DEFAULT_RECONCILE_OPTIONS, random: () => random });

  it('starts at 100 ms, doubles, caps at 5 s', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 10].map((r) => at(r, 0.5))).toEqual([100, 200, 400, 800, 1600, 3200, 5000, 5000]);
  });

  it('jitters by ±25 %', () => {
    expect(at(0, 0)).toBe(75);
    expect(at(0, 0.999_999)).toBe(125);
    expect(at(10, 0)).toBe(3750);
    expect(at(10, 0.999_999)).toBe(6250);
  });
});

describe('isTransient', () => {
  const err = (status: number, code: string) =>
    new HcloudError({ status, code, message: code, method: 'POST', path: '/firewalls/1/actions/set_rules' });

  it('retries conflicts, locks and server trouble, not mistakes', () => {
    for (const [s, c] of [
      [409, 'conflict'],
      [423, 'locked'],
      [500, 'server_error'],
      [503, 'unavailable'],
      [429, 'rate_limit_exceeded'],
    ] as const) {
      expect(isTransient(err(s, c))).toBe(true);
    }
    for (const [s, c] of [
      [422, 'invalid_input'],
      [404, 'not_found'],
      [403, 'forbidden'],
      [409, 'uniqueness_error'],
      [423, 'protected'],
    ] as const) {
      expect(isTransient(err(s, c))).toBe(false);
    }
    expect(isTransient(new Error('boom'))).toBe(false);
  });
});

describe('reconcileFirewall against the mock', () => {
  let mock: MockServer;
  beforeEach(async () => {
    mock = await startMock({ seedData: false, rateLimit: false, defaultActionMs: 10, labelSelectorPropagationMs: 5 });
  });
  afterEach(async () => {
    await mock.stop();
  });

  async function setup() {
    const node = makeNode({ url: mock.url, clusterId: 'c-r' }, 'r-1', true);
    const { firewallIds } = await prepareClusterFirewall(node.ctx);
    const server = await createServer(node);
    return { node, server, firewallId: firewallIds[0]! };
  }

  it('gives up after maxAttempts with a message that says why', async () => {
    const { node, server, firewallId } = await setup();
    mock.faults.add({ match: { method: 'POST', path: /set_rules$/ }, effect: mock.faults.presets.locked() });
    const sleeps: number[] = [];
    const p = reconcileFirewall(
      node.client,
      quietLogger,
      { firewallId, clusterSelector: 'cluster=c-r', change: { kind: 'join', server }, autoCreateRules: true },
      { maxAttempts: 4, sleep: async (ms) => void sleeps.push(ms), random: () => 0.5 },
    );
    await expect(p).rejects.toThrow(/did not converge after 4 attempts \(set_rules failed: .*locked/);
    expect(sleeps).toEqual([100, 200, 400]);
  });

  it('does not retry a request the API refuses as invalid', async () => {
    const { node, server, firewallId } = await setup();
    mock.faults.add({
      match: { method: 'POST', path: /set_rules$/ },
      effect: { status: 422, code: 'invalid_input', message: 'invalid input in field rules' },
    });
    const p = reconcileFirewall(node.client, quietLogger, {
      firewallId,
      clusterSelector: 'cluster=c-r',
      change: { kind: 'join', server },
      autoCreateRules: true,
    });
    await expect(p).rejects.toThrow(/invalid_input/);
    expect(mock.requests.filter((r) => r.path.endsWith('set_rules'))).toHaveLength(1);
  });

  it('writes nothing when the firewall already matches, and reports a vanished firewall', async () => {
    const { node, server, firewallId } = await setup();
    const target = {
      firewallId,
      clusterSelector: 'cluster=c-r',
      change: { kind: 'join' as const, server },
      autoCreateRules: true,
    };
    const first = await reconcileFirewall(node.client, quietLogger, target);
    expect(first).toMatchObject({ found: true, writes: 1, retries: 0 });
    const second = await reconcileFirewall(node.client, quietLogger, target);
    expect(second).toMatchObject({ found: true, writes: 0 });
    const gone = await reconcileFirewall(node.client, quietLogger, { ...target, firewallId: 999_999 });
    expect(gone.found).toBe(false);
  });

  it('retries a failed set_firewall_rules action', async () => {
    const { node, server, firewallId } = await setup();
    mock.faults.add({
      match: { method: 'POST', path: /set_rules$/ },
      when: { times: 1 },
      effect: mock.faults.presets.actionFail('action_failed', 'rules could not be applied', 'set_firewall_rules'),
    });
    const r = await reconcileFirewall(
      node.client,
      quietLogger,
      { firewallId, clusterSelector: 'cluster=c-r', change: { kind: 'join', server }, autoCreateRules: true },
      { sleep: async () => {} },
    );
    expect(r.found).toBe(true);
    expect(r.retries).toBeGreaterThanOrEqual(1);
  });
});
