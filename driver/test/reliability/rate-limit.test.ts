// Many drivers share one project budget. Ten drivers (each with its own API client) create machines at once against
// a small, almost spent bucket. In one process they share one estimate of the bucket and pace themselves by it, so
// the API hardly ever answers 429; as separate processes (each client its own estimate) they learn of each other
// only through the RateLimit-* headers and meet 429s, yet no create fails. scripts/bench/ratelimit.ts runs the same
// with Hetzner's real bucket (3600, one per second) and 30 creates.
import { type MockServer, startMock } from 'hcloud-mock';
import { describe, expect, it } from 'vitest';
import { HetznerDriver } from '../../src/driver';
import type { Logger } from '../../src/log';
import { configJson, FAST_TIMEOUTS, flags, mockEnv, TOKEN, tempStore } from '../driver/helpers';

async function concurrentCreates(scope: 'client' | 'process') {
  const mock: MockServer = await startMock({
    tokens: [TOKEN],
    seedData: false,
    defaultActionMs: 20,
    labelSelectorPropagationMs: 10,
    rateLimit: { limit: 20, refillPerSecond: 10, remaining: 3 },
  });
  try {
    let waits = 0;
    const lines: string[] = [];
    const logger: Logger = {
      info: (m) => lines.push(m),
      warn: (m) => lines.push(m),
      error: (m) => lines.push(m),
      debug: (m) => {
        lines.push(m);
        if (m.includes('rate limit reached')) waits++;
      },
    };
    const store = tempStore();
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, async (_, i) => {
        const d = new HetznerDriver({
          logger,
          env: mockEnv(mock),
          timeouts: FAST_TIMEOUTS,
          clientOptions: {
            poll: { initialMs: 10, maxMs: 40, factor: 1.5 },
            backoff: { baseMs: 5, capMs: 20 },
            rateLimitScope: scope,
          },
        });
        await d.setConfigRaw(configJson(`rl-${scope}-${i}`, store));
        await d.setConfigFromFlags(flags(mock, {}));
        await d.preCreateCheck();
        await d.create();
      }),
    );
    const failed = results
      .filter((r) => r.status === 'rejected')
      .map((r) => String((r as PromiseRejectedResult).reason));
    const running = [...mock.state.servers.values()].filter((s) => s.status === 'running').length;
    const stats = mock.stats();
    return { failed, running, waits, lines, limited: stats.byStatus['429'] ?? 0, total: stats.total };
  } finally {
    await mock.stop();
  }
}

describe('shared rate limit', () => {
  it('ten concurrent creates of one process share the budget estimate: all finish, almost no 429', async () => {
    const r = await concurrentCreates('process');
    expect(r.failed).toEqual([]);
    expect(r.running).toBe(10);
    // The budget really ran out, and the drivers waited for it instead of overdrawing it.
    expect(r.waits).toBeGreaterThan(0);
    expect(r.limited / r.total).toBeLessThanOrEqual(0.05);
  }, 60_000);

  it('ten concurrent creates as separate processes all finish, riding out the 429s', async () => {
    const r = await concurrentCreates('client');
    expect(r.failed).toEqual([]);
    expect(r.running).toBe(10);
    expect(r.limited).toBeGreaterThan(0);
    // The mock's 429s name the token by its first and last four characters, as Hetzner's do: the retry lines
    // quote those answers, with the fragments cut out.
    const quoted = r.lines.filter((l) => l.includes('rate_limit_exceeded'));
    expect(quoted.length).toBeGreaterThan(0);
    // (This test token holds the word "token", so that word goes too.)
    for (const l of quoted) expect(l).toContain('reached for [redacted] [redacted]…[redacted]');
    for (const fragment of [TOKEN, TOKEN.slice(0, 4), TOKEN.slice(-4)]) {
      expect(r.lines.filter((l) => l.includes(fragment))).toEqual([]);
    }
  }, 60_000);
});
