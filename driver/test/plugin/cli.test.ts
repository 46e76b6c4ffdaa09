// The CLI outside plugin mode: the command table, the notice for no or unknown commands, failures reported.
import { describe, expect, it } from 'vitest';
import { COMMANDS, helpText, runCli } from '../../src/cli';
import type { CliIo } from '../../src/command';
import { PLUGIN_NOTICE } from '../../src/plugin/notice';
import { COMMIT, VERSION } from '../../src/version';

function io(): CliIo & { out: string; err: string } {
  const r = {
    out: '',
    err: '',
    stdout: (s: string) => {
      r.out += s;
    },
    stderr: (s: string) => {
      r.err += s;
    },
  };
  return r;
}

describe('runCli', () => {
  it('prints name, version and commit for --version', async () => {
    const r = io();
    expect(await runCli(['--version'], r)).toBe(0);
    expect(r.out).toBe(`docker-machine-driver-hetzner ${VERSION} (${COMMIT})\n`);
  });

  it('prints the plugin notice and exits 1 with no command, as every docker-machine plugin does', async () => {
    const r = io();
    expect(await runCli([], r)).toBe(1);
    expect(r.err).toBe(PLUGIN_NOTICE);
    expect(r.out).toBe('');
  });

  it('exits 2 with a pointer to help for an unknown command', async () => {
    for (const argv of [['rancher-machine', 'create'], ['--help-me'], ['constructor'], ['__proto__']]) {
      const r = io();
      expect(await runCli(argv, r)).toBe(2);
      expect(r.err).toBe(
        `docker-machine-driver-hetzner: unknown command "${argv[0]}"; run \`docker-machine-driver-hetzner help\` for the commands\n`,
      );
      expect(r.out).toBe('');
    }
  });

  it('prints usage with commands, environment and exit codes for help, -h, --help, and exit 0', async () => {
    for (const argv of [['help'], ['-h'], ['--help'], ['help', '--help']]) {
      const r = io();
      expect(await runCli(argv, r)).toBe(0);
      expect(r.out).toBe(helpText());
      expect(r.err).toBe('');
    }
    expect(helpText()).toMatch(/Commands:/);
    expect(helpText()).toMatch(/HETZNER_API_ENDPOINT/);
    expect(helpText()).toMatch(/Exit codes: 0 success, 1 the command failed, 2 bad arguments/);
  });

  it('prints the version for version and --version', async () => {
    for (const argv of [['version'], ['--version']]) {
      const r = io();
      expect(await runCli(argv, r)).toBe(0);
      expect(r.out).toBe(`docker-machine-driver-hetzner ${VERSION} (${COMMIT})\n`);
    }
  });

  it('exits 2 on bad arguments in every command', async () => {
    for (const argv of [
      ['version', 'extra'],
      ['help', 'nope'],
      ['gc'],
      ['gc', '--cluster-id', 'c', '--force'],
      ['gc', '--cluster-id', 'c', '--min-age', 'soon'],
      ['gc', '--cluster-id', 'c', '--yes', '--dry-run'],
      ['grpc', '--bogus'],
      ['grpc', '--listen', 'nowhere'],
    ]) {
      const r = io();
      expect(await runCli(argv, r), argv.join(' ')).toBe(2);
      expect(r.err, argv.join(' ')).toMatch(/Usage: docker-machine-driver-hetzner|usage|Usage/i);
    }
  });

  it('shows the gc help for gc --help, gc -h and help gc, exit 0', async () => {
    for (const argv of [
      ['gc', '--help'],
      ['gc', '-h'],
      ['help', 'gc'],
    ]) {
      const r = io();
      expect(await runCli(argv, r)).toBe(0);
      expect(r.out).toMatch(/^Usage: docker-machine-driver-hetzner gc --cluster-id ID/);
      expect(r.out).toMatch(/--yes, --delete/);
      expect(r.out).toMatch(/HETZNER_API_TOKEN/);
      expect(r.out).toMatch(/Exit codes:/);
    }
  });

  it('lists every command in help', async () => {
    const r = io();
    expect(await runCli(['help'], r)).toBe(0);
    for (const c of Object.values(COMMANDS)) expect(r.out).toContain(c.usage);
    expect(r.out).toBe(helpText());
  });

  it('reports a failing command on stderr with exit 1', async () => {
    COMMANDS.boom = {
      summary: 'test',
      usage: 'boom',
      run: async () => {
        throw new Error('it broke');
      },
    };
    try {
      const r = io();
      expect(await runCli(['boom'], r)).toBe(1);
      expect(r.err).toBe('docker-machine-driver-hetzner boom: it broke\n');
    } finally {
      delete COMMANDS.boom;
    }
  });
});
