// The soak: many machine lifecycles through the plugin protocol, a share of them in one cluster with the managed
// firewall, run a few at a time against the mock while it fails a share of requests at random (seeded). Each
// lifecycle is what Rancher does: a create process (PreCreateCheck, save, Create, save), then an `rm` process fed
// the stored JSON only; a failed Create leaves only the pre-Create save behind, so its `rm` has no server ID. A
// Remove that fails is retried in a new process, as Rancher's delete job is. Afterwards the invariants are checked
// against the mock's state. Used by driver/test/reliability/soak.test.ts (short) and scripts/bench/soak.ts (long).
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPrng, type FaultRule, type MockServer, startMock } from 'hcloud-mock';
import type { FlagValue } from '../../src/driver/interface';
import { MachineState } from '../../src/driver/interface';
import { normaliseCidrList } from '../../src/firewall/cidr';
import { nodeSources } from '../../src/firewall/desired';
import { internalSources } from '../../src/firewall/rules';
import type { FirewallRule, Server } from '../../src/hcloud';
import type { PluginClient } from '../../src/plugin/client';
import { resourcesOf } from '../fixtures/machine-resources';
import { baseConfig, flagDefaults, spawnDriverPlugin } from '../fixtures/plugin-session';

export interface SoakOptions {
  seed: number;
  lifecycles: number;
  /** Lifecycles in flight at once (each runs one plugin process at a time). */
  concurrency: number;
  /** Probability that an API request meets some fault. */
  faultRate: number;
  /** Share of lifecycles in the managed-firewall cluster. */
  firewallShare: number;
  /** Lifecycles whose machine stays until the survivors' check, then is removed. */
  keepers: number;
  /** Mock action duration (ms) for every command. */
  actionMs: number;
  /**
   * Bound on one plugin call; a call that takes longer counts as a hung process. Far below the driver's own create
   * limit (10 min), yet above the shared firewall's longest retry schedule (15 attempts, backoff up to 5 s).
   */
  callTimeoutMs: number;
  /** Bound between .Close and the process's exit. */
  exitTimeoutMs: number;
  /** Rancher's delete job retries a failed `rm` (BackoffLimit 3). */
  removeAttempts: number;
  onProgress?: (line: string) => void;
}

/** The CI form: 8 lifecycles per seed, three at a time (the test runs its seeds side by side). */
export const SHORT_SOAK: Omit<SoakOptions, 'seed'> = {
  lifecycles: 8,
  concurrency: 3,
  faultRate: 0.08,
  firewallShare: 0.4,
  keepers: 2,
  actionMs: 25,
  callTimeoutMs: 120_000,
  exitTimeoutMs: 10_000,
  removeAttempts: 4,
};

export interface LifecycleRecord {
  name: string;
  firewall: boolean;
  keeper: boolean;
  preCreateError: string | null;
  createError: string | null;
  created: boolean;
  removeAttempts: number;
  removeErrors: string[];
  removed: boolean;
}

export interface SoakResult {
  seed: number;
  lifecycles: LifecycleRecord[];
  faultsInjected: number;
  apiRequests: number;
  /** Resources of a machine that remain after its Create failed cleanly or its Remove succeeded. */
  leaked: string[];
  /** Successful creates whose machine could not be found or used afterwards; lifecycles that never finished. */
  lost: string[];
  /** Plugin calls or exits past their bound. */
  hung: string[];
  /** Failed creates whose error does not say what happened. */
  unclear: string[];
  /** Firewall sources that differ from the surviving servers' addresses. */
  firewallMismatch: string[];
  /** Every line the plugins wrote, every error message and every stored config: for the secrets check. */
  outputs: string[];
  storeDir: string;
  token: string;
  userDataMarker: string;
  processes: number;
  maxProcessMs: number;
  durationMs: number;
}

/**
 * The fault mix, as shares of `rate`: transient HTTP errors of every kind on any request, `locked` only where the
 * API sends it (server and firewall actions, server deletion), connection resets, hangs (the driver's request timeout ends them), slow answers, changes
 * applied and then answered with an error, failing and slow actions.
 */
