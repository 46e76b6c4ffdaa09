// The plugin as a process, as rancher-machine starts it: the address as the very first stdout bytes, the token
// check, argv ignored, Close → exit 0, lines capped below bufio.Scanner's 64 KiB, the driver loaded after the
// address. Runs the DoubleDriver entry (plugin-double.ts) and, where no driver is needed, the real main.ts.
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { PluginClient } from '../../src/plugin/client';
import { PLUGIN_NOTICE } from '../../src/plugin/notice';
import { type ChildOutput, outputOf } from '../fixtures/child-output';
import { doublePluginCommand, type PluginCommand, pluginCommand } from '../fixtures/plugin-command';

function run(cmd: PluginCommand, extraArgs: string[], env: NodeJS.ProcessEnv): Promise<ChildOutput> {
  return outputOf(spawn(cmd.command, [...cmd.args, ...extraArgs], { env, stdio: ['ignore', 'pipe', 'pipe'] }));
}

const envWithout = (...names: string[]): NodeJS.ProcessEnv => {
  const env = { ...process.env };
  for (const n of names) delete env[n];
  return env;
};

// What rancher-machine's localbinary passes: its own argv (reference §1.1).
const RANCHER_ARGV = ['rancher-machine', '--secret-namespace', 'ns', 'create', '--driver', 'hetzner', '--x=y', 'm1'];

describe('plugin process', () => {
  it('refuses to run without MACHINE_PLUGIN_TOKEN=42: the standard notice on stderr, exit 1', async () => {
    for (const env of [envWithout('MACHINE_PLUGIN_TOKEN'), { ...process.env, MACHINE_PLUGIN_TOKEN: '41' }]) {
      const r = await run(doublePluginCommand(), [], env);
      expect(r).toEqual({ code: 1, stdout: '', stderr: PLUGIN_NOTICE });
    }
  });

  it('prints the address as the first stdout bytes, ignores argv, and exits 0 after Close', async () => {
    const cmd = doublePluginCommand();
    const child = spawn(cmd.command, [...cmd.args, ...RANCHER_ARGV], {
      env: { ...process.env, MACHINE_PLUGIN_TOKEN: '42', MACHINE_PLUGIN_DRIVER_NAME: 'double' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    let out = '';
    const firstLine = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (c: Buffer) => {
        out += c.toString();
        const nl = out.indexOf('\n');
        if (nl >= 0) resolve(out.slice(0, nl + 1));
      });
      child.on('exit', () => reject(new Error('exited before printing its address')));
    });
    expect(firstLine).toMatch(/^127\.0\.0\.1:\d{1,5}\n$/);
    const c = await PluginClient.connect(firstLine.trim());
    expect(await c.getVersion()).toBe(1);
    await c.setConfigRaw({ MachineName: 'm1' });
    expect(await c.getMachineName()).toBe('m1');
    await c.close();
    expect(await exited).toBe(0);
  });

  it('keeps every log line below 64 KiB and splits multi-line messages', async () => {
    const stdout: string[] = [];
    const stderr: string[] = [];
    const huge = `${'x'.repeat(100_000)}\nsecond line`;
    const c = await PluginClient.spawn({
      ...doublePluginCommand(),
      env: { ...process.env, DOUBLE_LOG_ON_CREATE: JSON.stringify(huge) },
      onStdout: (l) => stdout.push(l),
      onStderr: (l) => stderr.push(l),
    });
    await c.create();
    expect(await c.close()).toEqual({ code: 0, signal: null });
    const long = stdout.find((l) => l.startsWith('xxx'));
    expect(long).toBeDefined();
    expect(Buffer.byteLength(long ?? '')).toBeLessThan(64 * 1024);
    expect(long).toMatch(/…\[truncated 100000 bytes\]$/);
    expect(stdout).toContain('second line');
    expect(stderr).toContain('double: create called');
    for (const l of [...stdout, ...stderr]) expect(Buffer.byteLength(l)).toBeLessThan(64 * 1024);
  });

  it('survives a stray promise rejection in driver code, logging it on stderr', async () => {
    const stderr: string[] = [];
    const c = await PluginClient.spawn({
      ...doublePluginCommand(),
      env: { ...process.env, DOUBLE_STRAY_REJECTION: 'background task failed' },
      onStderr: (l) => stderr.push(l),
    });
    await c.create();
    await new Promise((r) => setTimeout(r, 100));
    expect(await c.getState()).toBe(1);
    expect(stderr).toContain('error: unhandled rejection: background task failed');
    expect(await c.close()).toEqual({ code: 0, signal: null });
  });

  it('prints the address before the driver loads; driver calls wait for it', async () => {
    const c = await PluginClient.spawn({
      ...doublePluginCommand(),
      env: { ...process.env, DOUBLE_LOAD_DELAY_MS: '2000' },
    });
    expect(await c.getVersion()).toBe(1);
    const versionAt = Date.now();
    expect(await c.driverName()).toBe('double');
    // The driver needed 2 s to load; the address and GetVersion did not wait for it.
    expect(Date.now() - versionAt).toBeGreaterThan(1000);
    await c.close();
  });
});

describe('the real entry (driver/src/main.ts or $HETZNER_DRIVER_BINARY)', () => {
  it('prints the notice and exits 1 without the token and arguments; an unknown command exits 2', async () => {
    expect(await run(pluginCommand(), [], envWithout('MACHINE_PLUGIN_TOKEN'))).toEqual({
      code: 1,
      stdout: '',
      stderr: PLUGIN_NOTICE,
    });
    for (const argv of [['create'], RANCHER_ARGV]) {
      const r = await run(pluginCommand(), argv, envWithout('MACHINE_PLUGIN_TOKEN'));
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/unknown command/);
    }
  });

  it('prints its version with --version', async () => {
    const r = await run(pluginCommand(), ['--version'], envWithout('MACHINE_PLUGIN_TOKEN'));
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^docker-machine-driver-hetzner \S+ \(\S+\)\n$/);
  });

  it('in plugin mode prints the address first and answers GetVersion and Close', async () => {
    const c = await PluginClient.spawn({ ...pluginCommand(), args: [...pluginCommand().args, ...RANCHER_ARGV] });
    expect(c.address).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(await c.getVersion()).toBe(1);
    expect(await c.close()).toEqual({ code: 0, signal: null });
  });
});
