// A rancher-machine-style client for driver plugins: spawn the binary with MACHINE_PLUGIN_TOKEN=42, read its
// address from the first stdout line, CONNECT, then make net/rpc calls over gob. Calls are multiplexed by Seq, so
// any number may be in flight and replies may arrive in any order. Used by tests, the demo and the benchmarks,
// against our plugin and against Go ones alike.
import { type ChildProcess, spawn } from 'node:child_process';
import { connect as netConnect, type Socket } from 'node:net';
import { StringDecoder } from 'node:string_decoder';
import type { CreateFlag, FlagValue, MachineState } from '../driver/interface';
import { GobDecoder } from './gob/decoder';
import { GobEncoder } from './gob/encoder';
import { type GobType, type GobValue, t } from './gob/types';
import { CONNECT_REQUEST, checkConnectResponse, scanHead } from './http-connect';
import { PLUGIN_TOKEN_ENV, PLUGIN_TOKEN_VALUE } from './notice';
import { driverOptionsToGob, EmptyType, flagsFromGob, RequestType, ResponseType } from './wire';

export interface SpawnOptions {
  command: string;
  args?: string[];
  /** The child's whole environment (default: this process's); MACHINE_PLUGIN_TOKEN=42 is always added. */
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Each stdout line after the address. */
  onStdout?: (line: string) => void;
  /** Each stderr line. */
  onStderr?: (line: string) => void;
  /** How long to wait for the address line; rancher-machine waits 10 s. */
  addressTimeoutMs?: number;
  /** Send .Heartbeat at this interval (rancher-machine: 5000). Default: no heartbeat. */
  heartbeatIntervalMs?: number;
  service?: string;
}

export interface ConnectOptions {
  heartbeatIntervalMs?: number;
  /** `RPCServerDriver` (V1, default) or `RpcServerDriver` (V0). */
  service?: string;
  connectTimeoutMs?: number;
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A call the plugin answered with an error; `message` is the RPC error string, verbatim. */
export class PluginCallError extends Error {
  override name = 'PluginCallError';
  constructor(
    message: string,
    readonly serviceMethod: string,
  ) {
    super(message);
  }
}

/** The connection or the process went away before a reply came. */
export class PluginConnectionError extends Error {
  override name = 'PluginConnectionError';
}

interface PendingCall {
  serviceMethod: string;
  resolve(value: GobValue): void;
  reject(err: Error): void;
}

/** Splits a byte stream into lines, whatever the chunking (a character split across chunks stays whole). */
function lineReader(onLine: (line: string) => void): { push(chunk: Buffer): void; end(): void } {
  const utf8 = new StringDecoder('utf8');
  let partial = '';
  return {
    push(chunk) {
      partial += utf8.write(chunk);
      let nl = partial.indexOf('\n');
      while (nl >= 0) {
        onLine(partial.slice(0, nl).replace(/\r$/, ''));
        partial = partial.slice(nl + 1);
        nl = partial.indexOf('\n');
      }
    },
    end() {
      partial += utf8.end();
      if (partial !== '') onLine(partial);
      partial = '';
    },
  };
}

export class PluginClient {
  readonly process: ChildProcess | undefined;
  /** Settles when the spawned process exits (immediately resolved with nulls for connect()ed clients). */
  readonly exited: Promise<ExitInfo>;
  private readonly encoder = new GobEncoder();
  private readonly decoder = new GobDecoder();
  private readonly calls = new Map<number, PendingCall>();
  private nextSeq = 0;
  private header: { seq: number; error: string } | null = null;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private connectionError: Error | null = null;
  private readonly service: string;

  private constructor(
    readonly address: string,
    private readonly socket: Socket,
    opts: { process?: ChildProcess; exited?: Promise<ExitInfo>; service?: string },
  ) {
    this.process = opts.process;
    this.exited = opts.exited ?? Promise.resolve({ code: null, signal: null });
    this.service = opts.service ?? 'RPCServerDriver';
  }

