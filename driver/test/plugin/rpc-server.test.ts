// The net/rpc server in-process: byte-exact handshake and framing against a Go capture, concurrency and reply
// order, error strings, hostile input, the watchdog and Close (with an injected exit), lazy driver loading.
import { afterEach, describe, expect, it } from 'vitest';
import { MachineState } from '../../src/driver/interface';
import { PluginCallError, PluginClient } from '../../src/plugin/client';
import { GobDecoder } from '../../src/plugin/gob/decoder';
import { GobEncoder } from '../../src/plugin/gob/encoder';
import { t } from '../../src/plugin/gob/types';
import { EmptyType, RequestType, ResponseType } from '../../src/plugin/wire';
import { bytes, type InProcessPlugin, RawConnection, startInProcess } from './helpers';

let plugin: InProcessPlugin | undefined;
const clients: PluginClient[] = [];
const raws: RawConnection[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.disconnect();
  for (const r of raws.splice(0)) r.close();
  await plugin?.handle.stop();
  plugin = undefined;
});

async function start(opts?: Parameters<typeof startInProcess>[0]): Promise<InProcessPlugin> {
  plugin = await startInProcess(opts);
  return plugin;
}

async function client(address: string, service?: string): Promise<PluginClient> {
  const c = await PluginClient.connect(address, service ? { service } : {});
  clients.push(c);
  return c;
}

async function raw(address: string): Promise<RawConnection> {
  const r = await RawConnection.open(address);
  raws.push(r);
  return r;
}

// Go client → server bytes of a GetVersion call, as captured from the real net/rpc client (protocol notes §5.3).
const GO_GET_VERSION_REQUEST = bytes(
  '2f ff81 03 01 01 07',
  '"Request"',
  '01 ff82 00 01 02 01 0d',
  '"ServiceMethod"',
  '01 0c 00 01 03',
  '"Seq"',
  '01 06 00 00 00',
  '1f ff82 01 1a',
  '"RPCServerDriver.GetVersion"',
  '00',
  '0a ff83 03 01 02 ff84 00 00 00',
  '03 ff84 00',
);
// What Go's server answers: the Response definition (id 65), the header, and the int 1.
const GO_GET_VERSION_RESPONSE = bytes(
  '3a ff81 03 01 01 08',
  '"Response"',
  '01 ff82 00 01 03 01 0d',
  '"ServiceMethod"',
  '01 0c 00 01 03',
  '"Seq"',
  '01 06 00 01 05',
  '"Error"',
  '01 0c 00 00 00',
  '1f ff82 01 1a',
  '"RPCServerDriver.GetVersion"',
  '00',
  '03 04 00 02',
);
const CONNECTED = 'HTTP/1.0 200 Connected to Go RPC\n\n';

