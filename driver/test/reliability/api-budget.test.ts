// The API budget of one create and one remove, request by request: validation from one server-types call, no lookup
// repeated within an operation, one batched action poll per wait when the typical durations are known. Timings are
// scaled down (mock actions in tens of ms, typical durations to match); scripts/bench/api-budget.ts measures the
// same with real durations and compares with a fixed 500 ms poll.
import type { MockServer, RequestLogEntry } from 'hcloud-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HetznerDriver } from '../../src/driver';
import {
  captureLogger,
  configJson,
  FAST_TIMEOUTS,
  fastMock,
  flags,
  mockEnv,
  TOKEN,
  tempStore,
} from '../driver/helpers';

let mock: MockServer;
beforeAll(async () => {
  mock = await fastMock({
    tokens: [TOKEN],
    actionDurations: { create_server: 60, start_server: 30, delete_server: 30 },
  });
});
afterAll(async () => {
  await mock?.stop();
});

function driver(env: NodeJS.ProcessEnv = {}) {
  return new HetznerDriver({
    logger: captureLogger(),
    env: mockEnv(mock, env),
    timeouts: FAST_TIMEOUTS,
    clientOptions: {
      backoff: { baseMs: 5, capMs: 20 },
      // Typical durations well above the mock's, so that a loaded machine's late timers do not cost a second poll.
      poll: {
        initialMs: 20,
        maxMs: 400,
        factor: 1.5,
        expectedMs: { create_server: 300, start_server: 100, delete_server: 200 },
      },
    },
  });
}

function count(entries: RequestLogEntry[]) {
  const out: Record<string, number> = {};
  for (const e of entries) if (e.endpoint !== 'GET /actions') out[e.endpoint] = (out[e.endpoint] ?? 0) + 1;
  return { calls: out, polls: entries.filter((e) => e.endpoint === 'GET /actions').length };
}

