// Rate limit: N machines created at once against the mock with Hetzner's real budget (3600 requests, refilled at one
// per second) that other clients of the project (the cloud controller manager, …) have almost spent. Each machine has
// its own driver and API client; by default they share the process's estimate of the bucket (as concurrent machines
// of one driver process do). With --isolated each client keeps its own estimate, as separate driver processes do:
// they know of each other only through the RateLimit-* headers. Prints how many creates finished, how many failed (and whether on a 429), how many 429s the
// API answered, and how long it took.
//
//   npx tsx scripts/bench/ratelimit.ts [--creates 30] [--remaining 10] [--limit 3600] [--refill 1] [--isolated]

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HetznerDriver } from '../../driver/src/driver';
import type { FlagValue } from '../../driver/src/driver/interface';
import type { Logger } from '../../driver/src/log';
import { startMock } from '../../hcloud-mock/src/index';

const TOKEN = 'ratelimit-bench-token';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

async function main(): Promise<void> {
  const creates = Number(arg('creates', '30'));
  const limit = Number(arg('limit', '3600'));
  const refill = Number(arg('refill', String(limit / 3600)));
  const remaining = Number(arg('remaining', '10'));
  const isolated = process.argv.includes('--isolated');
  const mock = await startMock({
    tokens: [TOKEN],
    seedData: false,
    rateLimit: { limit, refillPerSecond: refill, remaining },
  });
  const store = mkdtempSync(join(tmpdir(), 'ratelimit-bench-'));
  let waits = 0;
  const started = Date.now();
  const durations: number[] = [];
  try {
    const results = await Promise.allSettled(
      Array.from({ length: creates }, async (_, i) => {
        const logger: Logger = {
          info() {},
          warn() {},
          error() {},
          debug: (m) => {
            if (m.includes('rate limit reached')) waits++;
          },
        };
        const name = `rl-${i}`;
        const d = new HetznerDriver({
          logger,
          env: { HETZNER_API_ENDPOINT: mock.url },
          clientOptions: isolated ? { rateLimitScope: 'client' } : {},
        });
        await d.setConfigRaw(new TextEncoder().encode(JSON.stringify({ MachineName: name, StorePath: store })));
        await d.setConfigFromFlags(new Map<string, FlagValue>([['hetzner-api-token', TOKEN]]));
        const t0 = Date.now();
        await d.preCreateCheck();
        await d.create();
        durations.push(Date.now() - t0);
      }),
    );
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    const on429 = failed.filter((r) => /429|rate_limit_exceeded|rate limit/i.test(String(r.reason?.message)));
    const stats = mock.stats();
    const servers = [...mock.state.servers.values()].filter((s) => s.status === 'running').length;
    durations.sort((a, b) => a - b);
    console.log(
      `bucket ${limit} requests, refill ${refill}/s, starting with ${remaining} left; ${creates} concurrent creates, ` +
        (isolated ? 'each client with its own budget estimate (as separate processes)' : 'one shared budget estimate'),
    );
    console.log(
      `${creates - failed.length} of ${creates} creates finished (${servers} servers running), ${failed.length} failed, ` +
        `${on429.length} of them on a 429`,
    );
    console.log(
      `${stats.total} API requests, ${stats.byStatus['429'] ?? 0} answered 429; the drivers waited for the budget ` +
        `${waits} times; ${((Date.now() - started) / 1000).toFixed(0)} s in all, create median ` +
        `${((durations[Math.floor(durations.length / 2)] ?? 0) / 1000).toFixed(0)} s, longest ` +
        `${((durations.at(-1) ?? 0) / 1000).toFixed(0)} s`,
    );
    const share = (stats.byStatus['429'] ?? 0) / Math.max(1, stats.total);
    console.log(
      `Target: 429 answers ≤ 5 % of all answers, no create failing: measured ${(share * 100).toFixed(1)} %, ` +
        `${failed.length} failed${isolated ? ' (separate processes: reported, the target is for one process)' : ''}`,
    );
    for (const f of failed.slice(0, 5)) console.log(`  ! ${String(f.reason?.message).slice(0, 300)}`);
    process.exitCode = failed.length > 0 ? 1 : 0;
  } finally {
    await mock.stop();
    rmSync(store, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
