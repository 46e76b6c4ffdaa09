// A bucket that starts partly spent: the project's budget is shared with the cloud controller manager and others.
import { describe, expect, it } from 'vitest';
import { TokenBucket } from '../src/index';
import { api, mock } from './helpers';

describe('rate limit with a partly spent budget', () => {
  it('starts the bucket at `remaining`, with Reset as far away as the missing tokens need', async () => {
    // A slow refill, so a loaded machine's pause between start and first request adds no token.
    const m = await mock({ rateLimit: { limit: 3600, refillPerSecond: 0.01, remaining: 2 } });
    const first = await api(m, 'GET', '/locations');
    expect(first.status).toBe(200);
    expect(first.headers.get('ratelimit-limit')).toBe('3600');
    expect(first.headers.get('ratelimit-remaining')).toBe('1');
    // About 3599 tokens are missing at 0.01 per second.
    const reset = Number(first.headers.get('ratelimit-reset'));
    expect(reset - Date.now() / 1000).toBeGreaterThan(3500);
    expect((await api(m, 'GET', '/locations')).status).toBe(200);
    const limited = await api(m, 'GET', '/locations');
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe('rate_limit_exceeded');
  });

  it('clamps the start to the bucket size and refills from there', () => {
    let now = 0;
    const over = new TokenBucket(10, 1, () => now, 50);
    expect(over.peek().remaining).toBe(10);
    const empty = new TokenBucket(10, 1, () => now, 0);
    expect(empty.take().ok).toBe(false);
    now += 2000;
    expect(empty.take()).toMatchObject({ ok: true, remaining: 1 });
  });
});
