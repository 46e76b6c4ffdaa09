import * as grpc from '@grpc/grpc-js';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { METHODS, type MethodName } from '../../src/dispatch';
import { type CreateFlag, type FlagValue, MachineState } from '../../src/driver/interface';
import { createGrpcDriverClient, type GrpcDriverClient } from '../../src/grpc/client';
import { WireFormatError } from '../../src/grpc/codec';
import { DRIVER_SERVICE } from '../../src/grpc/definition';
import { bindGrpcServer, createGrpcServer, parseListenAddress, shutdownGrpcServer } from '../../src/grpc/server';
import { DOUBLE_FLAGS, DoubleDriver } from '../fixtures/double-driver';

let driver: DoubleDriver;
const hookCalls: string[] = [];
let server: grpc.Server;
let client: GrpcDriverClient;

beforeAll(async () => {
  // One server for the file; each test swaps in a fresh double behind the same delegating driver.
  const delegate = new Proxy({} as DoubleDriver, {
    get: (_t, prop) => {
      const value = Reflect.get(driver, prop);
      return typeof value === 'function' ? value.bind(driver) : value;
    },
  });
  server = createGrpcServer(delegate, {
    heartbeat: () => hookCalls.push('heartbeat'),
    close: () => hookCalls.push('close'),
  });
  const bound = await bindGrpcServer(server, '127.0.0.1:0');
  expect(bound.port).toBeGreaterThan(0);
  client = createGrpcDriverClient(bound.address, { deadlineMs: 10_000 });
  await client.waitForReady(10_000);
});

afterAll(async () => {
  client.closeChannel();
  await shutdownGrpcServer(server, 1_000);
});

beforeEach(() => {
  driver = new DoubleDriver();
  hookCalls.length = 0;
});

function rawCall(method: string, request: unknown): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const fn = client.raw[method] as (
      req: unknown,
      cb: (err: grpc.ServiceError | null, reply?: unknown) => void,
    ) => void;
    fn.call(client.raw, request, (err, reply) => (err ? reject(err) : resolve(reply)));
  });
}