export function faultRules(rate: number, actionMs: number): Array<FaultRule | { chaos: true; rate: number }> {
  const rules: Array<FaultRule | { chaos: true; rate: number }> = [{ chaos: true, rate: rate * 0.45 }];
  const p = (share: number) => ({ probability: rate * share });
  rules.push(
    // Only what can be locked: a server or firewall with an action running.
    {
      match: { method: 'POST', path: /^\/(servers|firewalls)\/\d+\/actions\// },
      when: p(0.2),
      effect: { status: 423, code: 'locked', message: 'cannot perform operation because server is locked' },
    },
    {
      match: { method: 'DELETE', path: '/servers/{id}' },
      when: p(0.2),
      effect: { status: 423, code: 'locked', message: 'cannot perform operation because server is locked' },
    },
    { when: p(0.08), effect: { reset: true } },
    { when: p(0.03), effect: { hang: true } },
    { when: p(0.08), effect: { delayMs: 150 } },
    { match: { method: 'POST' }, when: p(0.12), effect: { applyThen: { bareStatus: 502 } } },
    { match: { method: 'POST' }, when: p(0.06), effect: { applyThen: { reset: true } } },
    { match: { method: 'DELETE' }, when: p(0.1), effect: { applyThen: { status: 504, code: 'timeout' } } },
    {
      match: { method: 'POST', path: '/servers' },
      when: p(0.6),
      effect: { actionFail: { code: 'action_failed', message: 'server creation failed' }, command: 'create_server' },
    },
    {
      match: { method: 'POST', path: '/servers' },
      when: p(0.6),
      effect: { actionDurationMs: actionMs * 20, command: 'create_server' },
    },
    {
      match: { method: 'DELETE', path: '/servers/{id}' },
      when: p(0.3),
      effect: { actionFail: { code: 'action_failed', message: 'deletion failed' }, command: 'delete_server' },
    },
    {
      match: { method: 'POST', path: /^\/firewalls\/\d+\/actions\/set_rules$/ },
      when: p(0.5),
      effect: { actionFail: { code: 'action_failed', message: 'applying rules failed' } },
    },
  );
  return rules;
}

class CallTimeout extends Error {}

function bounded<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CallTimeout(`${what} did not return within ${ms} ms`)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

/** The cluster firewall's internal sources against the addresses of the cluster's servers, from the mock's state. */
export function firewallAgreement(mock: MockServer, clusterLabel: string): { expected: string[]; actual: string[] } {
  const snapshot = mock.state.snapshot() as unknown as {
    servers: Server[];
    firewalls: Array<{ labels: Record<string, string>; rules: FirewallRule[] }>;
  };
  const servers = snapshot.servers.filter((s) => s.labels.cluster === clusterLabel && s.status !== 'deleting');
  const fw = snapshot.firewalls.find(
    (f) => f.labels.cluster === clusterLabel && f.labels['managed-by'] === 'rancher-machine',
  );
  return {
    expected: normaliseCidrList(servers.flatMap((s) => nodeSources(s))),
    actual: fw ? internalSources(fw.rules) : [],
  };
}

export async function runSoak(opts: SoakOptions): Promise<SoakResult> {
  const started = Date.now();
  const random = createPrng(opts.seed);
  const token = `soak-token-${opts.seed}-${Math.floor(random() * 1e9).toString(36)}`;
  const userDataMarker = `soak-user-data-${opts.seed}-${Math.floor(random() * 1e9).toString(36)}`;
  const storeDir = mkdtempSync(join(tmpdir(), `soak-${opts.seed}-`));
  const userDataPath = join(storeDir, 'bootstrap-cloud-config');
  // Rancher passes its bootstrap cloud-config as a path in the first user-data flag; it holds a join secret.
  writeFileSync(userDataPath, `#cloud-config\nwrite_files:\n- path: /etc/marker\n  content: ${userDataMarker}\n`);
  const cluster = `c-soak-${opts.seed}`;

  const mock = await startMock({
    tokens: [token],
    seed: opts.seed,
    seedData: false,
    rateLimit: false,
    defaultActionMs: opts.actionMs,
    labelSelectorPropagationMs: opts.actionMs,
  });
  for (const rule of faultRules(opts.faultRate, opts.actionMs)) {
    if ('chaos' in rule) {
      mock.faults.chaos({
        seed: opts.seed,
        rate: rule.rate,
        kinds: ['conflict', 'badGateway', 'timeout', 'rateLimited', 'serverError', 'unavailable'],
      });
    } else {
      mock.faults.add(rule);
    }
  }

  const outputs: string[] = [];
  const hung: string[] = [];
  const live = new Set<PluginClient>();
  let processes = 0;
  let maxProcessMs = 0;
  const env = {
    ...process.env,
    HETZNER_API_TOKEN: token,
    // Stands in for the default endpoint an `rm` uses when the stored JSON names none (PreCreateCheck failed).
    HETZNER_API_ENDPOINT: mock.url,
    HETZNER_DRIVER_POLL_MS: '20',
    HETZNER_DRIVER_REQUEST_TIMEOUT_MS: '2000',
  };

  /** One plugin process: spawned, used by `fn`, closed; every bound that is crossed is recorded. */
  async function withPlugin<T>(label: string, fn: (c: PluginClient) => Promise<T>): Promise<T> {
    const t0 = Date.now();
    processes++;
    const own: string[] = [];
    const keep = (l: string) => {
      outputs.push(l);
      own.push(l);
      if (own.length > 40) own.shift();
    };
    const client = await spawnDriverPlugin({
      env,
      addressTimeoutMs: 60_000,
      onStdout: keep,
      onStderr: keep,
    });
    live.add(client);
    try {
      return await fn(client);
    } catch (err) {
      // What the process was doing when it stopped answering, to find out why.
      if (err instanceof CallTimeout) err.message += `; its last lines:\n    ${own.join('\n    ')}`;
      throw err;
    } finally {
      try {
        await client.close(opts.exitTimeoutMs);
      } catch (err) {
        hung.push(`${label}: ${(err as Error).message}`);
        await client.killProcess().catch(() => {});
      }
      live.delete(client);
      maxProcessMs = Math.max(maxProcessMs, Date.now() - t0);
    }
  }

  const call = <T>(label: string, p: Promise<T>) => bounded(p, opts.callTimeoutMs, label);

  /** As rancher-machine keeps the driver's JSON between processes: a file of mode 0600 (libmachine's filestore). */
  const lastStored = new Map<string, Uint8Array>();
  function storeConfig(name: string, bytes: Uint8Array): Uint8Array {
    lastStored.set(name, bytes);
    const dir = join(storeDir, 'machines', name);
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'config.json');
    writeFileSync(file, bytes, { mode: 0o600 });
    chmodSync(file, 0o600);
    return bytes;
  }

  async function driverOpts(client: PluginClient, values: Record<string, FlagValue>) {
    const o = await flagDefaults(client);
    o.set('hetzner-api-token', token);
    o.set('hetzner-api-endpoint', mock.url);
    o.set('hetzner-user-data', userDataPath);
    for (const [k, v] of Object.entries(values)) o.set(k, v);
    return o;
  }

  const records: LifecycleRecord[] = [];
  const leaked: string[] = [];
  const lost: string[] = [];
  const unclear: string[] = [];

  async function create(rec: LifecycleRecord, values: Record<string, FlagValue>): Promise<Uint8Array> {
    let stored = storeConfig(rec.name, new TextEncoder().encode(JSON.stringify(baseConfig(rec.name, storeDir))));
    await withPlugin(`create ${rec.name}`, async (c) => {
      const label = (m: string) => `${m} ${rec.name}`;
      await call(label('SetConfigRaw'), c.setConfigRaw(stored));
      await call(label('GetMachineName'), c.getMachineName());
      await call(label('SetConfigFromFlags'), c.setConfigFromFlags(await driverOpts(c, values)));
      try {
        await call(label('PreCreateCheck'), c.preCreateCheck());
      } catch (err) {
        if (err instanceof CallTimeout) throw err;
        rec.preCreateError = (err as Error).message;
        outputs.push(rec.preCreateError);
        return;
      }
      stored = storeConfig(rec.name, await call(label('GetConfigRaw'), c.getConfigRawBytes()));
      try {
        await call(label('Create'), c.create());
      } catch (err) {
        if (err instanceof CallTimeout) throw err;
        rec.createError = (err as Error).message;
        outputs.push(rec.createError);
        return;
      }
      stored = storeConfig(rec.name, await call(label('GetConfigRaw'), c.getConfigRawBytes()));
      rec.created = true;
      // rancher-machine waits for Running; a transient API error here is retried by it, so one try is enough.
      const state = await call(label('GetState'), c.getState()).catch(() => null);
      if (state !== null && state !== MachineState.Running) lost.push(`${rec.name}: state ${state} after Create`);
    });
    if (rec.createError) {
      if (!/^Creating server \S+ (failed|timed out)/.test(rec.createError))
        unclear.push(`${rec.name}: ${rec.createError}`);
      // Create's own promise: when it says it removed everything, nothing of the machine may remain.
      if (rec.createError.includes('Everything it created has been removed')) {
        const left = resourcesOf(mock, rec.name);
        if (left.servers.length + left.keys.length > 0) {
          leaked.push(`${rec.name}: after a failed Create that claimed a clean rollback: ${describe(left)}`);
        }
      }
    } else if (rec.preCreateError && !/^Invalid Hetzner machine configuration/.test(rec.preCreateError)) {
      unclear.push(`${rec.name}: ${rec.preCreateError}`);
    }
    return stored;
  }

  async function remove(rec: LifecycleRecord, stored: Uint8Array): Promise<void> {
    for (let attempt = 1; attempt <= opts.removeAttempts && !rec.removed; attempt++) {
      rec.removeAttempts = attempt;
      await withPlugin(`rm ${rec.name}`, async (c) => {
        await call(`SetConfigRaw ${rec.name}`, c.setConfigRaw(stored));
        await call(`GetMachineName ${rec.name}`, c.getMachineName());
        try {
          await call(`Remove ${rec.name}`, c.remove());
          rec.removed = true;
        } catch (err) {
          if (err instanceof CallTimeout) throw err;
          const msg = (err as Error).message;
          outputs.push(msg);
          // rancher-machine's rm treats "not found" as success.
          if (/not found/i.test(msg)) rec.removed = true;
          else rec.removeErrors.push(msg);
        }
      });
    }
    if (!rec.removed) {
      lost.push(`${rec.name}: Remove failed ${rec.removeAttempts} times: ${rec.removeErrors.at(-1)}`);
      return;
    }
    const left = resourcesOf(mock, rec.name);
    if (left.servers.length + left.keys.length > 0) leaked.push(`${rec.name}: after Remove: ${describe(left)}`);
  }

  const plans = Array.from({ length: opts.lifecycles }, (_, i) => {
    const firewall = random() < opts.firewallShare;
    const values: Record<string, FlagValue> = firewall
      ? {
          'hetzner-create-firewall': true,
          'hetzner-cluster-id': cluster,
          'hetzner-auto-create-firewall-rules': true,
        }
      : random() < 0.5
        ? { 'hetzner-server-labels': ['pool=soak'] }
        : {};
    const rec: LifecycleRecord = {
      name: `soak${opts.seed}-${i}`,
      firewall,
      keeper: i < opts.keepers,
      preCreateError: null,
      createError: null,
      created: false,
      removeAttempts: 0,
      removeErrors: [],
      removed: false,
    };
    return { rec, values };
  });
  // The keepers belong to the cluster, so that the survivors' check has a firewall to compare.
  for (const p of plans.slice(0, opts.keepers)) {
    p.rec.firewall = true;
    p.values = {
      'hetzner-create-firewall': true,
      'hetzner-cluster-id': cluster,
      'hetzner-auto-create-firewall-rules': true,
    };
  }

  const keeperConfigs = new Map<LifecycleRecord, Uint8Array>();
  async function lifecycle(p: (typeof plans)[number]): Promise<void> {
    records.push(p.rec);
    try {
      const stored = await create(p.rec, p.values);
      if (p.rec.keeper) keeperConfigs.set(p.rec, stored);
      else await remove(p.rec, stored);
    } catch (err) {
      if (err instanceof CallTimeout) hung.push((err as Error).message);
      else lost.push(`${p.rec.name}: lifecycle broke off: ${(err as Error).message}`);
      // As Rancher does after a create job that failed or was killed: `rm` with whatever was stored last.
      const stored = lastStored.get(p.rec.name);
      if (stored && !p.rec.removed) {
        await remove(p.rec, stored).catch((e: unknown) => {
          lost.push(`${p.rec.name}: removal after a broken lifecycle failed: ${(e as Error).message}`);
        });
      }
    }
    opts.onProgress?.(
      `${p.rec.name}: ${p.rec.created ? 'created' : p.rec.preCreateError ? 'rejected' : 'create failed'}` +
        `${p.rec.keeper ? ', kept' : `, removed after ${p.rec.removeAttempts} attempt(s)`}`,
    );
  }

  const firewallMismatch: string[] = [];
  try {
    // Keepers first, so they are in the mix while the others come and go.
    const queue = [...plans];
    await Promise.all(
      Array.from({ length: Math.max(1, opts.concurrency) }, async () => {
        for (let p = queue.shift(); p; p = queue.shift()) await lifecycle(p);
      }),
    );

    // Survivors: exactly the kept machines that were created remain, and the firewall lists exactly them.
    const survivors = [...keeperConfigs.keys()].filter((r) => r.created);
    const survivorNames = new Set(survivors.map((r) => r.name));
    for (const s of mock.state.servers.values()) {
      if (!survivorNames.has(s.name)) leaked.push(`server ${s.name} (id ${s.id}) outlived its lifecycle`);
    }
    for (const r of survivors) {
      if (resourcesOf(mock, r.name).servers.length !== 1) lost.push(`${r.name}: kept machine has no server`);
    }
    const agreement = firewallAgreement(mock, cluster);
    if (agreement.expected.join(',') !== agreement.actual.join(',')) {
      firewallMismatch.push(
        `with ${survivors.length} survivors: expected [${agreement.expected.join(', ')}], firewall has [${agreement.actual.join(', ')}]`,
      );
    }

    // Then the survivors go too, a few at a time, and nothing at all may remain.
    const leaving = [...keeperConfigs.entries()];
    await Promise.all(
      leaving.map(async ([rec, stored]) => {
        try {
          await remove(rec, stored);
        } catch (err) {
          if (err instanceof CallTimeout) hung.push((err as Error).message);
          else lost.push(`${rec.name}: removal broke off: ${(err as Error).message}`);
        }
      }),
    );
    for (const s of mock.state.servers.values()) leaked.push(`server ${s.name} (id ${s.id}) remains at the end`);
    for (const k of mock.state.sshKeys.values()) leaked.push(`SSH key ${k.name} (id ${k.id}) remains at the end`);
    const end = firewallAgreement(mock, cluster);
    if (end.actual.length > 0) firewallMismatch.push(`at the end the firewall still lists [${end.actual.join(', ')}]`);
    for (const f of mock.state.firewalls.values()) {
      leaked.push(`firewall ${f.name} (id ${f.id}) remains after its last node was removed`);
    }
    outputs.push(...readStoredConfigs(storeDir));
    return {
      seed: opts.seed,
      lifecycles: records,
      faultsInjected: mock.stats().faultsInjected,
      apiRequests: mock.stats().total,
      leaked,
      lost,
      hung,
      unclear,
      firewallMismatch,
      outputs,
      storeDir,
      token,
      userDataMarker,
      processes,
      maxProcessMs,
      durationMs: Date.now() - started,
    };
  } finally {
    await Promise.all([...live].map((c) => c.killProcess().catch(() => {})));
    await mock.stop();
  }
}

