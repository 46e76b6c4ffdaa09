// The crash matrix: deterministic kill -9 at every API call of Create and Remove. For each create configuration the
// driver supports, one clean run records the sequence of API calls (PreCreateCheck + Create in one plugin process, as
// rancher-machine makes them; Remove in its own). Then, for every call k and for both moments a crash can meet it —
// the request never reaches the API, or the API applied it and the answer never arrives — a plugin process runs up to
// that call (the mock holds it and tells us), is killed with SIGKILL, and what Rancher does next is played: `rm` with
// the config saved before Create (no server ID), or a new Create of the same machine followed by a normal `rm`; for
// Remove, `rm` again. After each run the mock's state must be what it was before the machine came (Jepsen's
// invariant check after every fault): no server, SSH key, placement group or firewall entry of the machine, the
// cluster firewall's node sources equal to its surviving servers, every other resource untouched. No randomness: the
// mock is seeded and reset between runs, and faults hold exactly one call. Used by crash-matrix.test.ts (a reduced
// matrix in CI) and scripts/bench/crash-matrix.ts (the full matrix, printed).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type HeldRequest, type MockServer, startMock } from 'hcloud-mock';
import { HetznerDriver } from '../../src/driver';
import type { FlagValue } from '../../src/driver/interface';
import type { Logger } from '../../src/log';
import type { PluginClient } from '../../src/plugin/client';
import { resourcesOf } from '../fixtures/machine-resources';
import { mockApi } from '../fixtures/mock-api';
import { baseConfig, flagDefaults, spawnDriverPlugin } from '../fixtures/plugin-session';
import { firewallAgreement } from './soak';

export type Moment = 'request-lost' | 'answer-lost';
export type Recovery = 'rm' | 'recreate' | 'rm-again';
export const MOMENTS: readonly Moment[] = ['request-lost', 'answer-lost'];

const TOKEN = 'crash-matrix-token-7f3a9c';
const OTHER_CLUSTER = 'c-bystander';
const FIREWALL_FLAGS = { 'hetzner-create-firewall': true, 'hetzner-auto-create-firewall-rules': true };

/** What the world holds before the machine under test comes, and how that machine is configured. */
export interface CrashConfig {
  name: string;
  /** The cluster of the machine under test (its firewall, spread groups, labels), or null for none. */
  cluster: string | null;
  /** The machine's flags besides the defaults. */
  values: Record<string, FlagValue>;
  /** A machine of the same cluster with the managed firewall is alive throughout (the "joining node" case). */
  survivor?: boolean;
  /** Pre-existing resources and fixed (not random) API behaviour this configuration needs, on a reset mock. */
  setup?: (mock: MockServer) => Promise<void> | void;
}

function machineName(cluster: string | null, pool = 'pool1'): string {
  // Rancher's form, <cluster>-<pool>-<hash>-<suffix>, which the spread groups and {{ pool }} take the pool from.
  return `${cluster ?? 'c-none'}-${pool}-5f6d7-abcde`;
}

function api(mock: MockServer, method: string, path: string, body?: unknown): Promise<unknown> {
  return mockApi(mock, TOKEN, method, path, body);
}

