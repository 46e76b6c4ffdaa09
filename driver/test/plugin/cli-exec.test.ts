// The executable's command line as a person meets it: help, version, exit codes and gc, run as a real process (the
// TypeScript entry, or the compiled binary in the black-box pass) against the mock API.
import { spawn } from 'node:child_process';
import { type MockServer, startMock } from 'hcloud-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pluginCommand } from '../fixtures/plugin-command';

const TOKEN = 'cli-exec-token-0123456789';
let mock: MockServer;

beforeAll(async () => {
  mock = await startMock({ defaultActionMs: 5, rateLimit: false, seedData: false, tokens: [TOKEN] });
});
afterAll(async () => {
  await mock?.stop();
});

interface Run {
  code: number | null;
  out: string;
  err: string;
}

function run(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  const { command, args: base } = pluginCommand();
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
  delete childEnv.MACHINE_PLUGIN_TOKEN;
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...base, ...args], { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      err += c.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out, err }));
  });
}

const TIMEOUT = 120_000;

describe('the executable outside plugin mode', () => {
  it(
    'prints usage for --help, -h and help, and the version for version and --version, exit 0',
    async () => {
      const [long, short, word, version, dashVersion, gcHelp] = await Promise.all([
        run(['--help']),
        run(['-h']),
        run(['help']),
        run(['version']),
        run(['--version']),
        run(['gc', '--help']),
      ]);
      for (const r of [long, short, word]) {
        expect(r.code).toBe(0);
        expect(r.out).toMatch(/^docker-machine-driver-hetzner .*\n\nUsage: docker-machine-driver-hetzner COMMAND/);
        expect(r.out).toMatch(/Commands:\n {2}version/);
        expect(r.out).toMatch(/HETZNER_API_TOKEN/);
        expect(r.out).toMatch(/Exit codes: 0 success, 1 the command failed, 2 bad arguments/);
        expect(r.err).toBe('');
      }
      expect(short.out).toBe(long.out);
      for (const r of [version, dashVersion]) {
        expect(r.code).toBe(0);
        expect(r.out).toMatch(/^docker-machine-driver-hetzner \S+ \(\S+\)\n$/);
      }
      expect(gcHelp.code).toBe(0);
      expect(gcHelp.out).toMatch(/^Usage: docker-machine-driver-hetzner gc --cluster-id ID \[--yes\]/);
    },
    TIMEOUT,
  );

  it(
    'exits 2 on bad arguments, 1 with the plugin notice when given nothing',
    async () => {
      const [unknown, gcBad, gcMissing, grpcBad, none] = await Promise.all([
        run(['frobnicate']),
        run(['gc', '--cluster-id', 'c', '--force'], { HETZNER_API_TOKEN: TOKEN }),
        run(['gc'], { HETZNER_API_TOKEN: TOKEN }),
        run(['grpc', '--listen']),
        run([]),
      ]);
      expect(unknown.code).toBe(2);
      expect(unknown.err).toMatch(/unknown command "frobnicate"/);
      expect(gcBad.code).toBe(2);
      expect(gcBad.err).toMatch(/unknown argument "--force"/);
      expect(gcMissing.code).toBe(2);
      expect(gcMissing.err).toMatch(/--cluster-id is required/);
      expect(grpcBad.code).toBe(2);
      expect(none.code).toBe(1);
      expect(none.err).toMatch(/This is a Docker Machine plugin binary/);
    },
    TIMEOUT,
  );

  it(
    'gc: a dry run unless --yes; --hetzner-api-endpoint is taken; nothing labelled is said plainly',
    async () => {
      const labels = { 'managed-by': 'rancher-machine', cluster: 'c-exec', machine: 'gone-1' };
      mock.state.addServer({ name: 'other', labels: {} });
      const key = await fetch(`${mock.url}/ssh_keys`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({
          name: 'gone-1-key',
          public_key: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGZ6p1bX0nq0O1p3a0lQk3a8uH0f2aQF2i9cW0y7Zk8P gone',
          labels,
        }),
      }).then((r) => r.json() as Promise<{ ssh_key: { id: number } }>);
      const id = key.ssh_key.id;
      // The endpoint as a flag, no HETZNER_API_ENDPOINT: the person running gc owns both.
      const env = { HETZNER_API_TOKEN: TOKEN, HETZNER_API_ENDPOINT: '' };
      const args = ['gc', '--cluster-id', 'c-exec', '--min-age', '0', '--hetzner-api-endpoint', mock.url];

      const dry = await run(args, env);
      expect(dry.code, dry.err).toBe(0);
      expect(dry.out).toMatch(/gone-1-key\s+.*would delete$/m);
      expect(dry.out).toMatch(/Run again with --yes/);
      expect(mock.state.sshKeys.has(id)).toBe(true);

      const real = await run([...args, '--yes'], env);
      expect(real.code, real.err).toBe(0);
      expect(real.out).toMatch(/gone-1-key\s+.*deleted$/m);
      expect(mock.state.sshKeys.has(id)).toBe(false);

      const nothing = await run(['gc', '--cluster-id', 'c-none', '--hetzner-api-endpoint', mock.url], env);
      expect(nothing.code).toBe(0);
      expect(nothing.out).toMatch(/nothing in this project carries the driver's labels for this cluster/);

      const plain = await run(['gc', '--cluster-id', 'c-exec', '--hetzner-api-endpoint', 'http://192.0.2.1/v1'], env);
      expect(plain.code).toBe(1);
      expect(plain.err).toMatch(/uses plain http to 192\.0\.2\.1/);
    },
    TIMEOUT,
  );
});