function describe(r: ReturnType<typeof resourcesOf>): string {
  return [
    ...r.servers.map((s) => `server ${s.name} (id ${s.id}, ${s.status})`),
    ...r.keys.map((k) => `SSH key ${k.name} (id ${k.id})`),
  ].join(', ');
}

/** Every stored config.json, as text. */
function readStoredConfigs(storeDir: string): string[] {
  const dir = join(storeDir, 'machines');
  let names: string[] = [];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const n of names) {
    try {
      out.push(readFileSync(join(dir, n, 'config.json'), 'utf8'));
    } catch {
      // A machine rejected before anything was stored has no config.
    }
  }
  return out;
}

/** Files under the store that hold secrets (private keys, stored configs) with their modes. */
export function secretFiles(storeDir: string): Array<{ path: string; mode: number }> {
  const out: Array<{ path: string; mode: number }> = [];
  const dir = join(storeDir, 'machines');
  let names: string[] = [];
  try {
    names = readdirSync(dir);
  } catch {
    return out;
  }
  for (const n of names) {
    for (const f of ['id_rsa', 'config.json']) {
      const path = join(dir, n, f);
      try {
        out.push({ path, mode: statSync(path).mode & 0o777 });
      } catch {
        // Not every machine got a key (rejected or failed early).
      }
    }
  }
  return out;
}

