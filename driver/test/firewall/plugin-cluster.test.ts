// The acceptance run as Rancher does it: 20 separate driver plugin processes (our main.ts, or the built binary when
// HETZNER_DRIVER_BINARY is set) create machines of one cluster at once over the rancher-machine protocol, then `rm`
// processes remove 10 at once, then the rest. The set_rules concurrency behaviour of the mock changes per phase,
// and the firewall endpoints fail at random throughout.
import { type MockServer, startMock } from 'hcloud-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FlagValue } from '../../src/driver/interface';
import { PluginClient } from '../../src/plugin/client';
import { tempStore } from '../driver/helpers';
import { pluginCommand } from '../fixtures/plugin-command';
import { observe } from './cluster-sim';

const TOKEN = 'plugin-cluster-token-0123';
const NODES = 20;
const CLUSTER = 'c-m-plugin20';
let mock: MockServer;
const spawned: PluginClient[] = [];
const stderr: string[] = [];

beforeAll(async () => {
  mock = await startMock({
    tokens: [TOKEN],
    seedData: false,
    rateLimit: false,
    defaultActionMs: 20,
    labelSelectorPropagationMs: 10,
  });
});
afterAll(async () => {
  await Promise.all(spawned.map((c) => c.killProcess().catch(() => {})));
  await mock?.stop();
});

async function spawnPlugin(): Promise<PluginClient> {
  const { command, args } = pluginCommand();
  const client = await PluginClient.spawn({
    command,
    args,
    env: { ...process.env, HETZNER_API_TOKEN: TOKEN, HETZNER_DRIVER_POLL_MS: '20' },
    addressTimeoutMs: 60_000,
    // rancher-machine's heartbeat; the plugin's watchdog ends a process that stops hearing it.
    heartbeatIntervalMs: 2_000,
    onStderr: (line) => stderr.push(line),
  });
  spawned.push(client);
  return client;
}

function baseConfig(name: string, store: string) {
  return {
    IPAddress: '',
    MachineName: name,
    SSHUser: '',
    SSHPort: 0,
    SSHKeyPath: '',
    StorePath: store,
    SwarmMaster: false,
    SwarmHost: '',
    SwarmDiscovery: '',
  };
}

async function createMachine(name: string): Promise<Uint8Array> {
  const c = await spawnPlugin();
  try {
    await c.setConfigRaw(baseConfig(name, tempStore()));
    const opts = new Map<string, FlagValue>();
    for (const f of await c.getCreateFlags()) opts.set(f.name, f.kind === 'bool' ? false : f.value);
    opts.set('hetzner-api-endpoint', mock.url);
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

describe('20 plugin processes share one cluster firewall', () => {
  it('joins and leaves at once converge to ground truth, and the last leaver deletes the firewall', async () => {
    mock.faults.setConcurrentSetRules('locked');
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
    expect(mock.stats().faultsInjected).toBeGreaterThan(0);

    mock.faults.setConcurrentSetRules('conflict');
    await Promise.all(saved.slice(0, 10).map(removeMachine));
    await expectConverged(NODES - 10);

    mock.faults.remove(chaos);
    mock.faults.setConcurrentSetRules('lastWins');
    await Promise.all(saved.slice(10).map(removeMachine));
    const end = await observe(mock.url, CLUSTER, TOKEN);
    expect(end.servers).toHaveLength(0);
    expect(end.firewalls).toHaveLength(0);
  }, 300_000);
});