/** Every create configuration the driver has. */
export const CONFIGS: readonly CrashConfig[] = [
  { name: 'plain', cluster: null, values: {} },
  {
    name: 'firewall-first-node',
    cluster: 'c-fwfirst',
    values: { ...FIREWALL_FLAGS, 'hetzner-cluster-id': 'c-fwfirst' },
  },
  {
    name: 'firewall-joining-node',
    cluster: 'c-fwjoin',
    values: { ...FIREWALL_FLAGS, 'hetzner-cluster-id': 'c-fwjoin' },
    survivor: true,
  },
  {
    name: 'spread-placement',
    cluster: 'c-spread',
    values: { 'hetzner-cluster-id': 'c-spread', 'hetzner-placement-group-spread': true },
  },
  {
    name: 'network-subnet-fixed-ip',
    cluster: 'c-net',
    values: { 'hetzner-cluster-id': 'c-net', 'hetzner-networks': ['pool-net:10.20.1.0/24', 'fixed-net:10.30.1.10'] },
    setup: async (mock) => {
      for (const [name, range, subnet] of [
        ['pool-net', '10.20.0.0/16', '10.20.1.0/24'],
        ['fixed-net', '10.30.0.0/16', '10.30.1.0/24'],
      ] as const) {
        await api(mock, 'POST', '/networks', {
          name,
          ip_range: range,
          subnets: [{ type: 'cloud', ip_range: subnet, network_zone: 'eu-central' }],
        });
      }
    },
  },
  {
    name: 'primary-ips-volumes',
    cluster: 'c-att',
    values: {
      'hetzner-cluster-id': 'c-att',
      'hetzner-primary-ipv4': 'keep-v4',
      'hetzner-primary-ipv6': 'keep-v6',
      'hetzner-volumes': ['keep-data'],
    },
    setup: async (mock) => {
      const fsn1 = mock.state.locationByRef('fsn1')!.id;
      // auto_delete off from the start: Create turns it off anyway, and the world must compare equal afterwards.
      mock.state.createPrimaryIp('ipv4', fsn1, { name: 'keep-v4', auto_delete: false });
      mock.state.createPrimaryIp('ipv6', fsn1, { name: 'keep-v6', auto_delete: false });
      await api(mock, 'POST', '/volumes', { name: 'keep-data', size: 10, location: 'fsn1', format: 'ext4' });
    },
  },
  {
    name: 'rdns',
    cluster: 'c-rdns',
    values: { 'hetzner-cluster-id': 'c-rdns', 'hetzner-rdns-template': '{{ machine }}.k8s.example.com' },
  },
  {
    name: 'capacity-fallback',
    cluster: 'c-fallback',
    values: { 'hetzner-cluster-id': 'c-fallback', 'hetzner-server-type': 'cx23,cpx22' },
    setup: (mock) => {
      // cx23 is sold out whenever it is asked for: every attempt falls back to cpx22, the same way each time.
      mock.faults.add({
        match: {
          method: 'POST',
          path: '/servers',
          body: (b) => (b as { server_type?: string }).server_type === 'cx23',
        },
        effect: { status: 412, code: 'resource_unavailable', message: 'server type is currently not available' },
      });
    },
  },
];

/** The CI form: the plain machine and a node joining a managed-firewall cluster. */
export const CI_CONFIGS = ['plain', 'firewall-joining-node'];

export interface RunResult {
  config: string;
  op: 'create' | 'remove';
  /** 1-based index of the held call in the recorded sequence. */
  k: number;
  /** The endpoint of call k in the recorded sequence. */
  endpoint: string;
  /** PreCreateCheck or Create (or Remove). */
  phase: string;
  moment: Moment;
  recovery: Recovery;
  /** False when the run ended before call k (the sequence was not reproduced): counted apart. */
  reached: boolean;
  /** What was held, if it differs from the recorded endpoint. */
  heldEndpoint: string | null;
  ok: boolean;
  problems: string[];
  ms: number;
}

export interface Recorded {
  create: Array<{ endpoint: string; phase: string }>;
  remove: Array<{ endpoint: string; phase: string }>;
}

export interface MatrixOptions {
  configs: readonly CrashConfig[];
  /** Which recoveries follow a killed Create (every one by default); `alternate` takes one per (k, moment). */
  createRecoveries?: readonly Recovery[] | 'alternate';
  /** Configurations run side by side, each with its own mock. */
  concurrency?: number;
  onRun?: (r: RunResult) => void;
  onRecorded?: (config: string, recorded: Recorded) => void;
}

export interface MatrixResult {
  recorded: Map<string, Recorded>;
  runs: RunResult[];
  processes: number;
  durationMs: number;
}

const silent: Logger = { info: () => {}, warn: () => {}, debug: () => {}, error: () => {} };
const POLL_MS = '5';

/** One configuration's world: its own mock, reset before each run and built up the same way every time. */
class World {
  processes = 0;
  private before = '';
  readonly store = mkdtempSync(join(tmpdir(), 'crash-matrix-'));
  readonly target: string;
  private readonly survivorName: string;
  private readonly bystanderName = machineName(OTHER_CLUSTER, 'other');

