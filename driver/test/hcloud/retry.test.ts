import { describe, expect, it } from 'vitest';
import { HcloudError, HttpStatusError, isRetryable } from '../../src/hcloud';
import { action, apiError, type Step, scriptedClients } from './scripted-server';

const setup = scriptedClients({ random: () => 0.5, requestTimeoutMs: 5000 });

const ok: Step = { method: 'GET', path: '/servers/1', json: { server: { id: 1, name: 'a' } } };
const at = (answer: Partial<Step>): Step => ({ method: 'GET', path: '/servers/1', ...answer });

describe('retry policy (as hcloud-go)', () => {
  const retried: Array<[string, Partial<Step>]> = [
    ['409 conflict', apiError(409, 'conflict')],
    ['429 rate_limit_exceeded', apiError(429, 'rate_limit_exceeded')],
    ['504 timeout', apiError(504, 'timeout')],
    ['502 bad_gateway', apiError(502, 'bad_gateway')],
    ['bare 502', { status: 502 }],
    ['bare 502 with an HTML page', { status: 502, text: '<html>Bad Gateway</html>' }],
    ['bare 504', { status: 504 }],
  ];
  for (const [name, answer] of retried) {
    it(`retries ${name} once and then succeeds`, async () => {
      const { client, time, api } = await setup([at(answer), ok]);
      const server = await client.servers.get(1);
      expect(server?.name).toBe('a');
      api.assertDone();
      expect(api.calls).toHaveLength(2);
      expect(client.stats.retries).toBe(1);
      expect(client.stats.requests).toBe(2);
      expect(time.sleeps).toEqual([500]); // base 1000 ms · 2^0, full jitter at random 0.5
    });
  }

  const notRetried: Array<[string, Partial<Step>, string | number]> = [
    ['422 invalid_input', apiError(422, 'invalid_input'), 'invalid_input'],
    ['bare 429', { status: 429 }, 429],
    ['bare 503', { status: 503, text: 'Service Unavailable' }, 503],
    ['503 unavailable', apiError(503, 'unavailable'), 'unavailable'],
    ['409 uniqueness_error', apiError(409, 'uniqueness_error'), 'uniqueness_error'],
    ['423 locked (no opt-in)', apiError(423, 'locked'), 'locked'],
    ['423 protected', apiError(423, 'protected'), 'protected'],
    ['500 server_error', apiError(500, 'server_error'), 'server_error'],
    ['bare 500', { status: 500 }, 500],
    ['401 unauthorized', apiError(401, 'unauthorized'), 'unauthorized'],
    ['403 forbidden', apiError(403, 'forbidden'), 'forbidden'],
    ['412 resource_unavailable', apiError(412, 'resource_unavailable'), 'resource_unavailable'],
  ];
  for (const [name, answer, expected] of notRetried) {
    it(`does not retry ${name}`, async () => {
      const { client, time, api } = await setup([at(answer)]);
      const err = await client.servers.get(1).catch((e: unknown) => e);
      if (typeof expected === 'string') {
        expect(err).toBeInstanceOf(HcloudError);
        expect((err as HcloudError).code).toBe(expected);
      } else {
        expect(err).toBeInstanceOf(HttpStatusError);
        expect((err as HttpStatusError).status).toBe(expected);
      }
      api.assertDone();
      expect(api.calls).toHaveLength(1);
      expect(client.stats.retries).toBe(0);
      expect(time.sleeps).toEqual([]);
    });
  }

  it('retries locked only when the caller opts in', async () => {
    const post = (answer: Partial<Step>): Step => ({ method: 'POST', path: '/servers/7/actions/poweron', ...answer });
    const { client, api } = await setup([
      post(apiError(423, 'locked')),
      post(apiError(423, 'locked')),
      post({ status: 201, json: { action: action(99) } }),
      post(apiError(423, 'locked')),
    ]);
    const a = await client.servers.poweron(7, { retryLocked: true });
    expect(a.id).toBe(99);
    await expect(client.servers.poweron(7)).rejects.toMatchObject({ code: 'locked', status: 423 });
    api.assertDone();
    expect(client.stats.retries).toBe(2);
  });

  it('gives up after maxRetries with exponential, capped backoff and reports the last error', async () => {
    const steps = Array.from({ length: 6 }, () => at(apiError(409, 'conflict', 'resource changed')));
    const { client, time, api } = await setup(steps, { backoff: { baseMs: 1000, capMs: 3000 } });
    await expect(client.servers.get(1)).rejects.toMatchObject({ code: 'conflict', status: 409 });
    api.assertDone();
    expect(api.calls).toHaveLength(6); // 1 attempt + 5 retries
    expect(time.sleeps).toEqual([500, 1000, 1500, 1500, 1500]);
    expect(client.stats.retries).toBe(5);
  });

  it('honours a smaller maxRetries', async () => {
    const { client, api } = await setup([at({ status: 502 }), at({ status: 502 })], { maxRetries: 1 });
    await expect(client.servers.get(1)).rejects.toBeInstanceOf(HttpStatusError);
    api.assertDone();
  });

  it('applies full jitter from the injected random source', async () => {
    const steps = [...Array.from({ length: 3 }, () => at({ status: 504 })), ok];
    const { client, time, api } = await setup(steps, { random: () => 0 });
    await client.servers.get(1);
    expect(time.sleeps).toEqual([0, 0, 0]);
    const steps2 = [...Array.from({ length: 3 }, () => at({ status: 504 })), ok];
    await api.close();
    const s2 = await setup(steps2, { random: () => 0.999 });
    await s2.client.servers.get(1);
    expect(s2.time.sleeps).toEqual([999, 1998, 3996]);
  });

  it('resends the same body when a POST is retried', async () => {
    const body = { name: 'fw', labels: { cluster: 'c1' } };
    const want = (r: { rawBody: string }) => expect(JSON.parse(r.rawBody)).toEqual(body);
    const { client, api } = await setup([
      { method: 'POST', path: '/firewalls', ...apiError(409, 'conflict'), want },
      { method: 'POST', path: '/firewalls', status: 201, json: { firewall: { id: 5 }, actions: [] }, want },
    ]);
    const r = await client.firewalls.create(body);
    expect(r.firewall.id).toBe(5);
    api.assertDone();
  });

  it('stops retrying when the caller aborts during the backoff', async () => {
    const controller = new AbortController();
    const { client, api } = await setup([{ method: 'GET', path: '/servers/1', ...apiError(409, 'conflict') }], {
      sleep: async (_ms, signal) => {
        controller.abort(new Error('caller gave up'));
        throw signal?.reason;
      },
    });
    await expect(client.request('GET', '/servers/1', { signal: controller.signal })).rejects.toThrow('caller gave up');
    api.assertDone();
    expect(api.calls).toHaveLength(1);
  });

  it('classifies errors exactly as the policy table says', () => {
    const e = (status: number, code: string) =>
      new HcloudError({ status, code, message: '', method: 'GET', path: '/x' });
    expect(isRetryable(e(409, 'conflict'))).toBe(true);
    expect(isRetryable(e(423, 'locked'))).toBe(false);
    expect(isRetryable(e(423, 'locked'), true)).toBe(true);
    expect(isRetryable(e(423, 'protected'), true)).toBe(false);
    expect(isRetryable(new HttpStatusError({ status: 504, method: 'GET', path: '/x' }))).toBe(true);
    expect(isRetryable(new HttpStatusError({ status: 503, method: 'GET', path: '/x' }))).toBe(false);
    expect(isRetryable(new Error('boom'))).toBe(false);
  });
});