describe('API calls per operation', () => {
  it('a create costs 5 calls plus its action poll, a remove 2 plus its poll', async () => {
    const store = tempStore();
    const d = driver();
    await d.setConfigRaw(configJson('budget-1', store));
    await d.setConfigFromFlags(flags(mock));
    let before = mock.requests.length;
    await d.preCreateCheck();
    await d.create();
    const create = count(mock.requests.slice(before));
    // No lookup of the name or of leftovers (a uniqueness_error would show them), no read of the server after its
    // actions (the create answer has the addresses), and the key deleted once the server has it.
    expect(create.calls).toEqual({
      'GET /server_types': 1,
      'GET /images': 1,
      'POST /ssh_keys': 1,
      'POST /servers': 1,
      'DELETE /ssh_keys/{id}': 1,
    });
    expect(create.polls).toBeGreaterThanOrEqual(1);
    expect(create.polls).toBeLessThanOrEqual(2);

    const rm = driver({ HETZNER_API_TOKEN: TOKEN });
    await rm.setConfigRaw(await d.getConfigRaw());
    before = mock.requests.length;
    await rm.remove();
    const remove = count(mock.requests.slice(before));
    expect(remove.calls).toEqual({ 'GET /servers': 1, 'DELETE /servers/{id}': 1 });
    expect(remove.polls).toBeGreaterThanOrEqual(1);
    expect(remove.polls).toBeLessThanOrEqual(2);
    expect([...mock.state.servers.values()].filter((s) => s.name === 'budget-1')).toEqual([]);
  });

  it('with the managed firewall: a joining create costs 9 calls and one poll, a leaving remove 6 and one', async () => {
    const fw = {
      'hetzner-create-firewall': true,
      'hetzner-cluster-id': 'c-budget-fw',
      'hetzner-auto-create-firewall-rules': true,
    };
    const make = async (name: string) => {
      const d = driver();
      await d.setConfigRaw(configJson(name, tempStore()));
      await d.setConfigFromFlags(flags(mock, fw));
      const before = mock.requests.length;
      await d.preCreateCheck();
      await d.create();
      return { d, used: count(mock.requests.slice(before)) };
    };
    const first = await make('budget-fw-1');
    const joining = await make('budget-fw-2');
    expect(joining.used.calls).toEqual({
      'GET /server_types': 1,
      'GET /images': 1,
      'POST /ssh_keys': 1,
      // prepare: the lookup, which also counts the firewalls per server; its rules seed the first write.
      'GET /firewalls': 1,
      'POST /servers': 1,
      'POST /firewalls/{id}/actions/set_rules': 1,
      // The verify pass after the write: ground truth and the rules.
      'GET /servers': 1,
      'GET /firewalls/{id}': 1,
      'DELETE /ssh_keys/{id}': 1,
    });
    // The create's actions and the rule change, in one poll.
    expect(joining.used.polls).toBe(1);

    const rm = driver({ HETZNER_API_TOKEN: TOKEN });
    await rm.setConfigRaw(await joining.d.getConfigRaw());
    const before = mock.requests.length;
    await rm.remove();
    const leaving = count(mock.requests.slice(before));
    expect(leaving.calls).toEqual({
      // One listing by the cluster's labels finds the machine's server and is the firewall step's first look.
      'GET /servers': 2,
      'DELETE /servers/{id}': 1,
      'GET /firewalls': 1,
      'POST /firewalls/{id}/actions/set_rules': 1,
      'GET /firewalls/{id}': 1,
    });
    expect(leaving.polls).toBe(1);
    const firewall = [...mock.state.firewalls.values()].find((f) => f.labels.cluster === 'c-budget-fw')!;
    const sources = firewall.rules.filter((r) => r.description?.endsWith('(cluster nodes only)'));
    const left = [...mock.state.servers.values()].find((srv) => srv.name === 'budget-fw-1')!;
    const v4 = mock.state.primaryIps.get(left.ipv4!)!.ip;
    for (const r of sources) expect(r.source_ips).toContain(`${v4}/32`);
    expect(sources.flatMap((r) => r.source_ips)).toHaveLength(sources.length * 2);

    const last = driver({ HETZNER_API_TOKEN: TOKEN });
    await last.setConfigRaw(await first.d.getConfigRaw());
    await last.remove();
    expect([...mock.state.firewalls.values()].filter((f) => f.labels.cluster === 'c-budget-fw')).toEqual([]);
  });

  it('a delete action that fails while the firewall is updated: deleted again, the firewall updated after', async () => {
    const fw = { 'hetzner-create-firewall': true, 'hetzner-cluster-id': 'c-budget-del' };
    const made: Uint8Array[] = [];
    for (const name of ['budget-del-1', 'budget-del-2']) {
      const d = driver();
      await d.setConfigRaw(configJson(name, tempStore()));
      await d.setConfigFromFlags(flags(mock, fw));
      await d.create();
      made.push(await d.getConfigRaw());
    }
    const remove = async (config: Uint8Array, failDelete: boolean) => {
      if (failDelete) {
        mock.faults.add({
          match: { method: 'DELETE', path: '/servers/{id}' },
          when: { times: 1 },
          effect: { actionFail: { code: 'server_error', message: 'delete failed' }, command: 'delete_server' },
        });
      }
      try {
        const rm = driver({ HETZNER_API_TOKEN: TOKEN });
        await rm.setConfigRaw(config);
        await rm.remove();
        if (failDelete) expect(mock.faults.list()[0]?.fired).toBe(1);
      } finally {
        mock.faults.clear();
      }
    };
    // A node that leaves others behind: its entry is dropped with the first (failed) delete, and stays dropped.
    await remove(made[1]!, true);
    expect([...mock.state.servers.values()].filter((srv) => srv.name === 'budget-del-2')).toEqual([]);
    // The last node: the firewall waits for its server to be gone, so a failed delete leaves it until the delete
    // sent again has succeeded; then it is deleted.
    await remove(made[0]!, true);
    expect([...mock.state.servers.values()].filter((srv) => srv.name.startsWith('budget-del-'))).toEqual([]);
    expect([...mock.state.firewalls.values()].filter((f) => f.labels.cluster === 'c-budget-del')).toEqual([]);
  });

  it('asks for the location only when a network needs its zone', async () => {
    const d = driver();
    await d.setConfigRaw(configJson('budget-2', tempStore()));
    await d.setConfigFromFlags(flags(mock, { 'hetzner-networks': ['nope'] }));
    const before = mock.requests.length;
    await expect(d.preCreateCheck()).rejects.toThrow(/network "nope" does not exist/);
    expect(count(mock.requests.slice(before)).calls['GET /locations']).toBe(1);
  });
});