  private constructor(
    readonly mock: MockServer,
    readonly config: CrashConfig,
  ) {
    this.target = machineName(config.cluster);
    this.survivorName = machineName(config.cluster, 'keep');
  }

  static async start(config: CrashConfig): Promise<World> {
    const mock = await startMock({
      tokens: [TOKEN],
      seed: 17,
      rateLimit: false,
      defaultActionMs: 1,
      labelSelectorPropagationMs: 1,
    });
    return new World(mock, config);
  }

  get env(): NodeJS.ProcessEnv {
    return {
      ...process.env,
      HETZNER_API_TOKEN: TOKEN,
      HETZNER_API_ENDPOINT: this.mock.url,
      HETZNER_DRIVER_POLL_MS: POLL_MS,
      HETZNER_DRIVER_REQUEST_TIMEOUT_MS: '10000',
    };
  }

  /** Back to the seed; then a machine of another cluster, the configuration's resources, and the survivor. */
  async reset(): Promise<void> {
    this.mock.reset();
    // The other cluster's machine comes first: a configuration's setup may make its server type unavailable.
    await this.createInProcess(this.bystanderName, { ...FIREWALL_FLAGS, 'hetzner-cluster-id': OTHER_CLUSTER });
    await this.config.setup?.(this.mock);
    if (this.config.survivor && this.config.cluster) {
      await this.createInProcess(this.survivorName, { ...FIREWALL_FLAGS, 'hetzner-cluster-id': this.config.cluster });
    }
    await settle();
    this.before = this.worldView();
  }

  /** A machine made by the driver in this process (fast): the bystanders, and the machine a Remove run kills. */
  async createInProcess(name: string, values: Record<string, FlagValue>): Promise<Uint8Array> {
    const d = new HetznerDriver({ logger: silent, env: this.env });
    await d.setConfigRaw(new TextEncoder().encode(JSON.stringify(baseConfig(name, this.store))));
    await d.setConfigFromFlags(new Map(Object.entries({ 'hetzner-api-token': TOKEN, ...values })));
    await d.preCreateCheck();
    await d.create();
    return d.getConfigRaw();
  }

  async plugin(): Promise<PluginClient> {
    this.processes++;
    return spawnDriverPlugin({ env: this.env, onStdout: () => {}, onStderr: () => {} });
  }

  async configure(c: PluginClient): Promise<void> {
    await c.setConfigRaw(baseConfig(this.target, this.store));
    const opts = await flagDefaults(c);
    opts.set('hetzner-api-token', TOKEN);
    for (const [k, v] of Object.entries(this.config.values)) opts.set(k, v);
    await c.setConfigFromFlags(opts);
  }

  /** What counts for "untouched": every resource in API shape, without actions (they only grow). */
  private worldView(): string {
    const snap = this.mock.state.snapshot() as Record<string, unknown>;
    const { actions: _actions, ...rest } = snap;
    return JSON.stringify(rest, (_k, v) =>
      v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort()) : v,
    );
  }

  /** The invariants after a run; [] when they hold. */
  async check(): Promise<string[]> {
    await settle();
    const problems: string[] = [];
    const mine = resourcesOf(this.mock, this.target);
    for (const s of mine.servers) problems.push(`server ${s.name} (id ${s.id}, ${s.status}) left`);
    for (const k of mine.keys) problems.push(`SSH key ${k.name} left`);
    for (const g of this.mock.state.placementGroups.values()) {
      if (g.labels.machine === this.target)
        problems.push(`placement group ${g.name} (${g.servers.length} servers) left`);
    }
    if (this.config.cluster) {
      const fw = firewallAgreement(this.mock, this.config.cluster);
      if (fw.expected.join(',') !== fw.actual.join(',')) {
        problems.push(`cluster firewall lists [${fw.actual.join(', ')}], its servers are [${fw.expected.join(', ')}]`);
      }
      const firewalls = [...this.mock.state.firewalls.values()].filter((f) => f.labels.cluster === this.config.cluster);
      if (!this.config.survivor && firewalls.length > 0) problems.push(`cluster firewall left with no node`);
    }
    const invariants = this.mock.state.checkInvariants();
    problems.push(...invariants.map((i) => `mock state: ${i}`));
    if (problems.length === 0) {
      const after = this.worldView();
      if (after !== this.before) problems.push(`other resources changed: ${firstDifference(this.before, after)}`);
    }
    return problems;
  }

  async stop(): Promise<void> {
    await this.mock.stop();
  }
}

