// API budget per machine operation: how many Hetzner API requests one create (PreCreateCheck + Create) and one
// remove cost, with and without the managed cluster firewall, against the mock with its default (realistic) action
// durations and the driver's default polling. Beside each figure: how many action polls a fixed 500 ms poll would
// have made for the same actions (poll at once, then every 500 ms until done: ⌈duration / 500 ms⌉ + 1). Rancher's own GetState calls are not part of either operation.
//
//   npx tsx scripts/bench/api-budget.ts [--rounds 2] [--calls]   (--calls lists every request of each operation)

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HetznerDriver } from '../../driver/src/driver';
import type { FlagValue } from '../../driver/src/driver/interface';
import type { Logger } from '../../driver/src/log';
import { DEFAULT_DURATIONS, type MockServer, type RequestLogEntry, startMock } from '../../hcloud-mock/src/index';

const TOKEN = 'api-budget-token-0123';
const FIXED_POLL_MS = 500;
const quiet: Logger = { info() {}, warn() {}, debug() {}, error() {} };

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

export interface Measured {
  calls: number;
  /** Each request in order: method, path and query. */
  list: string[];
  actionPolls: number;
  fixedPolls: number;
  byEndpoint: Record<string, number>;
}

/**
 * Counts the API requests in `entries` and what a fixed 500 ms poller would have spent on the same waits. Ids polled
 * together form one wait; a wait that holds create_server runs its next actions after it (the mock's `after`).
 */
export function measure(entries: readonly RequestLogEntry[], mock: MockServer): Measured {
  const byEndpoint: Record<string, number> = {};
  for (const e of entries) byEndpoint[e.endpoint] = (byEndpoint[e.endpoint] ?? 0) + 1;
  const polls = entries.filter((e) => e.method === 'GET' && e.path === '/actions');
  const groups: Array<Set<number>> = [];
  for (const p of polls) {
    const raw = p.query.id;
    const ids = (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]).map(Number);
    const joined = groups.filter((g) => ids.some((id) => g.has(id)));
    const merged = new Set<number>(ids);
    for (const g of joined) {
      for (const id of g) merged.add(id);
      groups.splice(groups.indexOf(g), 1);
    }
    groups.push(merged);
  }
  let fixedPolls = 0;
  for (const g of groups) {
    const commands = [...g].map((id) => mock.state.actions.get(id)?.command ?? '');
    const d = (c: string) => DEFAULT_DURATIONS[c] ?? 500;
    const others = commands.filter((c) => c !== 'create_server').map(d);
    const span = commands.includes('create_server')
      ? d('create_server') + Math.max(0, ...others)
      : Math.max(0, ...commands.map(d));
    // Poll at once, then every 500 ms until the last action has finished (the Go drivers' get-check-sleep loop).
    fixedPolls += Math.ceil(span / FIXED_POLL_MS) + 1;
  }
  const list = entries.map((e) => {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(e.query)) for (const x of Array.isArray(v) ? v : [v]) q.append(k, x);
    const qs = q.toString();
    return `${e.method} ${e.path}${qs ? `?${decodeURIComponent(qs)}` : ''} → ${e.status}`;
  });
  return { calls: entries.length, list, actionPolls: polls.length, fixedPolls, byEndpoint };
}

function configJson(name: string, store: string): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({ MachineName: name, StorePath: store, SSHPort: 0 }));
}

async function createMachine(mock: MockServer, name: string, store: string, values: Record<string, FlagValue>) {
  const d = new HetznerDriver({ logger: quiet, env: { HETZNER_API_ENDPOINT: mock.url } });
  await d.setConfigRaw(configJson(name, store));
  await d.setConfigFromFlags(new Map<string, FlagValue>(Object.entries({ 'hetzner-api-token': TOKEN, ...values })));
  const before = mock.requests.length;
  await d.preCreateCheck();
  await d.create();
  return { config: await d.getConfigRaw(), m: measure(mock.requests.slice(before), mock) };
}

async function removeMachine(mock: MockServer, config: Uint8Array) {
  // As `rm` does: a fresh driver with the stored JSON only, the token from the environment.
  const d = new HetznerDriver({ logger: quiet, env: { HETZNER_API_TOKEN: TOKEN, HETZNER_API_ENDPOINT: mock.url } });
  await d.setConfigRaw(config);
  const before = mock.requests.length;
  await d.remove();
  return measure(mock.requests.slice(before), mock);
}

function row(label: string, m: Measured): string {
  const ratio = m.fixedPolls > 0 ? (m.actionPolls / m.fixedPolls).toFixed(2) : '-';
  return `${label.padEnd(44)} ${String(m.calls).padStart(5)} ${String(m.actionPolls).padStart(12)} ${String(m.fixedPolls).padStart(14)} ${ratio.padStart(7)}`;
}