describe('handshake and framing', () => {
  it('answers CONNECT and a GetVersion with exactly the bytes Go does', async () => {
    const p = await start();
    const r = await raw(p.handle.address);
    r.write('CONNECT /_goRPC_ HTTP/1.0\n\n');
    expect((await r.read(CONNECTED.length)).toString('latin1')).toBe(CONNECTED);
    r.write(GO_GET_VERSION_REQUEST);
    expect((await r.read(GO_GET_VERSION_RESPONSE.length)).toString('hex')).toBe(
      GO_GET_VERSION_RESPONSE.toString('hex'),
    );
  });

  it('decodes requests that arrive one byte at a time, glued to the CONNECT line', async () => {
    const p = await start();
    const r = await raw(p.handle.address);
    const all = Buffer.concat([Buffer.from('CONNECT /_goRPC_ HTTP/1.0\r\nHost: x\r\n\r\n'), GO_GET_VERSION_REQUEST]);
    for (const b of all) {
      r.write(Buffer.from([b]));
      await new Promise((res) => setImmediate(res));
    }
    expect((await r.read(CONNECTED.length)).toString('latin1')).toBe(CONNECTED);
    expect((await r.read(GO_GET_VERSION_RESPONSE.length)).equals(GO_GET_VERSION_RESPONSE)).toBe(true);
  });

  it('refuses other methods with 405 and other paths with 404, closing the connection', async () => {
    const p = await start();
    const get = await raw(p.handle.address);
    get.write('GET /_goRPC_ HTTP/1.0\r\n\r\n');
    const getReply = (await get.readToEnd()).toString('latin1');
    expect(getReply).toMatch(/^HTTP\/1\.0 405 Method Not Allowed\r\n/);
    expect(getReply.endsWith('\r\n\r\n405 must CONNECT\n')).toBe(true);

    const path = await raw(p.handle.address);
    path.write('CONNECT /other HTTP/1.0\n\n');
    expect((await path.readToEnd()).toString('latin1')).toMatch(/^HTTP\/1\.0 404 Not Found\r\n/);

    // The server itself is unharmed.
    expect(await (await client(p.handle.address)).getVersion()).toBe(1);
  });

  it('drops a connection that sends hostile bytes and keeps serving the others', async () => {
    const p = await start();
    const good = await client(p.handle.address);

    const garbage = await raw(p.handle.address);
    garbage.write('CONNECT /_goRPC_ HTTP/1.0\n\n');
    await garbage.read(CONNECTED.length);
    // A length prefix claiming 2^56 bytes, then noise.
    garbage.write(bytes('f9 01 00 00 00 00 00 00 00 ff ff ff'));
    await garbage.readToEnd();

    const typedefAbuse = await raw(p.handle.address);
    typedefAbuse.write('CONNECT /_goRPC_ HTTP/1.0\n\n');
    await typedefAbuse.read(CONNECTED.length);
    // A type definition with a reserved id (-5 → id 5, a builtin): Go rejects it, so do we.
    typedefAbuse.write(bytes('04 09 03 01 00'));
    await typedefAbuse.readToEnd();

    const endless = await raw(p.handle.address);
    endless.write(Buffer.alloc(9000, 0x41));
    expect((await endless.readToEnd()).toString('latin1')).toMatch(/^HTTP\/1\.0 431 /);

    expect(await good.getVersion()).toBe(1);
    expect(await (await client(p.handle.address)).driverName()).toBe('double');
    expect(p.exits).toEqual([]);
    expect(p.stderr.text).toContain('undecodable request stream');
  });
});