/** Lets label-selector propagation and just-finished actions land before the state is read. */
function settle(): Promise<void> {
  return new Promise((r) => setTimeout(r, 15));
}

function firstDifference(a: string, b: string): string {
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  const from = Math.max(0, i - 120);
  return `before …${a.slice(from, i + 80)}… after …${b.slice(from, i + 80)}…`;
}

interface Held {
  held: HeldRequest | null;
}

/**
 * Runs `fn` (plugin calls) with the k-th API request from now on held at `moment`; SIGKILLs the plugin as soon as the
 * mock holds it. Resolves with what was held (null if `fn` finished first, i.e. call k never came).
 */
async function killAtCall(
  world: World,
  client: PluginClient,
  k: number,
  moment: Moment,
  fn: () => Promise<unknown>,
): Promise<Held> {
  const rule = world.mock.faults.add({
    when: { nth: k },
    effect: moment === 'request-lost' ? { hang: true } : { applyThen: { hang: true } },
  });
  let off = () => {};
  const held = new Promise<HeldRequest>((resolve) => {
    off = world.mock.onHold(resolve);
  });
  try {
    const done = fn().then(
      () => null,
      () => null,
    );
    const first = await Promise.race([held, done]);
    // SIGKILL first: the plugin must not see its connection drop before it dies.
    client.process?.kill('SIGKILL');
    await client.killProcess().catch(() => {});
    return { held: first };
  } finally {
    off();
    world.mock.faults.remove(rule);
  }
}

async function closeQuietly(c: PluginClient): Promise<void> {
  await c.close(10_000).catch(async () => {
    await c.killProcess().catch(() => {});
  });
}

/** `rm` as rancher-machine runs it in a fresh process, retried like Rancher's delete job (up to 3 times). */
async function rm(world: World, stored: Uint8Array | object): Promise<string[]> {
  const errors: string[] = [];
  for (let attempt = 1; attempt <= 3; attempt++) {
    const c = await world.plugin();
    try {
      await c.setConfigRaw(stored);
      await c.remove();
      return errors;
    } catch (err) {
      const msg = (err as Error).message;
      if (/not found/i.test(msg)) return errors;
      errors.push(`rm attempt ${attempt}: ${msg}`);
    } finally {
      await closeQuietly(c);
    }
  }
  return errors;
}

/** Recovery by a new Create of the same machine (a new process), then `rm` with whatever that left stored. */
async function recreateThenRemove(world: World): Promise<string[]> {
  const problems: string[] = [];
  let stored: Uint8Array | object = baseConfig(world.target, world.store);
  const c = await world.plugin();
  try {
    await world.configure(c);
    await c.preCreateCheck();
    stored = await c.getConfigRawBytes();
    await c.create();
    stored = await c.getConfigRawBytes();
  } catch (err) {
    problems.push(`re-create failed: ${(err as Error).message}`);
  } finally {
    await closeQuietly(c);
  }
  problems.push(...(await rm(world, stored)));
  return problems;
}

/** The clean runs: the sequence of calls Create (with PreCreateCheck) and Remove make, each in its own process. */
async function record(world: World): Promise<Recorded> {
  await world.reset();
  const from = world.mock.requests.length;
  const c = await world.plugin();
  let checked = 0;
  let stored: Uint8Array;
  try {
    await world.configure(c);
    await c.preCreateCheck();
    checked = world.mock.requests.length;
    await c.create();
    stored = await c.getConfigRawBytes();
  } finally {
    await closeQuietly(c);
  }
  const create = world.mock.requests
    .slice(from)
    .map((r, i) => ({ endpoint: r.endpoint, phase: from + i < checked ? 'PreCreateCheck' : 'Create' }));
  const rmFrom = world.mock.requests.length;
  const errors = await rm(world, stored);
  if (errors.length > 0) throw new Error(`${world.config.name}: the clean Remove failed: ${errors.join('; ')}`);
  const remove = world.mock.requests.slice(rmFrom).map((r) => ({ endpoint: r.endpoint, phase: 'Remove' }));
  const left = await world.check();
  if (left.length > 0) throw new Error(`${world.config.name}: the clean lifecycle left ${left.join('; ')}`);
  return { create, remove };
}

