// The plugin socket under hostile local input (issue 13, point 4): wire-only fields are skipped without being
// built, messages are capped, reading stops while replies pile up unsent, silent and half-open connections are
// closed, the number of connections is capped, and decoding never starves the heartbeat. Reduced forms of the
// attacks in scripts/bench/plugin-attacks.ts; the figures live there, these only check the behaviour.
import { afterEach, describe, expect, it } from 'vitest';
import { PluginClient } from '../../src/plugin/client';
import { GobDecoder, GobError } from '../../src/plugin/gob/decoder';
import { GobEncoder } from '../../src/plugin/gob/encoder';
import { t } from '../../src/plugin/gob/types';
import { CONNECT_REQUEST } from '../../src/plugin/http-connect';
import { HEAD_TIMEOUT_ENV } from '../../src/plugin/serve';
import { EmptyType, RequestType, ResponseType } from '../../src/plugin/wire';
import {
  BombType,
  bombHeaderRequest,
  bombRequests,
  HALF_CONNECT,
  messagePrefix,
  pipelinedCalls,
} from '../fixtures/plugin-attacks';
import { doublePluginCommand } from '../fixtures/plugin-command';
import { type InProcessPlugin, RawConnection, startInProcess } from './helpers';

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

async function client(address: string): Promise<PluginClient> {
  const c = await PluginClient.connect(address, { connectTimeoutMs: 2_000 });
  clients.push(c);
  return c;
}

async function raw(address: string): Promise<RawConnection> {
  const r = await RawConnection.open(address);
  raws.push(r);
  return r;
}

const CONNECTED = 'HTTP/1.0 200 Connected to Go RPC\n\n';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Reads `count` responses (header + body) from a raw connection's gob stream. */
async function readResponses(r: RawConnection, count: number, timeoutMs = 10_000): Promise<{ Error?: string }[]> {
  const dec = new GobDecoder();
  const out: { Error?: string }[] = [];
  const deadline = Date.now() + timeoutMs;
  while (out.length < count) {
    dec.feed(await r.readSome(Math.max(1, deadline - Date.now())));
    for (;;) {
      const h = dec.next(ResponseType);
      if (h === undefined) break;
      while (dec.nextAny() === undefined) dec.feed(await r.readSome(Math.max(1, deadline - Date.now())));
      out.push(h.value as { Error?: string });
    }
  }
  return out;
}

describe('decoding against the expected type', () => {
  it('skips a wire-only field that names a [4000000]bool without building it', () => {
    // maxElements bounds what the decoder may build; skipping builds nothing, so 1000 is plenty.
    const dec = new GobDecoder({ maxElements: 1000 });
    dec.feed(bombHeaderRequest('RPCServerDriver.Heartbeat', 7));
    expect(dec.next(RequestType)?.value).toEqual({ ServiceMethod: 'RPCServerDriver.Heartbeat', Seq: 7 });
    expect(dec.next(EmptyType)?.value).toEqual({});
    expect(dec.buffered).toBe(0);
  });

  it('skips whole values unbuilt, and a skipped array cannot claim more elements than bytes left', () => {
    const enc = new GobEncoder();
    const dec = new GobDecoder({ maxElements: 1000 });
    dec.feed(enc.encode(BombType, {}));
    expect(dec.skipNext()).toBe(true);
    expect(dec.buffered).toBe(0);

    // A present Pad that announces all its BOMB_ARRAY_LEN (0x3d0900) elements but carries three.
    const typedefs = new GobEncoder().encode(BombType, {});
    const valueMessage = Buffer.from([0xff, 0x82, 0x01, 0xfd, 0x3d, 0x09, 0x00, 0x01, 0x01, 0x01, 0x00]);
    const bad = new GobDecoder();
    bad.feed(typedefs.subarray(0, typedefs.length - 4));
    bad.feed(Buffer.concat([messagePrefix(valueMessage.length), valueMessage]));
    expect(() => bad.next(EmptyType)).toThrow(/array count 4000000 exceeds the remaining message/);
  });

  it('decodes interface values into their registered types only', () => {
    const holder = t.struct('Holder', { V: t.interface });
    const registry = new Map([['*x.Known', t.struct('Known', { A: t.int })]]);
    const enc = new GobEncoder();
    const known = enc.encode(holder, {
      V: { name: '*x.Known', type: t.struct('Known', { A: t.int, Bomb: BombType }), value: { A: 5, Bomb: {} } },
    });
    const unknown = enc.encode(holder, { V: { name: '*x.Other', type: t.int, value: 3 } });
    const dec = new GobDecoder({ maxElements: 1000 }, { interfaces: registry });
    dec.feed(known);
    dec.feed(unknown);
    const v = dec.next(holder)?.value as { V: { name: string; value: unknown } };
    expect(v.V.name).toBe('*x.Known');
    expect(v.V.value).toEqual({ A: 5 });
    expect(() => dec.next(holder)).toThrow(GobError);
    expect(() => dec.next(holder)).not.toThrow(); // the error did not break the stream; nothing is left
  });
});