describe('calls', () => {
  it('serves all 24 methods through the dispatch table', async () => {
    const p = await start();
    const c = await client(p.handle.address);
    expect(await c.getVersion()).toBe(1);
    await c.setConfigRaw({ MachineName: 'm1', StorePath: '/store' });
    expect(await c.getMachineName()).toBe('m1');
    expect(await c.driverName()).toBe('double');
    expect((await c.getCreateFlags()).map((f) => `${f.kind}:${f.name}`)).toEqual([
      'string:double-api-token',
      'string:double-image',
      'int:double-ssh-port',
      'stringSlice:double-networks',
      'stringSlice:double-labels',
      'bool:double-use-private-network',
    ]);
    await c.setConfigFromFlags({ s: 'x', i: -3, b: true, f: false, l: ['a', 'b'], e: [], n: null });
    expect(p.double.options).toEqual(
      new Map<string, unknown>([
        ['s', 'x'],
        ['i', -3],
        ['b', true],
        ['f', false],
        ['l', ['a', 'b']],
        ['e', []],
        ['n', null],
      ]),
    );
    expect(await c.getConfigRaw()).toMatchObject({ MachineName: 'm1', 'flag:i': -3, 'flag:l': ['a', 'b'] });
    expect(await c.getIP()).toBe('192.0.2.10');
    expect(await c.getIPv6()).toBe('2001:db8::1');
    expect(await c.getSSHHostname()).toBe('192.0.2.10');
    expect(await c.getSSHKeyPath()).toBe('/store/machines/m1/id_ed25519');
    expect(await c.getSSHPort()).toBe(2222);
    expect(await c.getSSHUsername()).toBe('root');
    expect(await c.getURL()).toBe('tcp://192.0.2.10:2376');
    p.double.state = MachineState.Stopped;
    expect(await c.getState()).toBe(MachineState.Stopped);
    for (const m of ['preCreateCheck', 'create', 'start', 'stop', 'restart', 'kill', 'remove', 'heartbeat'] as const) {
      await c[m]();
    }
    expect(p.double.calls).toEqual([
      'setConfigRaw',
      'getMachineName',
      'driverName',
      'getCreateFlags',
      'setConfigFromFlags',
      'getConfigRaw',
      'getIP',
      'getIPv6',
      'getSSHHostname',
      'getSSHKeyPath',
      'getSSHPort',
      'getSSHUsername',
      'getURL',
      'getState',
      'preCreateCheck',
      'create',
      'start',
      'stop',
      'restart',
      'kill',
      'remove',
    ]);
  });

  it('answers concurrent calls as they finish, out of order, and heartbeats during a slow Create', async () => {
    const p = await start();
    p.double.createDelayMs = 600;
    const c = await client(p.handle.address);
    const order: string[] = [];
    const create = c.create().then(() => order.push('create'));
    const version = c.getVersion().then(() => order.push('version'));
    const beat = c.heartbeat().then(() => order.push('heartbeat'));
    const ip = c.getIP().then(() => order.push('ip'));
    await Promise.all([version, beat, ip]);
    expect(order).not.toContain('create');
    await create;
    expect(order[order.length - 1]).toBe('create');
  });

  it('turns a handler rejection (async or thrown synchronously) into the Error string and keeps serving', async () => {
    const p = await start({
      createDriver: (d) =>
        Object.assign(Object.create(d) as typeof d, {
          getURL: () => {
            throw new Error('sync failure in getURL');
          },
          getSSHPort: async () => 'not a number' as unknown as number,
        }),
    });
    p.double.failures.set('kill', 'double: kill not supported');
    const c = await client(p.handle.address);
    await expect(c.kill()).rejects.toThrow(new PluginCallError('double: kill not supported', 'RPCServerDriver.Kill'));
    await expect(c.getURL()).rejects.toThrow('sync failure in getURL');
    await expect(c.getSSHPort()).rejects.toThrow('driver returned not a number where an integer was expected');
    expect(await c.getIP()).toBe('192.0.2.10');
  });

  it("uses net/rpc's wording for unknown methods and services; .Upgrade is unknown", async () => {
    const p = await start();
    const c = await client(p.handle.address);
    await expect(c.call('.Upgrade')).rejects.toThrow(/^rpc: can't find method RPCServerDriver\.Upgrade$/);
    await expect(c.call('Nope.GetVersion')).rejects.toThrow("rpc: can't find service Nope.GetVersion");
    await expect(c.call('NoDot')).rejects.toThrow('rpc: service/method request ill-formed: NoDot');
    // An argument of the wrong type earns an error reply, not a broken stream.
    await expect(c.call('.SetConfigRaw', t.string, '{}')).rejects.toThrow('SetConfigRaw expects a []byte argument');
    expect(await c.getVersion()).toBe(1);
  });

  it('echoes a Seq beyond 2^53 exactly (Go sends uint64)', async () => {
    const p = await start();
    const r = await raw(p.handle.address);
    r.write('CONNECT /_goRPC_ HTTP/1.0\n\n');
    await r.read(CONNECTED.length);
    const seq = 2n ** 64n - 1n;
    const enc = new GobEncoder();
    r.write(enc.encode(RequestType, { ServiceMethod: 'RPCServerDriver.GetSSHPort', Seq: seq }));
    r.write(enc.encode(EmptyType, {}));
    const dec = new GobDecoder();
    let header: { value: unknown } | undefined;
    let body: { value: unknown } | undefined;
    while (!body) {
      dec.feed(await r.read(1));
      header ??= dec.next(ResponseType);
      if (header) body = dec.nextAny();
    }
    expect(header?.value).toEqual({ ServiceMethod: 'RPCServerDriver.GetSSHPort', Seq: seq, Error: '' });
    expect(body.value).toBe(2222);
  });

  it('never interleaves concurrent replies, large and small', async () => {
    const p = await start();
    p.double.config = { MachineName: 'big', Blob: 'z'.repeat(300_000) };
    const c = await client(p.handle.address);
    const calls = Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? c.getConfigRaw() : c.getVersion()));
    const results = await Promise.all(calls);
    results.forEach((r, i) => {
      if (i % 2 === 0) expect(r).toEqual(p.double.config);
      else expect(r).toBe(1);
    });
  });

  it('accepts the V0 service name RpcServerDriver', async () => {
    const p = await start();
    const c = await client(p.handle.address, 'RpcServerDriver');
    expect(await c.getVersion()).toBe(1);
    expect(await c.driverName()).toBe('double');
  });

  it('answers GetVersion and Heartbeat before the driver has loaded; other calls wait for it', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const p = await start({ createDriver: async (d) => gate.then(() => d) });
    const c = await client(p.handle.address);
    let named = false;
    const name = c.driverName().then((n) => {
      named = true;
      return n;
    });
    expect(await c.getVersion()).toBe(1);
    await c.heartbeat();
    expect(named).toBe(false);
    release();
    expect(await name).toBe('double');
  });

  it('reports a driver that failed to load on every driver call', async () => {
    const p = await start({
      createDriver: async () => {
        throw new Error('cannot find module x');
      },
    });
    const c = await client(p.handle.address);
    expect(await c.getVersion()).toBe(1);
    await expect(c.getCreateFlags()).rejects.toThrow('the driver failed to load: cannot find module x');
    expect(p.stderr.text).toContain('error: the driver failed to load: cannot find module x');
  });
});

