// `pnpm demo`: three machines made and removed through the real plugin protocol, against the mock Hetzner API.
// Starts the mock in-process, spawns our driver plugin per machine exactly as rancher-machine does (create in one
// process, `rm` in another), prints every step and what the mock holds, and proves that nothing is left behind.
// The plugin runs from source under tsx, or the built binary when HETZNER_DRIVER_BINARY names it; nothing to build.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FlagValue } from '../driver/src/driver/interface';
import { MachineState } from '../driver/src/driver/interface';
import { PluginClient } from '../driver/src/plugin/client';
import { pluginCommand } from '../driver/test/fixtures/plugin-command';
import { type MockServer, startMock } from '../hcloud-mock/src/index';

const TOKEN = `demo-${Math.random().toString(36).slice(2)}`;
const STATE_NAMES = Object.fromEntries(
  Object.entries(MachineState)
    .filter(([, v]) => typeof v === 'number')
    .map(([k, v]) => [v, k]),
);
const bold = (s: string) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);

interface Machine {
  name: string;
  flags: Record<string, FlagValue>;
  config?: Uint8Array;
}

const MACHINES: Machine[] = [
  { name: 'm1', flags: { 'hetzner-server-labels': ['pool=demo'] } },
  { name: 'm2', flags: { 'hetzner-use-private-network': true, 'hetzner-networks': ['private'] } },
  { name: 'm3', flags: { 'hetzner-server-type': 'cax11', 'hetzner-disable-public-ipv4': true } },
];

function step(text: string): void {
  console.log(`\n${bold(`== ${text}`)}`);
}

/** Never lets the token through, whatever a line contains. */
function safe(line: string): string {
  return line.split(TOKEN).join('***');
}

async function spawnPlugin(mock: MockServer, prefix: string): Promise<PluginClient> {
  const { command, args } = pluginCommand();
  return PluginClient.spawn({
    command,
    args,
    env: { ...process.env, HETZNER_API_TOKEN: TOKEN, HETZNER_API_ENDPOINT: mock.url, HETZNER_DRIVER_POLL_MS: '25' },
    onStdout: (l) => console.log(`  [${prefix}] ${safe(l)}`),
    addressTimeoutMs: 20_000,
    heartbeatIntervalMs: 5_000,
  });
}

async function createMachine(mock: MockServer, store: string, m: Machine): Promise<void> {
  const client = await spawnPlugin(mock, m.name);
  try {
    await client.getVersion();
    await client.setConfigRaw({ MachineName: m.name, StorePath: store });
    const opts = new Map<string, FlagValue>();
    for (const f of await client.getCreateFlags()) opts.set(f.name, f.kind === 'bool' ? false : f.value);
    opts.set('hetzner-api-token', TOKEN);
    for (const [k, v] of Object.entries(m.flags)) opts.set(k, v);
    await client.setConfigFromFlags(opts);
    console.log(`  [${m.name}] PreCreateCheck`);
    await client.preCreateCheck();
    console.log(`  [${m.name}] Create`);
    await client.create();
    m.config = await client.getConfigRawBytes();
    const state = await client.getState();
    console.log(`  [${m.name}] GetState → ${STATE_NAMES[state]}, GetIP → ${await client.getIP()}`);
  } finally {
    await client.close().catch(() => client.killProcess());
  }
}

async function removeMachine(mock: MockServer, m: Machine): Promise<void> {
  const client = await spawnPlugin(mock, m.name);
  try {
    await client.getVersion();
    await client.setConfigRaw(m.config ?? { MachineName: m.name });
    await client.remove();
    console.log(`  [${m.name}] GetState → ${STATE_NAMES[await client.getState()]}`);
  } finally {
    await client.close().catch(() => client.killProcess());
  }
}

function ours(mock: MockServer) {
  const servers = [...mock.state.servers.values()].filter((s) => s.labels['managed-by'] === 'rancher-machine');
  const keys = [...mock.state.sshKeys.values()].filter((k) => k.labels['managed-by'] === 'rancher-machine');
  return { servers, keys };
}

function showResources(mock: MockServer): void {
  const { servers, keys } = ours(mock);
  const ip = (id: number | null) => (id === null ? '-' : (mock.state.primaryIps.get(id)?.ip ?? '-'));
  console.table(
    servers.map((s) => ({
      server: s.name,
      id: s.id,
      status: s.status,
      ipv4: ip(s.ipv4),
      ipv6: ip(s.ipv6),
      private: s.privateNet.map((p) => p.ip).join(' ') || '-',
      labels: Object.entries(s.labels)
        .map(([k, v]) => `${k}=${v}`)
        .join(' '),
    })),
  );
  console.table(
    keys.map((k) => ({ 'ssh key': k.name, id: k.id, fingerprint: k.fingerprint, machine: k.labels.machine })),
  );
}

async function main(): Promise<void> {
  const started = Date.now();
  const store = mkdtempSync(join(tmpdir(), 'hetzner-demo-'));
  const mock = await startMock({
    tokens: [TOKEN],
    defaultActionMs: 60,
    labelSelectorPropagationMs: 50,
    rateLimit: false,
  });
  try {
    step(
      `Mock Hetzner API at ${mock.url}; plugin: ${pluginCommand().command === process.execPath ? 'source (tsx)' : 'binary'}`,
    );
    step('Create m1 (defaults), m2 (private network) and m3 (arm, IPv6 only) through the plugin protocol');
    await Promise.all(MACHINES.map((m) => createMachine(mock, store, m)));

    step('What the mock holds for rancher-machine');
    showResources(mock);

    step('Remove all three, each in a fresh plugin process as `rancher-machine rm` does');
    await Promise.all(MACHINES.map((m) => removeMachine(mock, m)));

    step('What is left');
    const left = ours(mock);
    console.log(`  servers of ours: ${left.servers.length}, SSH keys of ours: ${left.keys.length}`);
    const stats = mock.stats();
    console.log(`  API requests: ${stats.total}; done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    if (left.servers.length > 0 || left.keys.length > 0) {
      process.exitCode = 1;
      console.error('Leftovers found: the driver leaked resources.');
    }
  } finally {
    await mock.stop();
    rmSync(store, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(safe(err instanceof Error ? (err.stack ?? err.message) : String(err)));
  process.exit(1);
});
