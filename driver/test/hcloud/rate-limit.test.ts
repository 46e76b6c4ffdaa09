import { describe, expect, it } from 'vitest';
import { apiError, fakeTime, scriptedClients } from './scripted-server';

const setup = scriptedClients({ random: () => 0 });

/** Headers as the API (and the mock's token bucket) send them, relative to the fake clock. */
function limits(time: { now: number }, limit: number, remaining: number, resetInS: number) {
  return {
    'RateLimit-Limit': String(limit),
    'RateLimit-Remaining': String(remaining),
    'RateLimit-Reset': String(Math.floor(time.now / 1000) + resetInS),
  };
}

const server = { json: { server: { id: 1 } } };

describe('rate limit', () => {
  it('exposes the last seen RateLimit headers', async () => {
    const time0 = fakeTime();
    const { client, api } = await setup([
      { method: 'GET', path: '/servers/1', ...server, headers: limits(time0, 3600, 3599, 1) },
    ]);
    expect(client.rateLimit).toBeUndefined();
    await client.servers.get(1);
    expect(client.rateLimit).toEqual({ limit: 3600, remaining: 3599, reset: Math.floor(time0.now / 1000) + 1 });
    api.assertDone();
  });

  it('holds the next request back for one refill interval once the budget is spent', async () => {
    const time0 = fakeTime();
    // 3600/h with 0 left and the full budget back in 3600 s: one request is available again after 1 s.
    const { client, time, api } = await setup([
      { method: 'GET', path: '/servers/1', ...server, headers: limits(time0, 3600, 0, 3600) },
      { method: 'GET', path: '/servers/1', ...server, headers: limits(time0, 3600, 5, 3600) },
      { method: 'GET', path: '/servers/1', ...server, headers: limits(time0, 3600, 4, 3600) },
    ]);
    await client.servers.get(1);
    expect(time.sleeps).toEqual([]);
    await client.servers.get(1);
    expect(time.sleeps).toEqual([1000]);
    await client.servers.get(1);
    expect(time.sleeps).toEqual([1000]); // budget is back: no further waiting
    expect(client.stats.rateLimitWaits).toBe(1);
    api.assertDone();
  });

  it('after a 429 rate_limit_exceeded waits until RateLimit-Reset, then retries', async () => {
    const time0 = fakeTime();
    const { client, time, api } = await setup([
      { method: 'GET', path: '/servers/1', ...apiError(429, 'rate_limit_exceeded'), headers: limits(time0, 20, 0, 30) },
      { method: 'GET', path: '/servers/1', ...server, headers: limits(time0, 20, 1, 3000) },
    ]);
    expect((await client.servers.get(1))?.id).toBe(1);
    // Backoff (0 with random 0), then the rest of the 30 s until Reset.
    expect(time.sleeps).toEqual([0, 30_000]);
    expect(client.stats.retries).toBe(1);
    expect(client.stats.rateLimitWaits).toBe(1);
    api.assertDone();
  });

  it('bounds a far-away Reset by rateLimitMaxWaitMs', async () => {
    const time0 = fakeTime();
    const { client, time } = await setup(
      [
        {
          method: 'GET',
          path: '/servers/1',
          ...apiError(429, 'rate_limit_exceeded'),
          headers: limits(time0, 3600, 0, 3600),
        },
        { method: 'GET', path: '/servers/1', ...server, headers: limits(time0, 3600, 1, 3599) },
      ],
      { rateLimitMaxWaitMs: 5000 },
    );
    await client.servers.get(1);
    expect(time.sleeps).toEqual([0, 5000]);
  });

  it('makes concurrent requests of one client wait, but not those of another client', async () => {
    const time0 = fakeTime();
    const a = await setup([
      { method: 'GET', path: '/servers/1', ...server, headers: limits(time0, 3600, 0, 3600) },
      { method: 'GET', path: '/servers/1', ...server },
      { method: 'GET', path: '/servers/1', ...server },
    ]);
    const b = await setup([{ method: 'GET', path: '/servers/1', ...server }]);
    await a.client.servers.get(1);
    await Promise.all([a.client.servers.get(1), a.client.servers.get(1), b.client.servers.get(1)]);
    expect(a.client.stats.rateLimitWaits).toBe(2);
    // The second waiter is spaced one refill interval after the first instead of firing at the same moment.
    expect(a.time.sleeps).toEqual([1000, 1000]);
    expect(b.client.stats.rateLimitWaits).toBe(0);
    expect(b.time.sleeps).toEqual([]);
    a.api.assertDone();
    b.api.assertDone();
  });

  it('does not retry a bare 429 but still learns the headers from it', async () => {
    const time0 = fakeTime();
    const { client, api } = await setup([
      { method: 'GET', path: '/servers/1', status: 429, headers: limits(time0, 10, 0, 60) },
    ]);
    await expect(client.servers.get(1)).rejects.toMatchObject({ status: 429 });
    expect(client.rateLimit?.remaining).toBe(0);
    expect(api.calls).toHaveLength(1);
  });
});
