// Our plugin driven the way Rancher really drives it: machine/main.go (Go standard library only) replays Rancher's
// flag introspection and rancher-machine's create / status / rm call sequences, values and store handling
// (reference: rancher-machine-protocol.md §4, §6, §8, §9.2, §9.5) against our plugin process (or the built binary
// when HETZNER_DRIVER_BINARY is set) and the mock API. Without a Go toolchain the suite is skipped with a message.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { MockServer } from 'hcloud-mock';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { fastMock, resourcesOf, TOKEN } from '../driver/helpers';
import { type ChildOutput, outputOf } from '../fixtures/child-output';
import { goBuild } from '../fixtures/go-build';
import { pluginCommand, REPO_ROOT } from '../fixtures/plugin-command';
import { until } from '../fixtures/until';
import {
  configDefaults,
  endpointField,
  entrypointArgs,
  FILE_TO_FIELD_ALIASES,
  type FieldValue,
  flagToField,
  machineProvisionJob,
  nodeDriverAnnotations,
} from './job-args';

const haveGo = spawnSync('go', ['version'], { encoding: 'utf8' }).status === 0;
if (!haveGo) {
  console.warn('rancher-flow tests skipped: no `go` on PATH (install Go ≥ 1.19, e.g. apt-get install golang-go)');
}

interface MachineResult {
  command: string;
  ok: boolean;
  error?: string;
  calls: string[];
  heartbeats: number;
  exitCodes: Record<string, number>;
  userDataFile?: string;
  values?: Record<string, string>;
  fields?: { flag: string; field: string; type: string; default: string; back: string; envVar: string }[];
  exitAfterMs?: number;
  state?: string;
  info: Record<string, string>;
}

interface Run extends ChildOutput {
  result: MachineResult;
}

let workDir = '';
let machineBin = '';
let store = '';
let mock: MockServer;