describe('gRPC Driver service', () => {
  it('declares exactly one rpc per dispatch table entry', () => {
    expect(Object.keys(DRIVER_SERVICE).sort()).toEqual(Object.keys(METHODS).sort());
    for (const def of Object.values(DRIVER_SERVICE)) {
      expect(def.path).toMatch(/^\/docker_machine_driver_hetzner\.v1\.Driver\/\w+$/);
      expect(def.requestStream || def.responseStream).toBe(false);
    }
  });

  it('answers GetVersion with API version 1 without touching the driver', async () => {
    await expect(client.call('GetVersion')).resolves.toBe(1);
    expect(driver.calls).toEqual([]);
  });

  it('serves every method against the driver, with the replies the driver gave', async () => {
    const expected: { [N in MethodName]: [call: string | null, reply: unknown] } = {
      GetVersion: [null, 1],
      SetConfigRaw: ['setConfigRaw', null],
      GetConfigRaw: ['getConfigRaw', new TextEncoder().encode('{"MachineName":"m1"}')],
      GetCreateFlags: ['getCreateFlags', DOUBLE_FLAGS],
      SetConfigFromFlags: ['setConfigFromFlags', null],
      DriverName: ['driverName', 'double'],
      GetMachineName: ['getMachineName', 'm1'],
      GetIP: ['getIP', '192.0.2.10'],
      GetIPv6: ['getIPv6', '2001:db8::1'],
      GetSSHHostname: ['getSSHHostname', '192.0.2.10'],
      GetSSHKeyPath: ['getSSHKeyPath', '/store/machines/m1/id_ed25519'],
      GetSSHPort: ['getSSHPort', 2222],
      GetSSHUsername: ['getSSHUsername', 'root'],
      GetURL: ['getURL', 'tcp://192.0.2.10:2376'],
      GetState: ['getState', MachineState.Running],
      PreCreateCheck: ['preCreateCheck', null],
      Create: ['create', null],
      Remove: ['remove', null],
      Start: ['start', null],
      Stop: ['stop', null],
      Restart: ['restart', null],
      Kill: ['kill', null],
      Heartbeat: [null, null],
      Close: [null, null],
    };
    expect(Object.keys(expected).sort()).toEqual(Object.keys(METHODS).sort());
    for (const name of Object.keys(METHODS) as MethodName[]) {
      const [driverCall, reply] = expected[name];
      driver.calls = [];
      let result: unknown;
      if (name === 'SetConfigRaw') result = await client.call(name, new TextEncoder().encode('{"MachineName":"m1"}'));
      else if (name === 'SetConfigFromFlags') result = await client.call(name, new Map([['x', 'y']]));
      else result = await client.call(name as Exclude<MethodName, 'SetConfigRaw' | 'SetConfigFromFlags'>);
      expect(result, name).toEqual(reply);
      expect(driver.calls, name).toEqual(driverCall ? [driverCall] : []);
    }
    expect(hookCalls).toEqual(['heartbeat', 'close']);
  });

  it('round-trips create flags of all four kinds, edge values included', async () => {
    const flags: CreateFlag[] = [
      { kind: 'string', name: 's', usage: 'ünïcode ✓', envVar: 'S', value: '' },
      { kind: 'string', name: 's2', usage: '', envVar: '', value: 'line1\nline2' },
      { kind: 'int', name: 'i', usage: 'neg', envVar: 'I', value: -42 },
      { kind: 'int', name: 'big', usage: 'max', envVar: 'BIG', value: Number.MAX_SAFE_INTEGER },
      { kind: 'int', name: 'zero', usage: 'zero', envVar: 'Z', value: 0 },
      { kind: 'stringSlice', name: 'l', usage: 'list', envVar: 'L', value: ['a', '', 'c'] },
      { kind: 'stringSlice', name: 'e', usage: 'empty', envVar: 'E', value: [] },
      { kind: 'bool', name: 'b', usage: 'flag', envVar: 'B' },
    ];
    driver.getCreateFlags = async () => flags;
    const got = await client.call('GetCreateFlags');
    expect(got).toEqual(flags);
    expect(got.map((f) => f.kind)).toEqual([
      'string',
      'string',
      'int',
      'int',
      'int',
      'stringSlice',
      'stringSlice',
      'bool',
    ]);
    expect(got[7]).not.toHaveProperty('value');
  });

  it('passes driver options of every value type to the driver unchanged', async () => {
    const opts = new Map<string, FlagValue>([
      ['str', 'hello'],
      ['empty-str', ''],
      ['int', 7],
      ['int-zero', 0],
      ['int-neg', -9_007_199_254_740_991],
      ['bool-true', true],
      ['bool-false', false],
      ['list', ['x', 'y']],
      ['list-empty', []],
      ['nil', null],
    ]);
    await client.call('SetConfigFromFlags', opts);
    expect(driver.options).toEqual(opts);
    // Types survive, not just values that compare loosely.
    expect(typeof driver.options?.get('int')).toBe('number');
    expect(driver.options?.get('bool-false')).toBe(false);
    expect(driver.options?.get('empty-str')).toBe('');
    expect(driver.options?.get('nil')).toBeNull();
  });

  it('round-trips raw config bytes exactly', async () => {
    const json = new TextEncoder().encode(JSON.stringify({ MachineName: 'm-ü', Nested: { a: [1, 2] } }));
    await client.call('SetConfigRaw', json);
    expect(driver.config).toEqual({ MachineName: 'm-ü', Nested: { a: [1, 2] } });
    const back = await client.call('GetConfigRaw');
    expect(back).toBeInstanceOf(Uint8Array);
    expect(new TextDecoder().decode(back)).toBe(JSON.stringify(driver.config));
  });

  it('reports every machine state as its Go int', async () => {
    for (const state of [MachineState.None, MachineState.Stopped, MachineState.NotFound]) {
      driver.state = state;
      await expect(client.call('GetState')).resolves.toBe(state);
    }
  });

  it("turns a driver failure into status UNKNOWN carrying the driver's message", async () => {
    driver.failures.set('kill', 'server 42 is locked: an action is running');
    driver.failures.set('getIP', 'no public IPv4 address');
    for (const [method, msg] of [
      ['Kill', 'server 42 is locked: an action is running'],
      ['GetIP', 'no public IPv4 address'],
    ] as const) {
      const err = (await client.call(method).catch((e: unknown) => e)) as grpc.ServiceError;
      expect(err.code, method).toBe(grpc.status.UNKNOWN);
      expect(err.details, method).toBe(msg);
    }
    // The failure affects that call only.
    await expect(client.call('GetState')).resolves.toBe(MachineState.Running);
  });

  it('reports a rejection with a non-Error value by its text', async () => {
    driver.stop = () => Promise.reject('plain string');
    await expect(client.call('Stop')).rejects.toMatchObject({ code: grpc.status.UNKNOWN, details: 'plain string' });
  });

  it('refuses an int64 option a JS number cannot hold with INVALID_ARGUMENT, before reaching the driver', async () => {
    const err = (await rawCall('SetConfigFromFlags', {
      values: { n: { int_value: '9007199254740993' } },
    }).catch((e: unknown) => e)) as grpc.ServiceError;
    expect(err.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(err.details).toContain('option n');
    expect(driver.calls).toEqual([]);
  });

  it('reads an option value with no kind set as nil', async () => {
    await rawCall('SetConfigFromFlags', { values: { unset: {}, s: { string_value: 'v' } } });
    expect(driver.options).toEqual(
      new Map<string, FlagValue>([
        ['unset', null],
        ['s', 'v'],
      ]),
    );
  });

  it('answers INTERNAL when the driver returns what the proto cannot carry', async () => {
    driver.getSSHPort = async () => 22.5;
    const err = (await client.call('GetSSHPort').catch((e: unknown) => e)) as grpc.ServiceError;
    expect(err.code).toBe(grpc.status.INTERNAL);
    expect(err.details).toContain('GetSSHPort');
  });

  it('refuses on the client side an option number that is not an integer', async () => {
    await expect(client.call('SetConfigFromFlags', new Map([['x', 1.5]]))).rejects.toBeInstanceOf(WireFormatError);
    expect(driver.calls).toEqual([]);
  });

  it('serves Heartbeat while a Create is in flight', async () => {
    let release!: () => void;
    let started!: () => void;
    const createStarted = new Promise<void>((r) => (started = r));
    driver.create = () => {
      started();
      return new Promise<void>((r) => (release = r));
    };
    const create = client.call('Create');
    await createStarted;
    // Create cannot finish until Heartbeat has been answered, so this only passes if calls run concurrently.
    await client.call('Heartbeat');
    expect(hookCalls).toEqual(['heartbeat']);
    release();
    await expect(create).resolves.toBeNull();
  });
});

describe('parseListenAddress', () => {
  it('accepts IPv4, names and bracketed IPv6', () => {
    expect(parseListenAddress('127.0.0.1:0')).toEqual({ host: '127.0.0.1', port: 0 });
    expect(parseListenAddress('localhost:50051')).toEqual({ host: 'localhost', port: 50051 });
    expect(parseListenAddress('[::1]:65535')).toEqual({ host: '::1', port: 65535 });
  });

  it('rejects malformed addresses with the expected form in the message', () => {
    for (const bad of ['127.0.0.1', ':80', '127.0.0.1:65536', '::1:80', 'host:port', '']) {
      expect(() => parseListenAddress(bad), bad).toThrow(/expected HOST:PORT/);
    }
  });
});

describe('Close', () => {
  let closeServer: grpc.Server;
  afterEach(() => closeServer?.forceShutdown());

  it('replies even when the close hook starts a graceful shutdown, then refuses new calls', async () => {
    let hookRuns = 0;
    let shutdown: Promise<void> | undefined;
    closeServer = createGrpcServer(new DoubleDriver(), {
      close: () => {
        hookRuns++;
        shutdown = shutdownGrpcServer(closeServer, 5_000);
      },
    });
    const { address } = await bindGrpcServer(closeServer);
    const c = createGrpcDriverClient(address, { deadlineMs: 10_000 });
    await expect(c.call('GetVersion')).resolves.toBe(1);
    expect(hookRuns).toBe(0);
    await expect(c.call('Close')).resolves.toBeNull();
    await shutdown;
    expect(hookRuns).toBe(1);
    const after = (await c.call('GetVersion').catch((e: unknown) => e)) as grpc.ServiceError;
    expect(after.code).toBe(grpc.status.UNAVAILABLE);
    c.closeChannel();
  });
});