function breakdown(m: Measured): string {
  return Object.entries(m.byEndpoint)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k} ×${v}`)
    .join(', ');
}

async function main(): Promise<void> {
  const rounds = Number(arg('rounds', '2'));
  const mock = await startMock({ tokens: [TOKEN], seedData: false });
  const store = mkdtempSync(join(tmpdir(), 'api-budget-'));
  const rows: Array<[string, Measured]> = [];
  try {
    for (let r = 0; r < rounds; r++) {
      const plain = await createMachine(mock, `budget-${r}`, store, {});
      rows.push([`create, no firewall (round ${r + 1})`, plain.m]);
      rows.push([`remove, no firewall (round ${r + 1})`, await removeMachine(mock, plain.config)]);
    }
    const fw = {
      'hetzner-create-firewall': true,
      'hetzner-cluster-id': 'c-budget',
      'hetzner-auto-create-firewall-rules': true,
    };
    const first = await createMachine(mock, 'budget-fw-1', store, fw);
    rows.push(['create, managed firewall (first node)', first.m]);
    const second = await createMachine(mock, 'budget-fw-2', store, fw);
    rows.push(['create, managed firewall (joining node)', second.m]);
    rows.push(['remove, managed firewall (node, others remain)', await removeMachine(mock, second.config)]);
    rows.push(['remove, managed firewall (last node)', await removeMachine(mock, first.config)]);
  } finally {
    await mock.stop();
    rmSync(store, { recursive: true, force: true });
  }

  console.log('API calls per operation (mock with default action durations, driver default polling)\n');
  console.log(
    `${'operation'.padEnd(44)} ${'calls'.padStart(5)} ${'action polls'.padStart(12)} ${'fixed 500 ms'.padStart(14)} ${'ratio'.padStart(7)}`,
  );
  for (const [label, m] of rows) console.log(row(label, m));
  console.log('\nBy endpoint:');
  for (const [label, m] of rows) console.log(`  ${label}: ${breakdown(m)}`);
  if (process.argv.includes('--calls')) {
    console.log('\nEach call, in order:');
    for (const [label, m] of rows) console.log(`  ${label}:\n${m.list.map((c) => `    ${c}`).join('\n')}`);
  }
  const plainCreate = rows.filter(([l]) => l.startsWith('create, no firewall')).map(([, m]) => m);
  const plainRemove = rows.filter(([l]) => l.startsWith('remove, no firewall')).map(([, m]) => m);
  const polls = rows.reduce((a, [, m]) => a + m.actionPolls, 0);
  const fixed = rows.reduce((a, [, m]) => a + m.fixedPolls, 0);
  const get = (label: string) => rows.find(([l]) => l === label)?.[1];
  const target = (what: string, limit: number, measured: number) =>
    `  ${what.padEnd(44)} target ≤ ${String(limit).padStart(2)}, measured ${String(measured).padStart(2)}: ${measured <= limit ? 'met' : 'NOT met'}`;
  console.log('\nTargets (issue 17), calls per operation:');
  console.log(target('create, no firewall', 6, Math.max(...plainCreate.map((m) => m.calls))));
  console.log(target('remove, no firewall', 3, Math.max(...plainRemove.map((m) => m.calls))));
  console.log(
    target('create, managed firewall (joining node)', 10, get('create, managed firewall (joining node)')?.calls ?? 0),
  );
  console.log(
    target(
      'remove, managed firewall (node, others remain)',
      7,
      get('remove, managed firewall (node, others remain)')?.calls ?? 0,
    ),
  );
  console.log(`  action polls ≤ 1/4 of fixed 500 ms: ${polls}/${fixed} = ${(polls / fixed).toFixed(2)}`);
  // What the managed firewall adds to an operation, over the same operation without it; the firewall is looked up
  // once per operation (the post-write re-read of the firewall and of the servers is the reconciler's verify step).
  const extra = (label: string, base: readonly Measured[]) => {
    const m = get(label);
    const lookups = m?.byEndpoint['GET /firewalls'] ?? 0;
    return m ? `+${m.calls - Math.max(...base.map((b) => b.calls))} (GET /firewalls ×${lookups})` : '-';
  };
  console.log(
    `Managed firewall adds: first node ${extra('create, managed firewall (first node)', plainCreate)}, ` +
      `joining ${extra('create, managed firewall (joining node)', plainCreate)}, ` +
      `leaving ${extra('remove, managed firewall (node, others remain)', plainRemove)}, ` +
      `last node ${extra('remove, managed firewall (last node)', plainRemove)}`,
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
