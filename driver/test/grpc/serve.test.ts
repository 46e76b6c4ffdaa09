import { type ChildProcess, spawn } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { createGrpcDriverClient } from '../../src/grpc/client';
import { serveGrpcCommand } from '../../src/grpc/serve';
import type { Logger } from '../../src/log';
import { DoubleDriver } from '../fixtures/double-driver';

/** A LineSink that records what was written and lets a test wait for the first complete line. */
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

const quiet = { handleSignals: false, shutdownGraceMs: 2_000 };

describe('serveGrpcCommand', () => {
  it('prints the bound address first, serves the driver it built, and returns 0 after Close', async () => {
    const stdout = sink();
    const stderr = sink();
    const driver = new DoubleDriver();
    let factoryCtx: { logger: Logger; env: NodeJS.ProcessEnv } | undefined;
    const env = { HETZNER_TEST: '1' };
    const exit = serveGrpcCommand(['--listen', '127.0.0.1:0'], {
      ...quiet,
      stdout,
      stderr,
      env,
      createDriver: (ctx) => {
        factoryCtx = ctx;
        return driver;
      },
    });
    const address = await stdout.firstLine();
    expect(address).toMatch(/^127\.0\.0\.1:[1-9]\d*$/);
    expect(factoryCtx?.env).toBe(env);

    // The driver's logger writes to stderr only: stdout stays one machine-readable line.
    factoryCtx?.logger.info('hello from the driver');
    expect(stderr.text).toContain('hello from the driver');
    expect(stdout.text).toBe(`${address}\n`);

    const client = createGrpcDriverClient(address, { deadlineMs: 10_000 });
    await expect(client.call('GetVersion')).resolves.toBe(1);
    await expect(client.call('DriverName')).resolves.toBe('double');
    await expect(client.call('Close')).resolves.toBeNull();
    await expect(exit).resolves.toBe(0);
    expect(driver.calls).toEqual(['driverName']);
    client.closeChannel();
  });

  it('accepts --listen=HOST:PORT', async () => {
    const stdout = sink();
    const exit = serveGrpcCommand(['--listen=127.0.0.1:0'], {
      ...quiet,
      stdout,
      stderr: sink(),
      createDriver: () => new DoubleDriver(),
    });
    const client = createGrpcDriverClient(await stdout.firstLine(), { deadlineMs: 10_000 });
    await client.call('Close');
    await expect(exit).resolves.toBe(0);
    client.closeChannel();
  });

  it('returns 2 with the usage on stderr for bad arguments, without building a driver', async () => {
    for (const args of [['--port', '1'], ['--listen'], ['--listen', 'localhost'], ['--listen', '127.0.0.1:70000']]) {
      const stderr = sink();
      let built = false;
      const code = await serveGrpcCommand(args, {
        ...quiet,
        stdout: sink(),
        stderr,
        createDriver: () => {
          built = true;
          return new DoubleDriver();
        },
      });
      expect(code, args.join(' ')).toBe(2);
      expect(built).toBe(false);
      expect(stderr.text).toContain('Usage: docker-machine-driver-hetzner grpc');
    }
  });

  it('prints the usage on stdout for --help and returns 0', async () => {
    const stdout = sink();
    await expect(serveGrpcCommand(['--help'], { ...quiet, stdout, stderr: sink() })).resolves.toBe(0);
    expect(stdout.text).toContain('--listen HOST:PORT');
  });

  it('returns 1 with the reason when the driver cannot be built', async () => {
    const stderr = sink();
    const code = await serveGrpcCommand([], {
      ...quiet,
      stdout: sink(),
      stderr,
      createDriver: () => {
        throw new Error('HETZNER_API_TOKEN is not set');
      },
    });
    expect(code).toBe(1);
    expect(stderr.text).toContain('cannot create the driver: HETZNER_API_TOKEN is not set');
  });

  describe('when the port is taken', () => {
    let blocker: Server | undefined;
    afterEach(() => blocker?.close());

    it('returns 1 naming the address', async () => {
      blocker = createServer();
      await new Promise<void>((r) => blocker?.listen(0, '127.0.0.1', r));
      const port = (blocker.address() as { port: number }).port;
      const stdout = sink();
      const stderr = sink();
      const code = await serveGrpcCommand(['--listen', `127.0.0.1:${port}`], {
        ...quiet,
        stdout,
        stderr,
        createDriver: () => new DoubleDriver(),
      });
      expect(code).toBe(1);
      expect(stderr.text).toContain(`cannot listen on 127.0.0.1:${port}`);
      expect(stdout.text).toBe('');
    });
  });
});

describe('grpc command as a process', () => {
  let child: ChildProcess | undefined;
  afterEach(() => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
  });

  it('exits by itself with code 0 after answering Close', async () => {
    const entry = fileURLToPath(new URL('./fixtures/serve-double.ts', import.meta.url));
    child = spawn(process.execPath, ['--import', 'tsx', entry, '--listen', '127.0.0.1:0'], {
      cwd: fileURLToPath(new URL('../../..', import.meta.url)),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((r) => child?.on('exit', (code) => r(code)));
    let out = '';
    let err = '';
    child.stderr?.on('data', (d: Buffer) => {
      err += d.toString();
    });
    const address = await new Promise<string>((resolve, reject) => {
      child?.stdout?.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('\n')) resolve(out.slice(0, out.indexOf('\n')));
      });
      child?.on('exit', (code) => reject(new Error(`exited early with ${code}: ${err}`)));
    });
    const client = createGrpcDriverClient(address, { deadlineMs: 10_000 });
    await expect(client.call('GetSSHUsername')).resolves.toBe('root');
    await expect(client.call('Close')).resolves.toBeNull();
    await expect(exited).resolves.toBe(0);
    const after = (await client.call('GetVersion').catch((e: unknown) => e)) as grpc.ServiceError;
    expect(after.code).toBe(grpc.status.UNAVAILABLE);
    client.closeChannel();
  });
});
