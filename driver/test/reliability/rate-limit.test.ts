// Many driver processes share one project budget and learn of each other only through the RateLimit-* headers. Here
// ten drivers (each with its own API client, as each plugin process has) create machines at once against a small,
// almost spent bucket: the API answers 429 many times, yet no create fails. scripts/bench/ratelimit.ts runs the same
// with Hetzner's real bucket (3600, one per second) and 30 creates.
import { startMock } from 'hcloud-mock';
import { describe, expect, it } from 'vitest';
import type { Logger } from '../../src/log';
import { configJson, flags, mockEnv, newDriver, TOKEN, tempStore } from '../driver/helpers';

describe('shared rate limit', () => {
  it('ten concurrent creates on an almost spent budget all finish, waiting on the headers', async () => {
    const mock = await startMock({
      tokens: [TOKEN],
      seedData: false,
      defaultActionMs: 20,
      labelSelectorPropagationMs: 10,
      rateLimit: { limit: 20, refillPerSecond: 20, remaining: 3 },
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
          const d = newDriver({ logger, env: mockEnv(mock) });
          await d.setConfigRaw(configJson(`rl-${i}`, store));
          await d.setConfigFromFlags(flags(mock, {}));
          await d.preCreateCheck();
          await d.create();
        }),
      );
      const failed = results
        .filter((r) => r.status === 'rejected')
        .map((r) => String((r as PromiseRejectedResult).reason));
      expect(failed).toEqual([]);
      expect([...mock.state.servers.values()].filter((s) => s.status === 'running')).toHaveLength(10);
      // The budget really ran out, and the drivers waited for it instead of failing.
      expect(mock.stats().byStatus['429'] ?? 0).toBeGreaterThan(0);
      expect(waits).toBeGreaterThan(0);
      // The mock's 429s name the token by its first and last four characters, as Hetzner's do: the retry lines
      // quote those answers, with the fragments cut out.
      const quoted = lines.filter((l) => l.includes('rate_limit_exceeded'));
      expect(quoted.length).toBeGreaterThan(0);
      // (This test token holds the word "token", so that word goes too.)
      for (const l of quoted) expect(l).toContain('reached for [redacted] [redacted]…[redacted]');
      for (const fragment of [TOKEN, TOKEN.slice(0, 4), TOKEN.slice(-4)]) {
        expect(lines.filter((l) => l.includes(fragment))).toEqual([]);
      }
    } finally {
      await mock.stop();
    }
  }, 60_000);
});