/** Where a secret shows up in the soak's outputs; empty when it never does. */
export function findSecrets(texts: readonly string[], secrets: readonly string[]): string[] {
  const hits: string[] = [];
  for (const t of texts) {
    for (const s of secrets) {
      if (s && t.includes(s)) hits.push(`${s.slice(0, 6)}… in: ${t.slice(0, 120)}`);
    }
  }
  return hits;
}

export function summaryLine(r: SoakResult): string {
  return (
    `${r.lifecycles.length} lifecycles, ${r.faultsInjected} faults injected, ${r.leaked.length} leaked, ` +
    `${r.lost.length} lost`
  );
}

export function details(r: SoakResult): string {
  const created = r.lifecycles.filter((l) => l.created).length;
  const failed = r.lifecycles.filter((l) => l.createError).length;
  const rejected = r.lifecycles.filter((l) => l.preCreateError).length;
  const retriedRm = r.lifecycles.filter((l) => l.removeAttempts > 1).length;
  return (
    `seed ${r.seed}: ${created} created, ${failed} failed Create (rolled back), ${rejected} failed PreCreateCheck, ` +
    `${retriedRm} Remove retried by a new process; ${r.apiRequests} API requests, ${r.processes} plugin ` +
    `processes (longest ${(r.maxProcessMs / 1000).toFixed(1)} s), ${(r.durationMs / 1000).toFixed(1)} s; ` +
    `${r.hung.length} hung, ${r.unclear.length} unclear errors, ${r.firewallMismatch.length} firewall mismatches`
  );
}
