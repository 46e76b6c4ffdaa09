// Plugin socket attacks (issue 13, point 4): for each attack, start the plugin as a child process, keep a legit
// rancher-machine-like session on it (a Create in flight, a heartbeat every 500 ms), run the attack over loopback
// with bounded counts and time, and print the plugin's peak RSS, the slowest heartbeat, whether the plugin survived
// and whether the Create completed, plus what the attack itself is after (open fds, connections left open).
//
// The plugin is the DoubleDriver entry (driver/test/fixtures/plugin-double.ts: the real transport, a driver whose
// Create just waits) under Node; with --binary the given executable runs instead (the real Hetzner driver: then the
// legit call is a GetCreateFlags after the attack instead of a Create during it). The child's fd limit is set to
// 1024, as in a typical container.
//
//   npx tsx scripts/bench/plugin-attacks.ts [--attack bomb,unread,big,half-open,idle] [--binary <path>]
//        [--bomb 300] [--unread 150000] [--big 40] [--half-open 200] [--idle 1100] [--hold-s 12]

import { readdirSync, readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { resolve } from 'node:path';
import { PluginClient } from '../../driver/src/plugin/client';
import { GobDecoder } from '../../driver/src/plugin/gob/decoder';
import { GobEncoder } from '../../driver/src/plugin/gob/encoder';
import { CONNECT_REQUEST } from '../../driver/src/plugin/http-connect';
import { RequestType, ResponseType } from '../../driver/src/plugin/wire';
import { bombRequests, HALF_CONNECT, messagePrefix, pipelinedCalls } from '../../driver/test/fixtures/plugin-attacks';
import { doublePluginCommand } from '../../driver/test/fixtures/plugin-command';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const HOLD_MS = Number(arg('hold-s', '12')) * 1000;
const FD_LIMIT = 1024;

function procStatus(pid: number, key: string): number {
  try {
    const m = new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

function fdCount(pid: number): number {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return 0;
  }
}

function openSocket(address: string): Promise<Socket> {
  const [host, port] = address.split(':');
  return new Promise((resolve, reject) => {
    const s = connect({ host: host!, port: Number(port) }, () => resolve(s));
    s.once('error', reject);
  });
}

/** Connections opened by an attack, and how many of them the plugin has closed. */
class Crowd {
  readonly sockets: Socket[] = [];
  closedByPeer = 0;
  async open(address: string, first: string | Uint8Array): Promise<Socket | null> {
    let s: Socket;
    try {
      s = await openSocket(address);
    } catch {
      return null;
    }
    s.on('error', () => {});
    s.on('close', () => this.closedByPeer++);
    s.on('data', () => {});
    s.write(first);
    this.sockets.push(s);
    return s;
  }
  get stillOpen(): number {
    return this.sockets.length - this.closedByPeer;
  }
  end(): void {
    for (const s of this.sockets) s.destroy();
  }
}

type Attack = (address: string) => Promise<string>;

const ATTACKS: Record<string, Attack> = {
  /** ~40-byte calls whose argument type names an absent [4000000]bool field, pipelined on one connection. */
  async bomb(address) {
    const n = Number(arg('bomb', '300'));
    const s = await openSocket(address);
    s.on('error', () => {});
    const dec = new GobDecoder();
    let replies = 0;
    let head = true;
    let closed = false;
    s.on('close', () => {
      closed = true;
    });
    s.on('data', (chunk: Buffer) => {
      let c: Uint8Array = chunk;
      if (head) {
        const nl = chunk.indexOf('\n\n');
        if (nl < 0) return;
        head = false;
        c = chunk.subarray(nl + 2);
      }
      dec.feed(c);
      try {
        while (dec.next(ResponseType) !== undefined) {
          while (dec.nextAny() === undefined) return;
          replies++;
        }
      } catch {
        s.destroy();
      }
    });
    const payload = bombRequests(n);
    s.write(payload);
    const deadline = Date.now() + 30_000;
    while (replies < n && !closed && Date.now() < deadline) await sleep(50);
    s.destroy();
    return `${n} calls (${(payload.length / 1024).toFixed(1)} KB): ${replies} answered`;
  },

  /** Pipelined GetVersion calls whose replies are never read. */
  async unread(address) {
    const n = Number(arg('unread', '150000'));
    const s = await openSocket(address);
    s.on('error', () => {});
    s.pause();
    s.write(pipelinedCalls(n));
    await sleep(HOLD_MS);
    s.destroy();
    return `${n} calls sent, replies never read, held ${HOLD_MS / 1000} s`;
  },

  /** Connections that each send a header, then all but the last byte of a 16 MiB − 1 message. */
  async big(address) {
    const n = Number(arg('big', '40'));
    const size = 16 * 1024 * 1024 - 1;
    const enc = new GobEncoder();
    const crowd = new Crowd();
    const filler = Buffer.alloc(size - 1);
    for (let i = 0; i < n; i++) {
      const header = enc.encode(RequestType, { ServiceMethod: 'RPCServerDriver.SetConfigRaw', Seq: i });
      const s = await crowd.open(address, Buffer.concat([Buffer.from(CONNECT_REQUEST), header, messagePrefix(size)]));
      s?.write(filler);
    }
    await sleep(HOLD_MS / 2);
    const open = crowd.stillOpen;
    crowd.end();
    return `${n} connections × 16 MiB − 1: ${open} still open after ${HOLD_MS / 2000} s`;
  },

  /** Connections that send a CONNECT line but never the blank line that ends the head. */
  async 'half-open'(address) {
    const n = Number(arg('half-open', '200'));
    const crowd = new Crowd();
    for (let i = 0; i < n; i++) await crowd.open(address, HALF_CONNECT);
    await sleep(HOLD_MS);
    const open = crowd.stillOpen;
    crowd.end();
    return `${n} half-sent heads: ${open} still open after ${HOLD_MS / 1000} s`;
  },

  /** Connections that complete CONNECT and then say nothing. */
  async idle(address) {
    const n = Number(arg('idle', '1100'));
    const crowd = new Crowd();
    for (let i = 0; i < n; i++) await crowd.open(address, CONNECT_REQUEST);
    await sleep(HOLD_MS * 3);
    const open = crowd.stillOpen;
    crowd.end();
    return `${n} idle connections: ${open} still open after ${(HOLD_MS * 3) / 1000} s`;
  },
};

interface Row {
  attack: string;
  detail: string;
  rssBaseMb: number;
  rssPeakMb: number;
  fdPeak: number;
  heartbeatMaxMs: number;
  heartbeatsFailed: number;
  survived: string;
  legitCall: string;
}

async function runAttack(name: string, attack: Attack, binary: string | undefined): Promise<Row> {
  const base = binary ? { command: resolve(binary), args: [] as string[] } : doublePluginCommand();
  const attackWindowMs = name === 'idle' ? HOLD_MS * 3 + 5_000 : HOLD_MS + 5_000;
  const plugin = await PluginClient.spawn({
    // The child gets the fd limit of a typical container; the bench itself keeps its own.
    command: 'sh',
    args: ['-c', `ulimit -n ${FD_LIMIT} && exec "$0" "$@"`, base.command, ...base.args],
    env: { ...process.env, DOUBLE_CREATE_DELAY_MS: String(attackWindowMs) },
    onStdout: () => {},
    onStderr: () => {},
  });
  const pid = plugin.process?.pid ?? 0;
  await plugin.getVersion();
  const rssBase = procStatus(pid, 'VmRSS');
  let fdPeak = fdCount(pid);
  let exited: string | null = null;
  void plugin.exited.then((e) => {
    exited = `exited (code ${e.code}, signal ${e.signal})`;
  });

  let heartbeatMax = 0;
  let heartbeatsFailed = 0;
  let beating = true;
  let pendingSince: number | null = null;
  const beats = (async () => {
    while (beating && exited === null) {
      const t0 = performance.now();
      pendingSince = t0;
      try {
        await plugin.heartbeat();
        pendingSince = null;
        heartbeatMax = Math.max(heartbeatMax, performance.now() - t0);
      } catch {
        heartbeatsFailed++;
        heartbeatMax = Math.max(heartbeatMax, performance.now() - t0);
        return;
      }
      await sleep(500);
    }
  })();
  const sampler = setInterval(() => {
    fdPeak = Math.max(fdPeak, fdCount(pid));
  }, 200);

  const legit: Promise<string> = binary
    ? Promise.resolve('')
    : plugin.create().then(
        () => 'Create completed',
        (err: Error) => `Create failed: ${err.message}`,
      );
  const t0 = Date.now();
  let detail: string;
  try {
    detail = await attack(plugin.address);
  } catch (err) {
    detail = `attack error: ${(err as Error).message}`;
  }
  let legitResult: string;
  if (binary) {
    legitResult = await plugin.getCreateFlags().then(
      (f) => `GetCreateFlags ok (${f.length} flags)`,
      (err: Error) => `GetCreateFlags failed: ${err.message}`,
    );
  } else {
    legitResult = await Promise.race([
      legit,
      sleep(Math.max(0, attackWindowMs + 10_000 - (Date.now() - t0))).then(() => 'Create never answered'),
    ]);
  }
  const rssPeak = procStatus(pid, 'VmHWM');
  beating = false;
  clearInterval(sampler);
  // A heartbeat still unanswered counts with the time it has waited so far.
  const stuck = pendingSince === null ? 0 : performance.now() - pendingSince;
  if (stuck > 0) heartbeatMax = Math.max(heartbeatMax, stuck);
  const survived = exited ?? (stuck > 2_000 ? `unresponsive (heartbeat pending ${Math.round(stuck)} ms)` : 'alive');
  plugin.process?.kill('SIGKILL');
  plugin.disconnect();
  await beats;
  return {
    attack: name,
    detail,
    rssBaseMb: Math.round(rssBase / 1024),
    rssPeakMb: Math.round(rssPeak / 1024),
    fdPeak,
    heartbeatMaxMs: Math.round(heartbeatMax),
    heartbeatsFailed,
    survived,
    legitCall: legitResult,
  };
}

async function main(): Promise<void> {
  const binary = arg('binary', '') || undefined;
  const names = arg('attack', Object.keys(ATTACKS).join(',')).split(',');
  console.log(
    `plugin: ${binary ?? 'DoubleDriver entry under Node (tsx)'}; fd limit ${FD_LIMIT}; hold ${HOLD_MS / 1000} s`,
  );
  const rows: Row[] = [];
  for (const name of names) {
    const attack = ATTACKS[name];
    if (!attack) throw new Error(`unknown attack ${name}; known: ${Object.keys(ATTACKS).join(', ')}`);
    const row = await runAttack(name, attack, binary);
    rows.push(row);
    console.log(
      `${row.attack.padEnd(10)} RSS ${row.rssBaseMb} → peak ${row.rssPeakMb} MB | fds peak ${row.fdPeak} | ` +
        `heartbeat max ${row.heartbeatMaxMs} ms${row.heartbeatsFailed ? ' (failed)' : ''} | ${row.survived} | ` +
        `${row.legitCall} | ${row.detail}`,
    );
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