/** Starts the rancher-machine stand-in; the plugin it starts inherits `env`, as under rancher-machine. */
function startMachine(args: string[], env: Record<string, string> = {}): { child: ChildProcess; done: Promise<Run> } {
  const plugin = pluginCommand();
  const argv = [
    '--plugin-json',
    JSON.stringify([plugin.command, ...plugin.args]),
    '--storage-path',
    store,
    // rancher-machine polls GetState every 3 s; Create already waits for Running, so this only bounds a failure.
    '--state-interval',
    '200ms',
    ...args,
  ];
  const child = spawn(machineBin, argv, {
    cwd: '/',
    // Both come from the cloud credential in Rancher's job; rancher-machine fills their flags from them.
    env: {
      ...process.env,
      HETZNER_DRIVER_POLL_MS: '20',
      HETZNER_API_TOKEN: TOKEN,
      HETZNER_API_ENDPOINT: mock.url,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const done = outputOf(child).then(({ code, stdout, stderr }): Run => {
    const line = stdout.split('\n').find((l) => l.startsWith('RESULT '));
    if (!line) throw new Error(`machine ${args[0]} printed no RESULT (exit ${code}):\n${stdout}\n${stderr}`);
    return { code, stdout, stderr, result: JSON.parse(line.slice('RESULT '.length)) as MachineResult };
  });
  return { child, done };
}

function machine(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return startMachine(args, env).done;
}

/** Whether any user may run or read `path` (every directory above it searchable), so that `nobody` can start it. */
function worldUsable(path: string, exec: boolean): boolean {
  const need = exec ? 0o005 : 0o004;
  try {
    if ((statSync(path).mode & need) !== need) return false;
    for (let dir = dirname(path); dir !== dirname(dir); dir = dirname(dir)) {
      if ((statSync(dir).mode & 0o001) === 0) return false;
    }
    return true;
  } catch {
    return false;
  }
}

function explain(r: Run): string {
  return `exit ${r.code}: ${r.result.error ?? ''}\n--- stdout ---\n${r.stdout}\n--- stderr ---\n${r.stderr}`;
}

function hostConfig(name: string): { Driver: Record<string, unknown>; DriverName: string } {
  return JSON.parse(readFileSync(join(store, 'machines', name, 'config.json'), 'utf8'));
}

const loaderCalls = ['GetVersion', 'SetConfigRaw', 'GetMachineName', 'GetCreateFlags', 'DriverName', 'Close'].map(
  (m) => `loader:${m}`,
);
const createCalls = [
  'GetVersion',
  'SetConfigRaw',
  'GetMachineName',
  'DriverName',
  'GetCreateFlags',
  'GetCreateFlags',
  'GetCreateFlags',
  'SetConfigFromFlags',
  'PreCreateCheck',
  'GetConfigRaw',
  'Create',
].map((m) => `main:${m}`);

/**
 * The create arguments of Rancher's v2 provisioning job (§9.5) as the stand-in receives them: every field of the
 * machine config (the schema defaults, then the user's values, keyed here by flag) rendered by Rancher's args.go
 * with our NodeDriver's annotations, then split by the job's entrypoint.
 */
function jobCreateArgs(name: string, script: string, values: Record<string, FieldValue> = {}): string[] {
  const config = configDefaults();
  for (const [flag, v] of Object.entries(values)) config[flagToField('hetzner', flag)] = v;
  const job = machineProvisionJob({
    machineName: name,
    config,
    annotations: nodeDriverAnnotations(),
    create: true,
    installScript: script,
    downloadUrl: 'http://127.0.0.1:1/docker-machine-driver-hetzner.tar.gz',
    hash: '',
  });
  if (Object.keys(job.files).length > 0)
    throw new Error('a field turned into a file: use machineProvisionJob directly');
  return entrypointArgs(job.args);
}

function createArgs(name: string, script: string, values: Record<string, FieldValue> = {}): string[] {
  return jobCreateArgs(name, script, {
    'hetzner-server-labels': ['team=ci', 'tier=worker'],
    ...values,
  });
}

// Each plugin start compiles the driver with tsx; on a loaded machine that takes seconds.
const TIMEOUT = 90_000;

describe.skipIf(!haveGo)('Rancher and rancher-machine driving our plugin (Go stand-in)', () => {
  beforeAll(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'rancher-flow-'));
    store = join(workDir, 'store');
    machineBin = join(workDir, 'machine');
    goBuild('machine', join(REPO_ROOT, 'driver', 'test', 'rancher', 'machine', 'main.go'), machineBin);
    mock = await fastMock({ tokens: [TOKEN] });
  }, 180_000);
  afterAll(async () => {
    await mock?.stop();
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  it.concurrent(
    'flag introspection: one GetCreateFlags, every flag survives Rancher’s schema round trip, the plugin exits alone',
    async ({ expect }) => {
      // Rancher's server runs the plugin as an unprivileged user (MACHINE_PLUGIN_UID/GID) whose HOME may not exist.
      const plugin = pluginCommand();
      const asNobody: Record<string, string> =
        process.getuid?.() === 0 &&
        worldUsable(plugin.command, true) &&
        plugin.args.filter((a) => a.startsWith('/')).every((a) => worldUsable(a, false))
          ? { MACHINE_PLUGIN_UID: '65534', MACHINE_PLUGIN_GID: '65534' }
          : {};
      const r = await machine(['introspect'], { ...asNobody, HOME: '/nonexistent', HETZNER_API_TOKEN: '' });
      expect(r.code, explain(r)).toBe(0);
      expect(r.result.calls).toEqual(['introspect:GetCreateFlags']);
      if (asNobody.MACHINE_PLUGIN_UID) expect(r.stdout).not.toContain('EACCES');
      expect(r.result.heartbeats).toBe(0);
      // Go's plugin library exits 1 when its heartbeat watchdog fires.
      expect(r.result.exitCodes.introspect).toBe(1);
      expect(r.result.exitAfterMs).toBeGreaterThanOrEqual(9_500);
      expect(r.result.exitAfterMs).toBeLessThanOrEqual(12_000);
      const fields = new Map(r.result.fields?.map((f) => [f.field, f]));
      expect(fields.get('apiToken')).toMatchObject({ type: 'string', envVar: 'HETZNER_API_TOKEN' });
      expect(fields.get('sshPort')).toMatchObject({ type: 'string', default: '22', back: 'hetzner-ssh-port' });
      expect(fields.get('disablePublicIpv4')).toMatchObject({ type: 'boolean' });
      expect(fields.get('serverLabels')).toMatchObject({ type: 'array[string]' });
      expect(fields.get('userData')?.flag).toBe('hetzner-user-data');
    },
    TIMEOUT,
  );

  it.concurrent(
    'create with the bootstrap cloud-config file, status, rm with the credential from the environment, rm again',
    async ({ expect }) => {
      // A machine name as Rancher makes them: <cluster>-<pool>-<machineset hash>-<random>.
      const name = 'c-rf-pool1-6b8f9d7c5-x2x7k';
      const script = join(workDir, 'install-1.sh');
      writeFileSync(script, '#!/bin/sh\necho "joining cluster c-rf with secret-token-abc"\n');
      const extra = '#cloud-config\npackages:\n  - htop\n';
      const created = await machine(
        createArgs(name, script, { 'hetzner-cluster-id': 'c-rf', 'hetzner-additional-user-data': extra }),
      );
      expect(created.code, explain(created)).toBe(0);
      const r = created.result;
      expect(r.calls).toEqual(
        [
          ...loaderCalls,
          ...createCalls,
          ...['GetConfigRaw', 'DriverName', 'GetState'],
          ...['GetIP', 'GetSSHHostname', 'GetSSHPort', 'GetSSHUsername', 'GetSSHKeyPath', 'GetURL', 'Close'],
        ].map((c) => (c.includes(':') ? c : `main:${c}`)),
      );
      expect(r.exitCodes).toEqual({ loader: 0, main: 0 });
      expect(r.state).toBe('Running');
      // SetConfigFromFlags carried the Go types rancher-machine sends, own flags included.
      expect(r.values).toMatchObject({
        'hetzner-api-token': 'string',
        'hetzner-ssh-port': 'int',
        'hetzner-use-private-network': 'bool',
        'hetzner-networks': '[]string',
        'hetzner-server-labels': '[]string',
        driver: 'string',
        'engine-install-url': 'string',
        'swarm-master': 'bool',
        'custom-install-script': 'string',
        'hostname-override': 'string',
      });

      // The user data the server got is the CONTENT of rancher-machine's temp file, not its path.
      expect(r.info.userDataFlag).toBe('hetzner-user-data');
      const file = r.userDataFile ?? '';
      expect(file).toMatch(/modified-user-data\d+$/);
      const userData = readFileSync(file, 'utf8');
      const { servers, keys } = resourcesOf(mock, name);
      expect(servers).toHaveLength(1);
      const server = servers[0];
      // Merged with the extra cloud-config as a MIME multi-part message, Rancher's part verbatim.
      expect(server?.userData).toMatch(/^Content-Type: multipart\/mixed; boundary=/);
      expect(server?.userData).toContain(`\n\n${userData.trimEnd()}\n--`);
      expect(server?.userData).toContain(`\n\n${extra.trimEnd()}\n--`);
      const content = /content: (\S+)/.exec(userData)?.[1] ?? '';
      expect(gunzipSync(Buffer.from(content, 'base64')).toString()).toBe(
        'echo "joining cluster c-rf with secret-token-abc"\n',
      );
      expect(userData).toContain(`hostname: ${name}\n`);
      expect(server?.labels).toMatchObject({
        'managed-by': 'rancher-machine',
        machine: name,
        cluster: 'c-rf',
        team: 'ci',
        tier: 'worker',
      });
      // The machine's key was deleted once the server had it (Hetzner copies keys only at creation); Remove then
      // spends no request on it.
      expect(keys).toEqual([]);

      // What rancher-machine reports and saves.
      expect(r.info.GetSSHKeyPath).toBe(join(store, 'machines', name, 'id_rsa'));
      expect(statSync(r.info.GetSSHKeyPath ?? '').mode & 0o777).toBe(0o600);
      const ip = server?.ipv4 ? mock.state.primaryIps.get(server.ipv4)?.ip : undefined;
      expect(ip).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
      expect(r.info.GetIP).toBe(ip);
      expect(r.info.GetSSHHostname).toBe(ip);
      expect(r.info.GetSSHPort).toBe('22');
      expect(r.info.GetSSHUsername).toBe('root');
      expect(r.info.GetURL).toBe(`tcp://${ip}:2376`);
      const saved = hostConfig(name);
      expect(saved.DriverName).toBe('hetzner');
      expect(saved.Driver).toMatchObject({
        MachineName: name,
        ServerID: server?.id,
        StorePath: store,
        KeyDeleted: true,
      });
      const savedText = readFileSync(join(store, 'machines', name, 'config.json'), 'utf8');
      expect(savedText).not.toContain('secret-token-abc');
      expect(savedText).not.toContain(content);
      expect(`${created.stdout}${created.stderr}`).not.toContain(TOKEN);
      expect(`${created.stdout}${created.stderr}`).not.toContain('secret-token-abc');

      const status = await machine(['status', name]);
      expect(status.code, explain(status)).toBe(0);
      expect(status.result.state).toBe('Running');
      expect(status.result.calls).toEqual(
        ['GetVersion', 'SetConfigRaw', 'GetMachineName', 'GetState', 'Close'].map((m) => `status:${m}`),
      );

      // The delete job: the credential comes only from the environment (the stored one has been rotated away).
      const stored = hostConfig(name);
      stored.Driver.AccessToken = 'revoked-token';
      const storedText = JSON.stringify(stored);
      writeFileSync(join(store, 'machines', name, 'config.json'), storedText);
      const rm = await machine(['rm', '-y', '--update-config', name]);
      expect(rm.code, explain(rm)).toBe(0);
      expect(rm.result.calls).toEqual([
        ...loaderCalls,
        ...['GetVersion', 'SetConfigRaw', 'GetMachineName', 'Remove', 'Close'].map((m) => `rm:${m}`),
      ]);
      expect(resourcesOf(mock, name)).toEqual({ servers: [], keys: [] });
      expect(existsSync(join(store, 'machines', name))).toBe(false);

      // A retried delete job whose state secret still holds the machine: still a success.
      mkdirSync(join(store, 'machines', name), { recursive: true });
      writeFileSync(join(store, 'machines', name, 'config.json'), storedText);
      const again = await machine(['rm', '-y', name]);
      expect(again.code, explain(again)).toBe(0);
      expect(resourcesOf(mock, name)).toEqual({ servers: [], keys: [] });
    },
    TIMEOUT,
  );

  it.concurrent(
    'private network: the stored config carries PrivateIPAddress for Rancher’s planner; `ip` and `status` read it back; an older config without it still works',
    async ({ expect }) => {
      const script = join(workDir, 'install-net.sh');
      writeFileSync(script, '#!/bin/sh\necho net\n');
      const networkId = [...mock.state.networks.values()].find((n) => n.name === 'private')?.id;
      const machines: { name: string; values: Record<string, FieldValue>; connect: 'public' | 'private' }[] = [
        // Rancher outside the network: it connects to the public IPv4, cluster traffic uses the private IP.
        { name: 'rf-net-public', values: { 'hetzner-networks': ['private'] }, connect: 'public' },
        // Rancher inside the network: both addresses are the private IP.
        {
          name: 'rf-net-private',
          values: { 'hetzner-networks': ['private'], 'hetzner-use-private-network': true },
          connect: 'private',
        },
      ];
      for (const m of machines) {
        const created = await machine(createArgs(m.name, script, m.values));
        expect(created.code, explain(created)).toBe(0);
        const server = resourcesOf(mock, m.name).servers[0];
        const privateIp = server?.privateNet.find((p) => p.network === networkId)?.ip;
        const publicIp = server?.ipv4 ? mock.state.primaryIps.get(server.ipv4)?.ip : undefined;
        expect(privateIp).toMatch(/^10\.0\.1\.\d+$/);
        expect(publicIp).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
        const connect = m.connect === 'public' ? publicIp : privateIp;
        // config.json as rancher-machine saved it: what Rancher's planner reads (Driver.IPAddress, .PrivateIPAddress).
        const saved = hostConfig(m.name);
        expect(saved.Driver).toMatchObject({ IPAddress: connect, PrivateIPAddress: privateIp });
        expect(created.result.info.GetIP).toBe(connect);
        expect(created.result.info.GetSSHHostname).toBe(connect);

        const ip = await machine(['ip', m.name]);
        expect(ip.code, explain(ip)).toBe(0);
        expect(ip.result.calls).toEqual(
          ['GetVersion', 'SetConfigRaw', 'GetMachineName', 'GetIP', 'Close'].map((c) => `ip:${c}`),
        );
        expect(ip.result.info.ip).toBe(connect);
        expect(ip.stdout.split('\n')).toContain(connect);
        const status = await machine(['status', m.name]);
        expect(status.code, explain(status)).toBe(0);
        expect(status.result.state).toBe('Running');
      }

      // A machine saved by the previous release (no PrivateIPAddress key): `ip` answers, `rm` removes it.
      const path = join(store, 'machines', 'rf-net-private', 'config.json');
      const old = hostConfig('rf-net-private');
      delete old.Driver.PrivateIPAddress;
      writeFileSync(path, JSON.stringify(old));
      const ip = await machine(['ip', 'rf-net-private']);
      expect(ip.code, explain(ip)).toBe(0);
      expect(ip.result.info.ip).toBe(old.Driver.IPAddress);
      for (const m of machines) {
        const rm = await machine(['rm', '-y', m.name]);
        expect(rm.code, explain(rm)).toBe(0);
        expect(resourcesOf(mock, m.name)).toEqual({ servers: [], keys: [] });
      }
    },
    TIMEOUT,
  );

  it.concurrent(
    'userData set through the API: the NodeDriver makes it a file, rancher-machine merges its install script, the driver sends the result',
    async ({ expect }) => {
      const name = 'c-ud-pool1-7c9d8f6b4-q4w5e';
      const annotations = nodeDriverAnnotations();
      expect(annotations[FILE_TO_FIELD_ALIASES]).toBe('userData:userData');
      const script = join(workDir, 'install-ud.sh');
      writeFileSync(script, '#!/bin/sh\necho "joining cluster c-ud with secret-token-ud"\n');
      // What a user puts into the machine config's userData with kubectl or Terraform (no trailing newline).
      const userData =
        '#cloud-config\n# site defaults\npackages:\n  - htop\nruncmd:\n  - echo "first step=1"\n' +
        'write_files:\n  - path: /etc/motd\n    content: |\n      hello\n\n      world';
      const filesDir = join(workDir, 'files-ud');
      const job = machineProvisionJob({
        machineName: name,
        config: { ...configDefaults(), ...endpointField(mock.url), userData, clusterId: 'c-ud' },
        annotations,
        create: true,
        installScript: script,
        filesDir,
        downloadUrl: 'http://127.0.0.1:1/docker-machine-driver-hetzner.tar.gz',
        hash: '',
      });
      // Rancher's files secret, mounted into the job.
      expect(job.files).toEqual({ userData: `${userData}\n` });
      mkdirSync(filesDir, { recursive: true });
      for (const [file, content] of Object.entries(job.files)) writeFileSync(join(filesDir, file), content);
      const args = entrypointArgs(job.args);
      expect(args).toContain('--hetzner-user-data');
      expect(args[args.indexOf('--hetzner-user-data') + 1]).toBe(join(filesDir, 'userData'));
      expect(args.join(' ')).not.toContain('htop');

      const created = await machine(args, { HETZNER_API_ENDPOINT: mock.url });
      expect(created.code, explain(created)).toBe(0);
      expect(created.result.info.userDataFlag).toBe('hetzner-user-data');
      const merged = readFileSync(created.result.userDataFile ?? '', 'utf8');
      // The user's keys and list items first, then what rancher-machine added; the hostname it set.
      expect(merged).toBe(
        [
          '#cloud-config',
          `hostname: ${name}`,
          'packages:',
          '  - htop',
          'runcmd:',
          '  - echo "first step=1"',
          '  - sh /usr/local/custom_script/install.sh',
          'write_files:',
          '  - path: /etc/motd',
          '    content: |',
          '      hello',
          '',
          '      world',
          `  - content: ${/content: (\S{20,})/.exec(merged)?.[1]}`,
          '    encoding: gzip+b64',
          '    path: /usr/local/custom_script/install.sh',
          '    permissions: "0644"',
          '',
        ].join('\n'),
      );
      const content = /content: (\S{20,})/.exec(merged)?.[1] ?? '';
      expect(gunzipSync(Buffer.from(content, 'base64')).toString()).toBe(
        'echo "joining cluster c-ud with secret-token-ud"\n',
      );
      // The driver read that file and sent it as it is (no additional user data, so no MIME wrapping).
      const { servers } = resourcesOf(mock, name);
      expect(servers).toHaveLength(1);
      expect(servers[0]?.userData).toBe(merged);
      expect(`${created.stdout}${created.stderr}`).not.toContain('secret-token-ud');

      const rm = await machine(['rm', '-y', '--update-config', name], { HETZNER_API_ENDPOINT: mock.url });
      expect(rm.code, explain(rm)).toBe(0);
      expect(resourcesOf(mock, name)).toEqual({ servers: [], keys: [] });
    },
    TIMEOUT,
  );

  it.concurrent(
    'a failing Create leaves nothing behind, and rm from the config saved before Create succeeds',
    async ({ expect }) => {
      const name = 'rf-node-fail';
      mock.faults.add({
        match: { method: 'POST', path: '/servers', body: (b) => (b as { name?: string }).name === name },
        effect: { actionFail: { code: 'action_failed', message: 'boom' }, command: 'create_server' },
      });
      const script = join(workDir, 'install-fail.sh');
      writeFileSync(script, '#!/bin/sh\necho fail\n');
      const created = await machine(createArgs(name, script));
      expect(created.code, explain(created)).toBe(1);
      expect(created.result.error).toMatch(
        /^Error creating machine: Error in driver during machine creation: .*action_failed/,
      );
      expect(created.result.calls).toEqual([...loaderCalls, ...createCalls, 'main:Close']);
      expect(resourcesOf(mock, name)).toEqual({ servers: [], keys: [] });
      // rancher-machine saved only what GetConfigRaw said after PreCreateCheck: no server ID.
      const saved = hostConfig(name);
      expect(saved.Driver.ServerID).toBe(0);

      const rm = await machine(['rm', '-y', name]);
      expect(rm.code, explain(rm)).toBe(0);
      expect(resourcesOf(mock, name)).toEqual({ servers: [], keys: [] });

      // A bad flag fails the pre-create check: exit code 3, the flag named, nothing made and nothing saved.
      const bad = await machine(createArgs('rf-node-bad', script, { 'hetzner-server-type': 'cx999' }));
      expect(bad.code, explain(bad)).toBe(3);
      expect(bad.result.error).toMatch(/^Error with pre-create check: .*hetzner-server-type/);
      expect(bad.result.calls.at(-2)).toBe('main:PreCreateCheck');
      expect(resourcesOf(mock, 'rf-node-bad')).toEqual({ servers: [], keys: [] });
      expect(existsSync(join(store, 'machines', 'rf-node-bad'))).toBe(false);
    },
    TIMEOUT,
  );

  it.concurrent(
    'a create job killed mid-Create leaves a labelled server that rm from the pre-Create config removes',
    async ({ expect }) => {
      const name = 'rf-node-killed';
      mock.faults.add({
        match: { method: 'POST', path: '/servers', body: (b) => (b as { name?: string }).name === name },
        effect: { actionDurationMs: 2_500, command: 'create_server' },
      });
      const script = join(workDir, 'install-killed.sh');
      writeFileSync(script, '#!/bin/sh\necho killed\n');
      const job = startMachine(createArgs(name, script));
      await until('the server to exist', () => resourcesOf(mock, name).servers.length === 1, 60_000);
      job.child.kill('SIGUSR1');
      const killed = await job.done;
      expect(killed.code, explain(killed)).toBe(137);
      expect(killed.result.calls.at(-1)).toBe('main:Create');
      expect(resourcesOf(mock, name).servers).toHaveLength(1);
      expect(hostConfig(name).Driver.ServerID).toBe(0);

      // The delete Job is retried (BackoffLimit 3) while the server is still locked by its create action.
      let rm = await machine(['rm', '-y', name]);
      for (let attempt = 1; attempt <= 3 && rm.code !== 0; attempt++) rm = await machine(['rm', '-y', name]);
      expect(rm.code, explain(rm)).toBe(0);
      expect(resourcesOf(mock, name)).toEqual({ servers: [], keys: [] });
    },
    TIMEOUT,
  );

  // Rancher passes its HTTP_PROXY/HTTPS_PROXY/NO_PROXY to the provisioning job; behind a proxy the API is reachable
  // only through it. The shipped binary's runtime (Bun) honours these variables in fetch; Node 20 does not, so this
  // runs only against the built binary.
  (process.env.HETZNER_DRIVER_BINARY ? it.concurrent : it.concurrent.skip)(
    'behind an HTTP proxy given by the job environment, create and rm reach the API through it',
    async ({ expect }) => {
      const seen: string[] = [];
      const target = new URL(mock.url);
      const proxy = createServer((req, res) => {
        seen.push(`${req.method} ${req.url}`);
        const url = new URL(req.url ?? '/');
        const upstream = httpRequest(
          {
            host: target.hostname,
            port: target.port,
            method: req.method,
            path: url.pathname + url.search,
            headers: req.headers,
          },
          (up) => {
            res.writeHead(up.statusCode ?? 502, up.headers);
            up.pipe(res);
          },
        );
        upstream.on('error', () => res.destroy());
        req.pipe(upstream);
      });
      await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
      const port = (proxy.address() as AddressInfo).port;
      const env = {
        HTTP_PROXY: `http://127.0.0.1:${port}`,
        http_proxy: `http://127.0.0.1:${port}`,
        NO_PROXY: '',
        no_proxy: '',
        // A loopback name (RFC 6761) that resolves nowhere here: only the proxy can reach it.
        HETZNER_API_ENDPOINT: 'http://hcloud-api.localhost/v1',
      };
      try {
        const name = 'rf-node-proxied';
        const script = join(workDir, 'install-proxied.sh');
        writeFileSync(script, '#!/bin/sh\necho proxied\n');
        const created = await machine(createArgs(name, script), env);
        expect(created.code, explain(created)).toBe(0);
        expect(resourcesOf(mock, name).servers).toHaveLength(1);
        expect(seen.some((l) => l.startsWith('POST http://hcloud-api.localhost/v1/servers'))).toBe(true);
        const rm = await machine(['rm', '-y', name], env);
        expect(rm.code, explain(rm)).toBe(0);
        expect(resourcesOf(mock, name)).toEqual({ servers: [], keys: [] });
      } finally {
        proxy.close();
        proxy.closeAllConnections();
      }
    },
    TIMEOUT,
  );

  it.concurrent(
    'heartbeats keep the plugin alive through a Create longer than its 10 s watchdog',
    async ({ expect }) => {
      const name = 'rf-node-slow';
      mock.faults.add({
        match: { method: 'POST', path: '/servers', body: (b) => (b as { name?: string }).name === name },
        effect: { actionDurationMs: 11_000, command: 'create_server' },
      });
      const script = join(workDir, 'install-slow.sh');
      writeFileSync(script, '#!/bin/sh\necho slow\n');
      const created = await machine(createArgs(name, script));
      expect(created.code, explain(created)).toBe(0);
      expect(created.result.heartbeats).toBeGreaterThanOrEqual(2);
      expect(created.result.state).toBe('Running');
      const rm = await machine(['rm', '-y', name]);
      expect(rm.code, explain(rm)).toBe(0);
      expect(resourcesOf(mock, name)).toEqual({ servers: [], keys: [] });
    },
    TIMEOUT,
  );
});
