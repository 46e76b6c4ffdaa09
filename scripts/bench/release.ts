// Release benchmark: the driver executable as Rancher runs it, next to a minimal Go plugin (the interop test's
// driver/test/interop/goplugin, built as Go drivers are released: -trimpath -ldflags "-s -w"), measured side by side
// in one run:
//   - time from exec to the address line on stdout (what rancher-machine waits for, at most 10 s), runs interleaved;
//   - peak RSS (VmHWM) of the plugin process through a create/remove cycle over the plugin protocol (ours against the
//     mock API; the Go plugin's Create/Remove do no work, so its figure is the floor of a Go plugin process);
//   - size of the executable and of its tar.gz (both written by scripts/lib/tar.mjs, so compressed alike).
//
//   npx tsx scripts/bench/release.ts [--runs 21] [--cycles 3] [--binary <docker-machine-driver-hetzner>]
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { FlagValue } from '../../driver/src/driver/interface';
import { PluginClient } from '../../driver/src/plugin/client';
import { startMock } from '../../hcloud-mock/src/index';
import { singleFileTarGz } from '../lib/tar.mjs';

const root = join(import.meta.dirname, '..', '..');
const work = join(root, '.tmp', 'bench-release');
const TOKEN = 'bench-token-0123456789';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

function positiveInt(name: string, fallback: number): number {
  const value = Number(arg(name, String(fallback)));
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a positive integer`);
  return value;
}

const runs = positiveInt('runs', 21);
const cycles = positiveInt('cycles', 3);

function sh(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): void {
  const r = spawnSync(cmd, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.status}):\n${r.stdout}${r.stderr}`);
}

interface Subject {
  name: string;
  binary: string;
  archiveBytes: number;
  /** One create/remove cycle on a connected plugin. */
  cycle(client: PluginClient, i: number): Promise<void>;
  env: NodeJS.ProcessEnv;
}

function ourBinary(): string {
  const given = process.argv.includes('--binary') ? arg('binary', '') : '';
  if (given) return given;
  console.log('building docker-machine-driver-hetzner (scripts/build.mjs --driver-only --no-archive)…');
  sh(process.execPath, [join(root, 'scripts', 'build.mjs'), '--driver-only', '--no-archive', '--out-dir', work]);
  return join(work, 'docker-machine-driver-hetzner');
}

function goPlugin(): string {
  console.log('building the Go plugin (driver/test/interop/goplugin, -trimpath -ldflags "-s -w")…');
  const out = join(work, 'docker-machine-driver-goplugin');
  sh('go', ['build', '-trimpath', '-ldflags=-s -w', '-o', out, join(root, 'driver/test/interop/goplugin/main.go')], {
    ...process.env,
    GOFLAGS: '',
    GO111MODULE: 'on',
    GOCACHE: process.env.GOCACHE ?? join(tmpdir(), 'hetzner-rancher-gocache'),
  });
  return out;
}

function archiveSize(binary: string, name: string): number {
  return singleFileTarGz(name, readFileSync(binary), 0).length;
}

/** Milliseconds from spawn() to the first newline on stdout; the process is killed afterwards. */
function timeToAddress(binary: string, env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(binary, ['rancher-machine', 'create'], {
      env: { ...env, MACHINE_PLUGIN_TOKEN: '42' },
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    let out = '';
    let elapsed: number | null = null;
    child.stdout.on('data', (chunk: Buffer) => {
      if (elapsed !== null) return;
      out += chunk.toString();
      if (!out.includes('\n')) return;
      elapsed = performance.now() - started;
      if (!/^127\.0\.0\.1:\d+\n/.test(out)) reject(new Error(`${binary}: first line is not an address: ${out}`));
      child.kill('SIGKILL');
    });
    child.on('error', reject);
    child.on('exit', () => {
      if (elapsed === null) reject(new Error(`${binary} exited before printing its address`));
      else resolve(elapsed);
    });
  });
}

