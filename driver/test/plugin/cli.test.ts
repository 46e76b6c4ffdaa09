// The CLI outside plugin mode: the command table, the notice for no or unknown commands, failures reported.
import { describe, expect, it } from 'vitest';
import { type CliIo, COMMANDS, helpText, runCli } from '../../src/cli';
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

  it('prints the plugin notice and exits 1 with no command or an unknown one', async () => {
    for (const argv of [[], ['rancher-machine', 'create'], ['--help-me'], ['constructor'], ['__proto__']]) {
      const r = io();
      expect(await runCli(argv, r)).toBe(1);
      expect(r.err).toBe(PLUGIN_NOTICE);
      expect(r.out).toBe('');
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
