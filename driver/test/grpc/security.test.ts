// The gRPC mode drives servers with this process's API token, so it serves loopback only unless told otherwise,
// then only callers that know the shared secret, and it never hands the token out.
import * as grpc from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import type { FlagValue } from '../../src/driver/interface';
import { createGrpcDriverClient } from '../../src/grpc/client';
import { serveGrpcCommand } from '../../src/grpc/serve';
import { DoubleDriver } from '../fixtures/double-driver';

function sink() {
  let text = '';
  let wake: (() => void) | undefined;
  return {
    write(chunk: string) {
      text += chunk;
      wake?.();
    },
    get text() {
      return text;
    },
    async firstLine(): Promise<string> {
      while (!text.includes('\n')) await new Promise<void>((r) => (wake = r));
      return text.slice(0, text.indexOf('\n'));
    },
  };
}

const quiet = { handleSignals: false, shutdownGraceMs: 1_000 };
const SECRET = 'a-shared-secret-of-some-length-0123';

/** Runs the command; if it starts serving instead of refusing, closes it and reports 'served'. */
async function refusalOf(args: string[], env: NodeJS.ProcessEnv) {
  const stdout = sink();
  const stderr = sink();
  const exit = serveGrpcCommand(args, { ...quiet, stdout, stderr, env, createDriver: () => new DoubleDriver() });
  const outcome = await Promise.race([exit, stdout.firstLine().then(() => 'served' as const)]);
  if (outcome === 'served') {
    const c = createGrpcDriverClient(stdout.text.trim(), { deadlineMs: 5_000, secret: env.HETZNER_GRPC_SECRET });
    await c.call('Close').catch(() => {});
    c.closeChannel();
    await exit;
  }
  return { outcome, stderr: stderr.text };
}

describe('gRPC listen address', () => {
  it('refuses a non-loopback address without --allow-remote (exit 2)', async () => {
    const r = await refusalOf(['--listen', '0.0.0.0:0'], {});
    expect(r.outcome).toBe(2);
    expect(r.stderr).toMatch(/refusing to listen on 0\.0\.0\.0:0: it is not a loopback address/);
    expect(r.stderr).toMatch(/--allow-remote/);
  });

  it('refuses --allow-remote without HETZNER_GRPC_SECRET, and a secret too short to be one', async () => {
    const none = await refusalOf(['--listen', '0.0.0.0:0', '--allow-remote'], {});
    expect(none.outcome).toBe(2);
    expect(none.stderr).toMatch(/--allow-remote needs HETZNER_GRPC_SECRET/);
    const short = await refusalOf(['--listen', '127.0.0.1:0'], { HETZNER_GRPC_SECRET: 'short' });
    expect(short.outcome).toBe(2);
    expect(short.stderr).toMatch(/HETZNER_GRPC_SECRET is too short/);
  });
});

describe('gRPC shared secret', () => {
  it('refuses calls without the secret or with a wrong one, and serves those that carry it', async () => {
    const stdout = sink();
    const driver = new DoubleDriver();
    const exit = serveGrpcCommand(['--listen', '127.0.0.1:0'], {
      ...quiet,
      stdout,
      stderr: sink(),
      env: { HETZNER_GRPC_SECRET: SECRET },
      createDriver: () => driver,
    });
    const address = await stdout.firstLine();
    const anonymous = createGrpcDriverClient(address, { deadlineMs: 5_000 });
    const wrong = createGrpcDriverClient(address, { deadlineMs: 5_000, secret: `${SECRET}x` });
    const right = createGrpcDriverClient(address, { deadlineMs: 5_000, secret: SECRET });
    try {
      for (const c of [anonymous, wrong]) {
        const err = (await c.call('DriverName').catch((e: unknown) => e)) as grpc.ServiceError;
        expect(err.code).toBe(grpc.status.UNAUTHENTICATED);
        expect(err.details).toMatch(/missing or wrong shared secret/);
        expect(err.details).not.toContain(SECRET);
      }
      expect(driver.calls).toEqual([]);
      await expect(right.call('DriverName')).resolves.toBe('double');
      await right.call('Close');
      await expect(exit).resolves.toBe(0);
    } finally {
      for (const c of [anonymous, wrong, right]) c.closeChannel();
    }
  });
});

describe('gRPC GetConfigRaw', () => {
  it('never returns the API token, even one given only as a flag', async () => {
    const stdout = sink();
    const exit = serveGrpcCommand(['--listen', '127.0.0.1:0'], { ...quiet, stdout, stderr: sink(), env: {} });
    const client = createGrpcDriverClient(await stdout.firstLine(), { deadlineMs: 20_000 });
    try {
      const token = 'grpc-flag-token-0123456789abcdef';
      await client.call('SetConfigRaw', new TextEncoder().encode(JSON.stringify({ MachineName: 'g1' })));
      const opts = new Map<string, FlagValue>();
      for (const f of await client.call('GetCreateFlags')) opts.set(f.name, f.kind === 'bool' ? false : f.value);
      opts.set('hetzner-api-token', token);
      await client.call('SetConfigFromFlags', opts);
      const raw = new TextDecoder().decode(await client.call('GetConfigRaw'));
      expect(raw).not.toContain(token);
      expect(JSON.parse(raw)).toMatchObject({ MachineName: 'g1', AccessToken: '' });
      await client.call('Close');
      await expect(exit).resolves.toBe(0);
    } finally {
      client.closeChannel();
    }
  });
});
