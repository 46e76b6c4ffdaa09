// Shared pieces of the plugin transport tests: an in-process plugin over the DoubleDriver with an injected exit,
// a raw socket that reads exact byte counts, and collecting sinks for stdout/stderr.
import { connect, type Socket } from 'node:net';
import type { Driver } from '../../src/driver/interface';
import { type PluginHandle, runPlugin, type SocketLimits } from '../../src/plugin/serve';
import { DoubleDriver } from '../fixtures/double-driver';

export class CollectingSink {
  chunks: string[] = [];
  write(chunk: string): boolean {
    this.chunks.push(chunk);
    return true;
  }
  get text(): string {
    return this.chunks.join('');
  }
  get lines(): string[] {
    return this.text.split('\n').filter((l, i, all) => i < all.length - 1 || l !== '');
  }
}

export interface InProcessPlugin {
  handle: PluginHandle;
  double: DoubleDriver;
  stdout: CollectingSink;
  stderr: CollectingSink;
  exits: number[];
  /** Resolves with the first exit code the plugin asks for. */
  exited: Promise<number>;
}

export async function startInProcess(
  opts: {
    heartbeatTimeoutMs?: number;
    socketLimits?: Partial<SocketLimits>;
    createDriver?: (d: DoubleDriver) => Driver | Promise<Driver>;
  } = {},
): Promise<InProcessPlugin> {
  const stdout = new CollectingSink();
  const stderr = new CollectingSink();
  const double = new DoubleDriver();
  const exits: number[] = [];
  let resolveExit: (code: number) => void = () => {};
  const exited = new Promise<number>((r) => {
    resolveExit = r;
  });
  const handle = await runPlugin({
    env: { MACHINE_PLUGIN_TOKEN: '42' },
    stdout,
    stderr,
    heartbeatTimeoutMs: opts.heartbeatTimeoutMs ?? 60_000,
    socketLimits: opts.socketLimits,
    captureConsole: false,
    exit: (code) => {
      exits.push(code);
      resolveExit(code);
    },
    createDriver: () => (opts.createDriver ? opts.createDriver(double) : double),
  });
  if (!handle) throw new Error('runPlugin refused to start');
  return { handle, double, stdout, stderr, exits, exited };
}

/** A TCP socket with an exact-length reader, for byte-level protocol tests. */
export class RawConnection {
  private buf = Buffer.alloc(0);
  private waiter: (() => void) | null = null;
  closed = false;

  private constructor(readonly socket: Socket) {
    socket.on('data', (c: Buffer) => {
      this.buf = Buffer.concat([this.buf, c]);
      this.waiter?.();
    });
    socket.on('close', () => {
      this.closed = true;
      this.waiter?.();
    });
    socket.on('error', () => {});
  }

  static open(address: string): Promise<RawConnection> {
    const [host, port] = address.split(':');
    return new Promise((resolve, reject) => {
      const s = connect({ host: host ?? '127.0.0.1', port: Number(port) }, () => resolve(new RawConnection(s)));
      s.once('error', reject);
    });
  }

  write(bytes: Uint8Array | string): void {
    this.socket.write(bytes);
  }

  /** Resolves with exactly n bytes, or rejects when the peer closes first or the timeout passes. */
  /** Resolves when more bytes or the close arrive, or after `ms`, whichever is first. */
  private async dataOrTimeout(ms: number): Promise<void> {
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, ms);
      this.waiter = () => {
        clearTimeout(t);
        resolve();
      };
    });
    this.waiter = null;
  }

  async read(n: number, timeoutMs = 5_000): Promise<Buffer> {
    const deadline = Date.now() + timeoutMs;
    while (this.buf.length < n) {
      if (this.closed) throw new Error(`connection closed after ${this.buf.length} of ${n} bytes`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out with ${this.buf.length} of ${n} bytes`);
      await this.dataOrTimeout(left);
    }
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return out;
  }

  /** Whatever has arrived (at least one byte); rejects when the peer closes first or the timeout passes. */
  async readSome(timeoutMs = 5_000): Promise<Buffer> {
    await this.read(1, timeoutMs).then((first) => {
      this.buf = Buffer.concat([first, this.buf]);
    });
    const out = this.buf;
    this.buf = Buffer.alloc(0);
    return out;
  }

  /** Everything until the peer closes. */
  async readToEnd(timeoutMs = 5_000): Promise<Buffer> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('peer did not close the connection');
      await this.dataOrTimeout(left);
    }
    const out = this.buf;
    this.buf = Buffer.alloc(0);
    return out;
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Builds a byte string from hex fragments and quoted ASCII, like the annotated captures in the protocol notes. */
export function bytes(...parts: (string | number[])[]): Buffer {
  return Buffer.concat(
    parts.map((p) => {
      if (Array.isArray(p)) return Buffer.from(p);
      if (p.startsWith('"')) return Buffer.from(p.slice(1, -1), 'latin1');
      return Buffer.from(p.replace(/\s+/g, ''), 'hex');
    }),
  );
}
