import { describe, expect, it } from 'vitest';
import { HcloudClient } from '../../src/hcloud';
import { apiError, fakeTime, scriptedClients, TOKEN } from './scripted-server';

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
    // Reset is whole seconds: the interval is taken from the latest moment it may stand for, (3600 s + 1 s) / 3600.
    expect(time.sleeps).toEqual([1001]);
    await client.servers.get(1);
    expect(time.sleeps).toEqual([1001]); // budget is back: no further waiting
    expect(client.stats.rateLimitWaits).toBe(1);
    api.assertDone();
  });

  it('after a 429 rate_limit_exceeded waits for the next refill, not until RateLimit-Reset, then retries', async () => {
    const time0 = fakeTime();
    const { client, time, api } = await setup([
      { method: 'GET', path: '/servers/1', ...apiError(429, 'rate_limit_exceeded'), headers: limits(time0, 20, 0, 30) },
      { method: 'GET', path: '/servers/1', ...server, headers: limits(time0, 20, 1, 3000) },
    ]);
    expect((await client.servers.get(1))?.id).toBe(1);
    // Backoff (0 with random 0), then the slot: 20 requests back in 30 (to 31) s, one every 1.55 s, and the 429 says
    // others spend the bucket too (four sharers assumed at once), so this one's share is every fourth slot, paced a
    // quarter below that (5 slots). Waiting for Reset would make every waiting caller fire at the same moment.
    expect(time.sleeps).toEqual([0, 7750]);
    expect(client.stats.retries).toBe(1);
    expect(client.stats.rateLimitWaits).toBe(1);
    api.assertDone();
  });

  it('lowers its guess of the sharers once a small bucket is half full again', async () => {
    const time0 = fakeTime();
    const answer = (remaining: number) => ({
      method: 'GET',
      path: '/servers/1',
      ...server,
      headers: limits(time0, 20, remaining, 2),
    });
    const { client, time, api } = await setup([
      { method: 'GET', path: '/servers/1', ...apiError(429, 'rate_limit_exceeded'), headers: limits(time0, 20, 0, 2) },
      answer(12),
      answer(12),
      answer(2),
      answer(1),
    ]);
    // The 429 makes it assume four sharers, and it waits for its share of the refill.
    await client.servers.get(1);
    const afterRefusal = time.sleeps.length;
    expect(time.sleeps.filter((ms) => ms > 0)).toHaveLength(1);
    // Twelve of twenty left is more than this client's worst case needs: the guess halves with each such answer
    // (a threshold of two per sharer and five more could never be met by a bucket of twenty).
    await client.servers.get(1);
    await client.servers.get(1);
    // So with two left it is alone again, and goes at once instead of waiting for a share of five slots.
    await client.servers.get(1);
    expect(time.sleeps).toHaveLength(afterRefusal);
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
          // A bogus Reset: 10 requests back in 10 hours would mean an hour per request.
          headers: limits(time0, 10, 0, 36_000),
        },
        { method: 'GET', path: '/servers/1', ...server, headers: limits(time0, 10, 1, 35_999) },
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
    expect(a.time.sleeps).toEqual([1001, 1000]);
    expect(b.client.stats.rateLimitWaits).toBe(0);
    expect(b.time.sleeps).toEqual([]);
    a.api.assertDone();
    b.api.assertDone();
  });

  it('adds jitter to a wait, so that separate processes do not fire at the same moment', async () => {
    const time0 = fakeTime();
    const { client, time } = await setup(
      [
        { method: 'GET', path: '/servers/1', ...server, headers: limits(time0, 3600, 0, 3600) },
        { method: 'GET', path: '/servers/1', ...server, headers: limits(time0, 3600, 0, 3600) },
      ],
      { random: () => 0.5 },
    );
    await client.servers.get(1);
    await client.servers.get(1);
    // One refill interval, plus half of the at most quarter interval of jitter.
    expect(time.sleeps).toEqual([1126]);
  });

  it('shares what one client learnt of the budget with the other clients of the process', async () => {
    const time0 = fakeTime();
    const {
      client: a,
      api,
      time,
    } = await setup(
      [
        { method: 'GET', path: '/servers/1', ...server, headers: limits(time0, 3600, 0, 3600) },
        { method: 'GET', path: '/servers/1', ...server, headers: limits(time0, 3600, 0, 3600) },
        { method: 'GET', path: '/servers/1', ...server, headers: limits(time0, 3600, 0, 3600) },
      ],
      { rateLimitScope: 'process' },
    );
    const b = new HcloudClient({
      token: TOKEN,
      endpoint: api.url,
      sleep: time.sleep,
      now: time.clock,
      random: () => 0,
      rateLimitScope: 'process',
    });
    const own = new HcloudClient({
      token: TOKEN,
      endpoint: api.url,
      sleep: time.sleep,
      now: time.clock,
      random: () => 0,
    });
    await a.servers.get(1);
    // b has not sent anything yet, but the process knows the budget is spent.
    await b.servers.get(1);
    expect(b.stats.rateLimitWaits).toBe(1);
    // A client with its own estimate (as a separate process) learns only from its own answers.
    await own.servers.get(1);
    expect(own.stats.rateLimitWaits).toBe(0);
    api.assertDone();
  });

  it('before the first answer, lets one request ask while the others wait for its headers', async () => {
    const time0 = fakeTime();
    const { client, api, time } = await setup([
      { method: 'GET', path: '/servers/1', ...server, headers: limits(time0, 3600, 1, 3599) },
      { method: 'GET', path: '/servers/1', ...server, headers: limits(time0, 3600, 0, 3600) },
      { method: 'GET', path: '/servers/1', ...server, headers: limits(time0, 3600, 0, 3600) },
    ]);
    await Promise.all([client.servers.get(1), client.servers.get(1), client.servers.get(1)]);
    // The first answer says one request is left: one goes at once, the third waits for a refill.
    expect(time.sleeps).toEqual([1001]);
    api.assertDone();
  });

  it('re-sends a request refused with 429 rate_limit_exceeded up to 12 times', async () => {
    const time0 = fakeTime();
    const refused = {
      method: 'GET',
      path: '/servers/1',
      ...apiError(429, 'rate_limit_exceeded'),
      headers: limits(time0, 3600, 0, 3600),
    };
    const { client, api } = await setup([
      ...Array.from({ length: 12 }, () => refused),
      { method: 'GET', path: '/servers/1', ...server, headers: limits(time0, 3600, 0, 3600) },
    ]);
    expect((await client.servers.get(1))?.id).toBe(1);
    expect(client.stats.retries).toBe(12);
    api.assertDone();
  });

  it('spreads its waits over more refill slots after each 429 (other processes spend the budget unseen)', async () => {
    const time0 = fakeTime();
    const refused = {
      method: 'GET',
      path: '/servers/1',
      ...apiError(429, 'rate_limit_exceeded'),
      headers: limits(time0, 3600, 0, 3600),
    };
    const { client, time, api } = await setup(
      [
        refused,
        refused,
        refused,
        { method: 'GET', path: '/servers/1', ...server, headers: limits(time0, 3600, 0, 3600) },
      ],
      { random: () => 0.5, backoff: { baseMs: 0, capMs: 0 } },
    );
    await client.servers.get(1);
    const waits = time.sleeps.filter((ms) => ms > 0);
    // Each 429 multiplies the sharers assumed by four (4, 16, 64): a share of that many slots and a quarter (5, 20,
    // 80), plus half a spread as wide, each wait bounded by rateLimitMaxWaitMs (60 s).
    expect(waits.map((ms) => Math.round(ms / 1000))).toEqual([8, 30, 60]);
    api.assertDone();
  });

  it('counts the other spenders of the bucket from RateLimit-Remaining and takes its share of the refill', async () => {
    const time0 = fakeTime();
    const answer = (remaining: number) => ({
      method: 'GET',
      path: '/servers/1',
      ...server,
      headers: limits(time0, 3600, remaining, 3600),
    });
    // Others spend the refill as it comes: 15 s refill 15 requests, we make 3, and the bucket stays at 1.
    const crowded = await setup([answer(1), answer(1), answer(1), answer(1), answer(1)]);
    for (let i = 0; i < 4; i++) {
      await crowded.client.servers.get(1);
      if (i < 3) crowded.time.now += 5000;
    }
    expect(crowded.time.sleeps).toEqual([]);
    await crowded.client.servers.get(1);
    // Five spenders seen, three assumed (averaged with the one before): with one request left, this one waits for
    // its share of the next refills (3 × 1.25 − 1 slots), where a client alone would have gone at once.
    expect(crowded.time.sleeps).toHaveLength(1);
    expect(crowded.time.sleeps[0]).toBeGreaterThan(2600);
    expect(crowded.time.sleeps[0]).toBeLessThan(2900);

    // The same bucket spent by this client alone (what it lost is what it sent): no waiting.
    const time1 = fakeTime();
    const alone = (remaining: number) => ({
      method: 'GET',
      path: '/servers/1',
      ...server,
      headers: limits(time1, 3600, remaining, 3600),
    });
    const solo = await setup([alone(1), alone(5), alone(6), alone(6), alone(5)]);
    for (let i = 0; i < 4; i++) {
      await solo.client.servers.get(1);
      if (i < 3) solo.time.now += 5000;
    }
    await solo.client.servers.get(1);
    expect(solo.time.sleeps).toEqual([]);
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