  /** Starts a plugin process and connects to it, as rancher-machine's localbinary does. */
  static async spawn(opts: SpawnOptions): Promise<PluginClient> {
    const child = spawn(opts.command, opts.args ?? [], {
      cwd: opts.cwd,
      env: { ...(opts.env ?? process.env), [PLUGIN_TOKEN_ENV]: PLUGIN_TOKEN_VALUE },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<ExitInfo>((resolve) => {
      child.once('exit', (code, signal) => resolve({ code, signal }));
    });
    const stderrTail: string[] = [];
    const errLines = lineReader((line) => {
      stderrTail.push(line);
      if (stderrTail.length > 20) stderrTail.shift();
      opts.onStderr?.(line);
    });
    child.stderr?.on('data', (c: Buffer) => errLines.push(c));
    child.stderr?.on('end', () => errLines.end());

    let resolveAddress: (a: string) => void = () => {};
    const addressLine = new Promise<string>((resolve) => {
      resolveAddress = resolve;
    });
    let gotAddress = false;
    const outLines = lineReader((line) => {
      if (!gotAddress) {
        gotAddress = true;
        resolveAddress(line.trim());
      } else opts.onStdout?.(line);
    });
    child.stdout?.on('data', (c: Buffer) => outLines.push(c));
    child.stdout?.on('end', () => outLines.end());

    const timeoutMs = opts.addressTimeoutMs ?? 10_000;
    let timer: NodeJS.Timeout | undefined;
    const failure = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(
        () => reject(new PluginConnectionError(`plugin printed no address within ${timeoutMs} ms`)),
        timeoutMs,
      );
      child.once('error', (err) => reject(new PluginConnectionError(`cannot start plugin: ${err.message}`)));
      exited.then((e) => {
        const tail = stderrTail.length ? `; stderr: ${stderrTail.join(' | ')}` : '';
        reject(
          new PluginConnectionError(
            `plugin exited (code ${e.code}, signal ${e.signal}) before printing its address${tail}`,
          ),
        );
      });
    });
    failure.catch(() => {});
    try {
      const address = await Promise.race([addressLine, failure]);
      // HOST:PORT, where HOST may be a name, an IPv4 address or a bracketed IPv6 address.
      if (!/^[\w.:[\]-]+:\d+$/.test(address)) {
        throw new PluginConnectionError(
          `plugin's first stdout line is not an address: ${JSON.stringify(address.slice(0, 200))}`,
        );
      }
      const { socket, rest } = await PluginClient.open(address, timeoutMs);
      const client = new PluginClient(address, socket, { process: child, exited, service: opts.service });
      client.attach(rest);
      if (opts.heartbeatIntervalMs) client.startHeartbeat(opts.heartbeatIntervalMs);
      return client;
    } catch (err) {
      child.kill('SIGKILL');
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Connects to a plugin that is already running (rancher's introspection opens its own connection like this). */
  static async connect(address: string, opts: ConnectOptions = {}): Promise<PluginClient> {
    const { socket, rest } = await PluginClient.open(address, opts.connectTimeoutMs ?? 10_000);
    const client = new PluginClient(address, socket, { service: opts.service });
    client.attach(rest);
    if (opts.heartbeatIntervalMs) client.startHeartbeat(opts.heartbeatIntervalMs);
    return client;
  }

  /** TCP connect and the CONNECT exchange; resolves with the socket and any gob bytes that came with the reply. */
  private static open(address: string, timeoutMs: number): Promise<{ socket: Socket; rest: Uint8Array }> {
    const colon = address.lastIndexOf(':');
    const host = address.slice(0, colon).replace(/^\[|\]$/g, '');
    const port = Number(address.slice(colon + 1));
    return new Promise((resolve, reject) => {
      const socket = netConnect({ host, port });
      socket.setNoDelay(true);
      let head = Buffer.alloc(0);
      const timer = setTimeout(
        () => fail(new PluginConnectionError(`no CONNECT reply from ${address} in ${timeoutMs} ms`)),
        timeoutMs,
      );
      const fail = (err: Error) => {
        clearTimeout(timer);
        socket.destroy();
        reject(err);
      };
      const onData = (chunk: Buffer) => {
        head = Buffer.concat([head, chunk]);
        const scan = scanHead(head);
        if (!scan.done) return;
        // Paused until attach() listens, so no reply byte can slip past with nobody reading.
        socket.pause();
        socket.off('data', onData);
        socket.off('error', onError);
        clearTimeout(timer);
        if (scan.tooLarge) return fail(new PluginConnectionError(`oversized CONNECT reply from ${address}`));
        const problem = checkConnectResponse(scan.lines);
        if (problem) return fail(new PluginConnectionError(`${address}: ${problem}`));
        resolve({ socket, rest: scan.rest });
      };
      const onError = (err: Error) =>
        fail(new PluginConnectionError(`cannot connect to plugin at ${address}: ${err.message}`));
      socket.on('data', onData);
      socket.on('error', onError);
      socket.once('connect', () => socket.write(CONNECT_REQUEST));
    });
  }

  private attach(rest: Uint8Array): void {
    const onBytes = (chunk: Uint8Array) => {
      try {
        this.decoder.feed(chunk);
        this.pump();
      } catch (err) {
        this.fail(new PluginConnectionError(`undecodable reply stream: ${(err as Error).message}`));
      }
    };
    if (rest.length > 0) onBytes(rest);
    this.socket.on('data', onBytes);
    this.socket.on('error', (err) => this.fail(new PluginConnectionError(`plugin connection failed: ${err.message}`)));
    this.socket.on('close', () => this.fail(new PluginConnectionError('plugin connection closed')));
    this.socket.resume();
  }

  private pump(): void {
    for (;;) {
      if (this.header === null) {
        const h = this.decoder.next(ResponseType);
        if (h === undefined) return;
        const v = h.value as { Seq?: GobValue; Error?: GobValue };
        this.header = { seq: Number(v.Seq ?? 0), error: typeof v.Error === 'string' ? v.Error : '' };
      }
      const body = this.decoder.nextAny();
      if (body === undefined) return;
      const { seq, error } = this.header;
      this.header = null;
      const call = this.calls.get(seq);
      if (!call) continue;
      this.calls.delete(seq);
      if (error !== '') call.reject(new PluginCallError(error, call.serviceMethod));
      else call.resolve(body.value);
    }
  }

  private fail(err: Error): void {
    this.stopHeartbeat();
    if (!this.connectionError) this.connectionError = err;
    this.socket.destroy();
    for (const call of this.calls.values()) call.reject(err);
    this.calls.clear();
  }

  /**
   * One raw call. `method` is a suffix like ".GetVersion" (the service name is prepended) or a full
   * "Service.Method". Resolves with the reply as the gob decoder shaped it.
   */
  call(method: string, argType: GobType = EmptyType, arg: GobValue = {}): Promise<GobValue> {
    const serviceMethod = method.startsWith('.') ? `${this.service}${method}` : method;
    if (this.connectionError) return Promise.reject(this.connectionError);
    const seq = this.nextSeq++;
    let frame: Uint8Array;
    try {
      const header = this.encoder.encode(RequestType, { ServiceMethod: serviceMethod, Seq: seq });
      const body = this.encoder.encode(argType, arg);
      frame = Buffer.concat([header, body]);
    } catch (err) {
      return Promise.reject(err);
    }
    return new Promise<GobValue>((resolve, reject) => {
      this.calls.set(seq, { serviceMethod, resolve, reject });
      this.socket.write(frame);
    });
  }

  private async callInt(method: string): Promise<number> {
    const v = await this.call(method);
    if (typeof v === 'number') return v;
    if (typeof v === 'bigint') return Number(v);
    throw new PluginConnectionError(`${method}: expected an int reply, got ${typeof v}`);
  }

  private async callString(method: string): Promise<string> {
    const v = await this.call(method);
    if (typeof v === 'string') return v;
    throw new PluginConnectionError(`${method}: expected a string reply, got ${typeof v}`);
  }

  private async callVoid(method: string): Promise<void> {
    await this.call(method);
  }

  getVersion = () => this.callInt('.GetVersion');
  /** Sends a JSON config: an object is serialised, bytes are sent as they are. */
  setConfigRaw = async (config: Uint8Array | object): Promise<void> => {
    const bytes = config instanceof Uint8Array ? config : new TextEncoder().encode(JSON.stringify(config));
    await this.call('.SetConfigRaw', t.bytes, bytes);
  };
  getConfigRawBytes = async (): Promise<Uint8Array> => {
    const v = await this.call('.GetConfigRaw');
    if (!(v instanceof Uint8Array)) throw new PluginConnectionError('GetConfigRaw: expected a []byte reply');
    return v;
  };
  getConfigRaw = async (): Promise<unknown> => JSON.parse(new TextDecoder().decode(await this.getConfigRawBytes()));
  getCreateFlags = async (): Promise<CreateFlag[]> => flagsFromGob(await this.call('.GetCreateFlags'));
  setConfigFromFlags = async (values: ReadonlyMap<string, FlagValue> | Record<string, FlagValue>): Promise<void> => {
    await this.call('.SetConfigFromFlags', t.interface, driverOptionsToGob(values));
  };
  driverName = () => this.callString('.DriverName');
  getMachineName = () => this.callString('.GetMachineName');
  getIP = () => this.callString('.GetIP');
  getIPv6 = () => this.callString('.GetIPv6');
  getSSHHostname = () => this.callString('.GetSSHHostname');
  getSSHKeyPath = () => this.callString('.GetSSHKeyPath');
  getSSHPort = () => this.callInt('.GetSSHPort');
  getSSHUsername = () => this.callString('.GetSSHUsername');
  getURL = () => this.callString('.GetURL');
  getState = async (): Promise<MachineState> => (await this.callInt('.GetState')) as MachineState;
  preCreateCheck = () => this.callVoid('.PreCreateCheck');
  create = () => this.callVoid('.Create');
  remove = () => this.callVoid('.Remove');
  start = () => this.callVoid('.Start');
  stop = () => this.callVoid('.Stop');
  restart = () => this.callVoid('.Restart');
  kill = () => this.callVoid('.Kill');
  heartbeat = () => this.callVoid('.Heartbeat');

  /** Heartbeats as rancher-machine does; the first failure stops them (the plugin is gone). */
  startHeartbeat(intervalMs = 5_000): void {
    this.stopHeartbeat();
    this.heartbeatTimer = setInterval(() => {
      this.heartbeat().catch(() => this.stopHeartbeat());
    }, intervalMs);
    this.heartbeatTimer.unref();
  }

  stopHeartbeat(): void {
    clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = undefined;
  }

  /**
   * Sends .Close and waits for a spawned plugin to exit (killing it after `timeoutMs`). A Go plugin may exit
   * before its reply is written, so a dropped connection counts as success, as in rancher-machine.
   */
  async close(timeoutMs = 5_000): Promise<ExitInfo> {
    this.stopHeartbeat();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    try {
      const reply = this.call('.Close').then(
        () => 'replied' as const,
        (err: unknown) => {
          // An error string from the plugin is a real answer; a dropped connection is the Go-style success.
          if (err instanceof PluginCallError) throw err;
          return 'dropped' as const;
        },
      );
      reply.catch(() => {});
      const first = await Promise.race([reply, timeout, this.process ? this.exited : new Promise<never>(() => {})]);
      this.socket.end();
      if (!this.process) {
        if (first === 'timeout') throw new PluginConnectionError(`no reply to .Close within ${timeoutMs} ms`);
        return { code: null, signal: null };
      }
      const r = await Promise.race([this.exited, timeout]);
      if (r === 'timeout') {
        this.process.kill('SIGKILL');
        throw new PluginConnectionError(`plugin did not exit within ${timeoutMs} ms of .Close; killed`);
      }
      return r;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Drops the connection without .Close, as Rancher's introspection does. */
  disconnect(): void {
    this.stopHeartbeat();
    this.socket.destroy();
  }

  /** Kills a spawned plugin and resolves when it has exited. */
  async killProcess(signal: NodeJS.Signals = 'SIGKILL'): Promise<ExitInfo> {
    this.disconnect();
    if (this.process && this.process.exitCode === null && this.process.signalCode === null) this.process.kill(signal);
    return this.exited;
  }
}
