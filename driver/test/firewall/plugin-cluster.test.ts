// The acceptance run as Rancher does it: 20 separate driver plugin processes (our main.ts, or the built binary when
// HETZNER_DRIVER_BINARY is set) create machines of one cluster at once over the rancher-machine protocol, then `rm`
// processes remove 10 at once, then the rest. It runs once per set_rules concurrency behaviour of the mock (Hetzner
// does not document which one it has), with the firewall endpoints failing at random throughout.
import { type MockServer, startMock } from 'hcloud-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PluginClient } from '../../src/plugin/client';
import { tempStore } from '../driver/helpers';
import { baseConfig, flagDefaults, spawnDriverPlugin } from '../fixtures/plugin-session';
import { observe } from './cluster-sim';

const TOKEN = 'plugin-cluster-token-0123';
const NODES = 20;
const CLUSTER = 'c-m-plugin20';
const MODES = ['lastWins', 'conflict', 'locked'] as const;
let mock: MockServer;
const spawned: PluginClient[] = [];
const stderr: string[] = [];

async function freshMock(): Promise<MockServer> {
  await mock?.stop();
  mock = await startMock({
    tokens: [TOKEN],
    seedData: false,
    rateLimit: false,
    defaultActionMs: 20,
    labelSelectorPropagationMs: 10,
  });
  return mock;
}

afterAll(async () => {
  await Promise.all(spawned.map((c) => c.killProcess().catch(() => {})));
  await mock?.stop();
});

async function spawnPlugin(): Promise<PluginClient> {
  const client = await spawnDriverPlugin({
    env: { ...process.env, HETZNER_API_TOKEN: TOKEN, HETZNER_API_ENDPOINT: mock.url, HETZNER_DRIVER_POLL_MS: '20' },
    addressTimeoutMs: 60_000,
    onStderr: (line) => stderr.push(line),
  });
  spawned.push(client);
  return client;
}

async function createMachine(name: string): Promise<Uint8Array> {
  const c = await spawnPlugin();
  try {
    await c.setConfigRaw(baseConfig(name, tempStore()));
    const opts = await flagDefaults(c);
    opts.set('hetzner-cluster-id', CLUSTER);
    opts.set('hetzner-create-firewall', true);
    opts.set('hetzner-auto-create-firewall-rules', true);
    await c.setConfigFromFlags(opts);
    await c.preCreateCheck();
    await c.create();
    return await c.getConfigRawBytes();
  } catch (e) {
    throw new Error(`create ${name}: ${(e as Error).message}\n${stderr.slice(-20).join('\n')}`);
  } finally {
    await c.close();
  }
}

async function removeMachine(saved: Uint8Array): Promise<void> {
  const c = await spawnPlugin();
  try {
    await c.setConfigRaw(saved);
    await c.remove();
  } finally {
    await c.close();
  }
}

async function expectConverged(servers: number) {
  const o = await observe(mock.url, CLUSTER, TOKEN);
  expect(o.servers).toHaveLength(servers);
  expect(o.firewalls).toHaveLength(1);
  expect(o.actual).toEqual(o.expected);
  expect(o.expected).toHaveLength(servers * 2);
  for (const sources of o.perGroup.values()) expect(sources).toEqual(o.expected);
  return o;
}

describe.each(MODES)('20 plugin processes share one cluster firewall (concurrent set_rules: %s)', (mode) => {
  beforeAll(async () => {
    await freshMock();
    mock.faults.setConcurrentSetRules(mode);
  });

  it('joins and leaves at once converge to ground truth, and the last leaver deletes the firewall', async () => {
    const chaos = mock.faults.chaos({
      seed: 11,
      rate: 0.1,
      kinds: ['conflict', 'locked', 'serverError', 'unavailable'],
      match: { path: /^\/firewalls/ },
    });
    const names = Array.from({ length: NODES }, (_, i) => `pc-${i}`);
    const saved = await Promise.all(names.map(createMachine));
    const joined = await expectConverged(NODES);
    for (const s of joined.servers) expect(s.public_net.firewalls.map((f) => f.id)).toEqual([joined.firewall!.id]);

    await Promise.all(saved.slice(0, 10).map(removeMachine));
    await expectConverged(NODES - 10);

    await Promise.all(saved.slice(10).map(removeMachine));
    expect(mock.stats().faultsInjected).toBeGreaterThan(0);
    mock.faults.remove(chaos);
    const end = await observe(mock.url, CLUSTER, TOKEN);
    expect(end.servers).toHaveLength(0);
    expect(end.firewalls).toHaveLength(0);
  }, 300_000);
});