describe('lifecycle', () => {
  it('exits 1 when no heartbeat arrives within the timeout, and heartbeats postpone it', async () => {
    const p = await start({ heartbeatTimeoutMs: 400 });
    const c = await client(p.handle.address);
    let last = 0;
    for (let i = 0; i < 6; i++) {
      await new Promise((r) => setTimeout(r, 150));
      await c.heartbeat();
      last = Date.now();
    }
    expect(p.exits).toEqual([]);
    expect(await p.exited).toBe(1);
    expect(Date.now() - last).toBeGreaterThanOrEqual(350);
    expect(p.stderr.text).toContain('no heartbeat for 0.4 s');
  });

  it('counts only the first connection’s heartbeats: a second connection cannot keep an orphaned plugin alive', async () => {
    const p = await start({ heartbeatTimeoutMs: 400 });
    const first = await client(p.handle.address);
    await first.heartbeat();
    const second = await client(p.handle.address);
    let beating = true;
    const beats = (async () => {
      while (beating) {
        await second.heartbeat().catch(() => {});
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    try {
      const code = await Promise.race([p.exited, new Promise((r) => setTimeout(() => r('alive'), 2_000))]);
      expect(code).toBe(1);
      expect(p.stderr.text).toContain('no heartbeat for 0.4 s');
    } finally {
      beating = false;
      await beats;
    }
  });

  it('exits 0 after the Close reply is out', async () => {
    const p = await start();
    const c = await client(p.handle.address);
    await c.call('.Close');
    expect(await p.exited).toBe(0);
    expect(p.exits).toEqual([0]);
  });

  it('prints only the address on stdout, first', async () => {
    const p = await start();
    expect(p.stdout.text).toBe(`${p.handle.address}\n`);
    expect(p.handle.address).toMatch(/^127\.0\.0\.1:\d+$/);
  });
});
