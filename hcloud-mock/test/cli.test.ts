import { type ChildProcess, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { api, waitFor } from './helpers';

const require = createRequire(import.meta.url);
const tsxCli = require.resolve('tsx/cli');
const cliPath = fileURLToPath(new URL('../src/cli.ts', import.meta.url));

let child: ChildProcess | undefined;

afterEach(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((r) => child!.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
  child = undefined;
});

function startCli(args: string[]): Promise<{ firstLine: string; stderr: () => string }> {
  child = spawn(process.execPath, [tsxCli, cliPath, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => {
    stderr += d;
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child!.stdout!.on('data', (d) => {
      out += d;
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve({ firstLine: out.slice(0, nl), stderr: () => stderr });
    });
    child!.once('exit', (code) => reject(new Error(`cli exited with ${code}: ${stderr}`)));
  });
}

describe('hcloud-mock CLI', () => {
  it('prints its URL as the first line and serves list/create/delete with the token it was given', async () => {
    const { firstLine } = await startCli(['--port', '0', '--token', 'cli-secret', '--action-ms', '20']);
    const m = /^hcloud-mock listening on (http:\/\/127\.0\.0\.1:(\d+)\/v1)$/.exec(firstLine);
    expect(m, firstLine).not.toBeNull();
    const url = m![1]!;
    expect((await api(url, 'GET', '/servers', undefined, 'wrong')).status).toBe(401);
    const list = await api(url, 'GET', '/servers', undefined, 'cli-secret');
    expect(list.status).toBe(200);
    expect(list.body.meta.pagination.total_entries).toBe(1);
    const created = await api(
      url,
      'POST',
      '/servers',
      { name: 'from-cli', server_type: 'cpx22', image: 'debian-12', location: 'hel1' },
      'cli-secret',
    );
    expect(created.status).toBe(201);
    expect(created.body.server).toMatchObject({ name: 'from-cli', location: { name: 'hel1' } });
    const ids = [created.body.action, ...created.body.next_actions].map((a: { id: number }) => `id=${a.id}`).join('&');
    await waitFor('create actions', async () => {
      const r = await api(url, 'GET', `/actions?${ids}`, undefined, 'cli-secret');
      return r.body.actions.every((a: { status: string }) => a.status === 'success');
    });
    const del = await api(url, 'DELETE', `/servers/${created.body.server.id}`, undefined, 'cli-secret');
    expect(del.status).toBe(200);
    expect(del.body.action.command).toBe('delete_server');
  });

  it('refuses unknown arguments with a usage message and exit code 2', async () => {
    child = spawn(process.execPath, [tsxCli, cliPath, '--bogus'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d) => {
      stderr += d;
    });
    const code = await new Promise((r) => child!.once('exit', r));
    expect(code).toBe(2);
    expect(stderr).toContain("unknown argument '--bogus'");
    expect(stderr).toContain('usage: hcloud-mock');
  });
});