function peakRssBytes(pid: number): number {
  const m = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmHWM for pid ${pid}`);
  return Number(m[1]) * 1024;
}

async function peakRssOfCycle(s: Subject, i: number): Promise<number> {
  const client = await PluginClient.spawn({
    command: s.binary,
    args: ['rancher-machine', 'create'],
    env: s.env,
    heartbeatIntervalMs: 2_000,
    addressTimeoutMs: 30_000,
  });
  try {
    await s.cycle(client, i);
    const pid = client.process?.pid;
    if (pid === undefined) throw new Error('no pid');
    return peakRssBytes(pid);
  } finally {
    await client.close().catch(() => client.killProcess());
  }
}

function quantile(sorted: number[], q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
const ms = (x: number) => `${x.toFixed(1)} ms`;

async function main(): Promise<void> {
  if (process.platform !== 'linux') throw new Error('the release benchmark reads /proc and needs Linux');
  mkdirSync(work, { recursive: true });
  const mock = await startMock({
    defaultActionMs: 20,
    labelSelectorPropagationMs: 10,
    rateLimit: false,
    tokens: [TOKEN],
  });
  const store = mkdtempSync(join(tmpdir(), 'bench-release-'));
  try {
    const ours: Subject = {
      name: 'docker-machine-driver-hetzner',
      binary: ourBinary(),
      archiveBytes: 0,
      env: {
        PATH: process.env.PATH,
        HOME: store,
        HETZNER_API_TOKEN: TOKEN,
        HETZNER_API_ENDPOINT: mock.url,
        HETZNER_DRIVER_POLL_MS: '10',
      },
      async cycle(client, i) {
        const name = `bench-${i}`;
        await client.setConfigRaw({ MachineName: name, StorePath: store, SSHPort: 0, SSHUser: '', SSHKeyPath: '' });
        const opts = new Map<string, FlagValue>();
        for (const f of await client.getCreateFlags()) opts.set(f.name, f.kind === 'bool' ? false : f.value);
        opts.set('hetzner-api-token', TOKEN);
        await client.setConfigFromFlags(opts);
        await client.preCreateCheck();
        await client.create();
        await client.getState();
        await client.remove();
        if ([...mock.state.servers.values()].some((srv) => srv.name === name)) throw new Error(`${name} not removed`);
      },
    };
    const go: Subject = {
      name: 'Go plugin (goplugin)',
      binary: goPlugin(),
      archiveBytes: 0,
      env: { PATH: process.env.PATH, HOME: store },
      async cycle(client, i) {
        await client.setConfigRaw({ MachineName: `bench-${i}`, StorePath: store });
        const opts = new Map<string, FlagValue>();
        for (const f of await client.getCreateFlags()) opts.set(f.name, f.kind === 'bool' ? false : f.value);
        await client.setConfigFromFlags(opts);
        await client.preCreateCheck();
        await client.create();
        await client.getState();
        await client.remove();
      },
    };
    ours.archiveBytes = archiveSize(ours.binary, 'docker-machine-driver-hetzner');
    go.archiveBytes = archiveSize(go.binary, 'docker-machine-driver-goplugin');

    console.log(`exec → address: ${runs} runs each, interleaved…`);
    const startup = new Map<Subject, number[]>([
      [ours, []],
      [go, []],
    ]);
    // One untimed start each warms the page cache, as Rancher's second and later starts are.
    for (const s of [ours, go]) await timeToAddress(s.binary, s.env);
    for (let i = 0; i < runs; i++) {
      for (const s of i % 2 === 0 ? [ours, go] : [go, ours]) startup.get(s)!.push(await timeToAddress(s.binary, s.env));
    }
    console.log(`peak RSS: ${cycles} create/remove cycles each…`);
    const rss = new Map<Subject, number[]>([
      [ours, []],
      [go, []],
    ]);
    for (let i = 0; i < cycles; i++) for (const s of [ours, go]) rss.get(s)!.push(await peakRssOfCycle(s, i));

    const row = (label: string, a: string, b: string, ratio: number) =>
      `${label.padEnd(34)} ${a.padStart(12)} ${b.padStart(12)} ${`${ratio.toFixed(1)}×`.padStart(8)}`;
    const stat = (s: Subject, q: number) =>
      quantile(
        [...startup.get(s)!].sort((x, y) => x - y),
        q,
      );
    const rssMedian = (s: Subject) =>
      quantile(
        [...rss.get(s)!].sort((x, y) => x - y),
        0.5,
      );
    console.log('');
    console.log(`${''.padEnd(34)} ${'ours'.padStart(12)} ${'Go'.padStart(12)} ${'ours/Go'.padStart(8)}`);
    console.log(row('exec → address, median', ms(stat(ours, 0.5)), ms(stat(go, 0.5)), stat(ours, 0.5) / stat(go, 0.5)));
    console.log(row('exec → address, p90', ms(stat(ours, 0.9)), ms(stat(go, 0.9)), stat(ours, 0.9) / stat(go, 0.9)));
    console.log(
      row(
        'peak RSS, create/remove (median)',
        mib(rssMedian(ours)),
        mib(rssMedian(go)),
        rssMedian(ours) / rssMedian(go),
      ),
    );
    console.log(
      row('archive (.tar.gz)', mib(ours.archiveBytes), mib(go.archiveBytes), ours.archiveBytes / go.archiveBytes),
    );
    const size = (s: Subject) => statSync(s.binary).size;
    console.log(row('executable', mib(size(ours)), mib(size(go)), size(ours) / size(go)));
    console.log(`\n(${runs} starts and ${cycles} cycles each; ours: ${ours.binary})`);
  } finally {
    await mock.stop();
    rmSync(store, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