describe('plugin socket limits', () => {
  it('keeps heartbeats and a Create going through a pipelined flood of wire-only [4000000]bool arguments', async () => {
    const p = await start({ heartbeatTimeoutMs: 1_000 });
    p.double.createDelayMs = 1_500;
    const legit = await PluginClient.connect(p.handle.address, { heartbeatIntervalMs: 100 });
    clients.push(legit);
    const create = legit.create();
    const attacker = await raw(p.handle.address);
    // Unfixed, each of these cost ~40 ms of CPU: 100 of them held the event loop for seconds.
    attacker.write(bombRequests(100));
    expect((await attacker.read(CONNECTED.length)).toString()).toBe(CONNECTED);
    const replies = await readResponses(attacker, 100);
    expect(replies.every((r) => !r.Error)).toBe(true);
    await create;
    expect(p.exits).toEqual([]);
  }, 30_000);

  it('closes a connection that announces a message above 1 MiB, and still takes a 900 KiB config', async () => {
    const p = await start();
    const r = await raw(p.handle.address);
    const enc = new GobEncoder();
    r.write(CONNECT_REQUEST);
    r.write(enc.encode(RequestType, { ServiceMethod: 'RPCServerDriver.SetConfigRaw', Seq: 0 }));
    r.write(Buffer.concat([messagePrefix(2 * 1024 * 1024), Buffer.alloc(1024)]));
    expect((await r.readToEnd(3_000)).toString()).toBe(CONNECTED);

    const c = await client(p.handle.address);
    await c.setConfigRaw({ MachineName: 'big', Padding: 'x'.repeat(900 * 1024) });
    expect(await c.getMachineName()).toBe('big');
  });

  it('closes a half-sent CONNECT head and an idle connection, but not one whose call is still running', async () => {
    const p = await start({ socketLimits: { headTimeoutMs: 200, idleTimeoutMs: 400 } });
    p.double.createDelayMs = 1_000;
    const half = await raw(p.handle.address);
    half.write(HALF_CONNECT);
    const idle = await raw(p.handle.address);
    idle.write(CONNECT_REQUEST);
    const busy = await client(p.handle.address);
    const started = Date.now();
    const creating = busy.create();
    expect((await half.readToEnd(3_000)).length).toBe(0);
    expect((await idle.readToEnd(3_000)).toString()).toBe(CONNECTED);
    await creating;
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
    expect(await busy.getVersion()).toBe(1);
  });

  it('takes timeouts from the environment (HETZNER_PLUGIN_HEAD_TIMEOUT_MS)', async () => {
    const cmd = doublePluginCommand();
    const c = await PluginClient.spawn({
      command: cmd.command,
      args: cmd.args,
      env: { ...process.env, [HEAD_TIMEOUT_ENV]: '300' },
    });
    try {
      const half = await raw(c.address);
      half.write(HALF_CONNECT);
      expect((await half.readToEnd(3_000)).length).toBe(0);
      expect(await c.getVersion()).toBe(1);
    } finally {
      await c.close().catch(() => {});
    }
  });

  it('refuses connections beyond the cap and accepts again once one closes', async () => {
    const p = await start({ socketLimits: { maxConnections: 3 } });
    const open = [await client(p.handle.address), await client(p.handle.address), await client(p.handle.address)];
    const extra = await raw(p.handle.address);
    extra.write(CONNECT_REQUEST);
    expect((await extra.readToEnd(3_000)).length).toBe(0);
    for (const c of open) expect(await c.getVersion()).toBe(1);
    open[0]!.disconnect();
    for (let i = 0; ; i++) {
      const again = await raw(p.handle.address);
      again.write(CONNECT_REQUEST);
      const ok = await again
        .read(CONNECTED.length, 1_000)
        .then(() => true)
        .catch(() => false);
      if (ok) break;
      if (i > 20) throw new Error('no slot freed after a client left');
      await sleep(50);
    }
  });

  it('stops reading requests while their replies are not read, and serves them all once they are', async () => {
    const p = await start();
    const r = await raw(p.handle.address);
    r.socket.pause();
    const total = 20_000; // ~9 MB of GetCreateFlags replies: more than the kernel buffers between the two sockets
    r.write(pipelinedCalls(total, 'RPCServerDriver.GetCreateFlags'));
    const served = () => p.double.calls.filter((c) => c === 'getCreateFlags').length;
    let last = -1;
    for (let i = 0; i < 60 && served() !== last; i++) {
      last = served();
      await sleep(150);
    }
    expect(served()).toBeLessThan(total / 2);
    r.socket.resume();
    expect((await r.read(CONNECTED.length)).toString()).toBe(CONNECTED);
    const replies = await readResponses(r, total, 20_000);
    expect(replies.length).toBe(total);
    expect(served()).toBe(total);
  }, 30_000);
});
