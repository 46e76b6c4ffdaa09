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
  it('a create costs 7 calls plus its action poll, a remove 3 plus its poll', async () => {
    const store = tempStore();
    const d = driver();
    await d.setConfigRaw(configJson('budget-1', store));
    await d.setConfigFromFlags(flags(mock));
    let before = mock.requests.length;
    await d.preCreateCheck();
    await d.create();
    const create = count(mock.requests.slice(before));
    expect(create.calls).toEqual({
      'GET /server_types': 1,
      'GET /images': 1,
      'GET /servers': 1,
      'GET /ssh_keys': 1,
      'POST /ssh_keys': 1,
      'POST /servers': 1,
      'GET /servers/{id}': 1,
    });
    expect(create.polls).toBeGreaterThanOrEqual(1);
    expect(create.polls).toBeLessThanOrEqual(2);

    const rm = driver({ HETZNER_API_TOKEN: TOKEN });
    await rm.setConfigRaw(await d.getConfigRaw());
    before = mock.requests.length;
    await rm.remove();
    const remove = count(mock.requests.slice(before));
    expect(remove.calls).toEqual({ 'GET /servers': 1, 'DELETE /servers/{id}': 1, 'DELETE /ssh_keys/{id}': 1 });
    expect(remove.polls).toBeGreaterThanOrEqual(1);
    expect(remove.polls).toBeLessThanOrEqual(2);
    expect([...mock.state.servers.values()].filter((s) => s.name === 'budget-1')).toEqual([]);
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