async function createRun(world: World, k: number, moment: Moment, recovery: Recovery) {
  await world.reset();
  const c = await world.plugin();
  // Nothing is stored until PreCreateCheck passes: before that, Rancher knows only the machine's name.
  let stored: Uint8Array | object = baseConfig(world.target, world.store);
  const { held } = await killAtCall(world, c, k, moment, async () => {
    await world.configure(c);
    await c.preCreateCheck();
    stored = await c.getConfigRawBytes();
    await c.create();
  });
  const problems = recovery === 'rm' ? await rm(world, stored) : await recreateThenRemove(world);
  return { held, problems };
}

async function removeRun(world: World, k: number, moment: Moment) {
  await world.reset();
  const stored = await world.createInProcess(world.target, world.config.values);
  const c = await world.plugin();
  const { held } = await killAtCall(world, c, k, moment, async () => {
    await c.setConfigRaw(stored);
    await c.remove();
  });
  // Rancher keeps the machine (its config after Create) when rm did not finish, and runs rm again.
  return { held, problems: await rm(world, stored) };
}

async function runConfig(config: CrashConfig, opts: MatrixOptions, out: MatrixResult): Promise<void> {
  const world = await World.start(config);
  try {
    const recorded = await record(world);
    out.recorded.set(config.name, recorded);
    opts.onRecorded?.(config.name, recorded);
    const recoveriesFor = (k: number, m: number): readonly Recovery[] => {
      const r = opts.createRecoveries ?? ['rm', 'recreate'];
      return r === 'alternate' ? [(k + m) % 2 === 0 ? 'rm' : 'recreate'] : r;
    };
    const push = (
      op: 'create' | 'remove',
      k: number,
      moment: Moment,
      recovery: Recovery,
      step: { endpoint: string; phase: string },
      res: { held: HeldRequest | null; problems: string[] },
      problems: string[],
      t0: number,
    ) => {
      const r: RunResult = {
        config: config.name,
        op,
        k,
        endpoint: step.endpoint,
        phase: step.phase,
        moment,
        recovery,
        reached: res.held !== null,
        heldEndpoint: res.held && res.held.endpoint !== step.endpoint ? res.held.endpoint : null,
        ok: problems.length === 0,
        problems,
        ms: Date.now() - t0,
      };
      out.runs.push(r);
      opts.onRun?.(r);
    };
    for (let k = 1; k <= recorded.create.length; k++) {
      for (const [m, moment] of MOMENTS.entries()) {
        for (const recovery of recoveriesFor(k, m)) {
          const t0 = Date.now();
          const res = await createRun(world, k, moment, recovery);
          push(
            'create',
            k,
            moment,
            recovery,
            recorded.create[k - 1]!,
            res,
            [...res.problems, ...(await world.check())],
            t0,
          );
        }
      }
    }
    for (let k = 1; k <= recorded.remove.length; k++) {
      for (const moment of MOMENTS) {
        const t0 = Date.now();
        const res = await removeRun(world, k, moment);
        push(
          'remove',
          k,
          moment,
          'rm-again',
          recorded.remove[k - 1]!,
          res,
          [...res.problems, ...(await world.check())],
          t0,
        );
      }
    }
  } finally {
    out.processes += world.processes;
    await world.stop();
  }
}

export async function runCrashMatrix(opts: MatrixOptions): Promise<MatrixResult> {
  const started = Date.now();
  const out: MatrixResult = { recorded: new Map(), runs: [], processes: 0, durationMs: 0 };
  const queue = [...opts.configs];
  await Promise.all(
    Array.from({ length: Math.max(1, opts.concurrency ?? 1) }, async () => {
      for (let c = queue.shift(); c; c = queue.shift()) await runConfig(c, opts, out);
    }),
  );
  out.durationMs = Date.now() - started;
  return out;
}
