// One net/rpc connection, server side: the CONNECT exchange, then a gob request stream in and a gob response
// stream out. Calls run concurrently and are answered as they finish (net/rpc allows any order); each response
// (header + body) is encoded and written as one unit so that concurrent replies never interleave. A handler's
// rejection becomes the response's Error string; malformed bytes end only this connection.
//
// The socket is local but its bytes are not trusted (any local process can connect): messages are capped, a
// request is decoded against the type its method takes (bytes of wire-only fields are walked, never built),
// reading stops while too many replies are unsent, decoding yields to the event loop after a bounded slice of
// work so the heartbeat is always served, and a connection that stays silent (or never finishes its CONNECT) is
// closed.
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import {
  invoke,
  type MethodSpec,
  type ReplyKind,
  resolveMethod,
  type SessionHooks,
  UnknownMethodError,
} from '../dispatch';
import type { CreateFlag, Driver } from '../driver/interface';
import type { Logger } from '../log';
import { GobDecoder, GobError } from './gob/decoder';
import { GobEncoder } from './gob/encoder';
import type { GobType, GobValue } from './gob/types';
import { t } from './gob/types';
import { CONNECTED_RESPONSE, httpErrorResponse, judgeConnectRequest, MAX_HEAD_BYTES, scanHead } from './http-connect';
import {
  DriverOptionsType,
  driverOptionsFromGob,
  EmptyType,
  FlagSliceType,
  flagsToGob,
  REQUEST_INTERFACES,
  RequestType,
  ResponseType,
} from './wire';

/** What one plugin connection may cost; see the README's "Plugin socket limits". */
export interface ConnectionLimits {
  /**
   * Largest gob message accepted; a larger length prefix closes the connection. The largest legitimate request,
   * SetConfigFromFlags with 32 KiB of user data and every other flag, is well under 100 KiB.
   */
  maxMessageBytes: number;
  /** Calls read but not yet answered; reading pauses at this many. */
  maxInFlight: number;
  /** Reply bytes the peer has not taken yet (queued in the process, beyond the kernel's buffers); reading pauses. */
  maxUnsentBytes: number;
  /** Time to send a complete CONNECT head. */
  headTimeoutMs: number;
  /** A connection that sends nothing for this long, with no call running, is closed. */
  idleTimeoutMs: number;
  /** Decoding yields to the event loop after this much time or this many messages in one turn. */
  turnBudgetMs: number;
  turnMessages: number;
}

export const DEFAULT_CONNECTION_LIMITS: Readonly<ConnectionLimits> = {
  maxMessageBytes: 1024 * 1024,
  maxInFlight: 32,
  maxUnsentBytes: 256 * 1024,
  headTimeoutMs: 10_000,
  idleTimeoutMs: 30_000,
  turnBudgetMs: 5,
  turnMessages: 256,
};

export interface RpcConnectionOptions {
  socket: Socket;
  /** Resolves to the driver; requests wait for it, so the address can be printed before the driver is loaded. */
  driver: () => Promise<Driver>;
  hooks: SessionHooks;
  logger: Logger;
  limits?: Partial<ConnectionLimits>;
}

interface RequestHeader {
  serviceMethod: string;
  seq: number | bigint;
}

const EMPTY: GobValue = {};

function replyFor(kind: ReplyKind, value: unknown): { type: GobType; value: GobValue } {
  switch (kind) {
    case 'none':
      return { type: EmptyType, value: EMPTY };
    case 'int':
      if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
        throw new Error(`driver returned ${String(value)} where an integer was expected`);
      }
      return { type: t.int, value };
    case 'string':
      if (typeof value !== 'string') throw new Error(`driver returned a ${typeof value} where a string was expected`);
      return { type: t.string, value };
    case 'bytes':
      if (!(value instanceof Uint8Array)) throw new Error('driver returned something other than bytes');
      return { type: t.bytes, value };
    case 'flags':
      return { type: FlagSliceType, value: flagsToGob(value as CreateFlag[]) };
  }
}

/** The gob type a method's argument is decoded as; Go's client sends struct{} for "no argument". */
function argType(spec: MethodSpec): GobType {
  switch (spec.arg) {
    case 'none':
      return EmptyType;
    case 'bytes':
      return t.bytes;
    case 'driverOptions':
      return DriverOptionsType;
  }
}

const ARG_WORDS: Record<MethodSpec['arg'], string> = {
  none: 'an empty struct',
  bytes: 'a []byte',
  driverOptions: 'a DriverOptions (*rpcdriver.RPCFlags)',
};

/** Converts a decoded request body to what the dispatch table's ArgKind promises, or explains the mismatch. */
function argFor(spec: MethodSpec, body: GobValue): unknown {
  switch (spec.arg) {
    case 'none':
      return null;
    case 'bytes':
      if (body instanceof Uint8Array) return body;
      throw new Error('rpc: SetConfigRaw expects a []byte argument');
    case 'driverOptions':
      return driverOptionsFromGob(body);
  }
}

/** Serves one accepted socket until either side closes it. */
export function serveRpcConnection(opts: RpcConnectionOptions): void {
  const { socket, logger, hooks } = opts;
  const limits: ConnectionLimits = { ...DEFAULT_CONNECTION_LIMITS, ...opts.limits };
  const peer = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
  let head: Uint8Array | null = new Uint8Array(0);
  const decoder = new GobDecoder({ maxMessageBytes: limits.maxMessageBytes }, { interfaces: REQUEST_INTERFACES });
  const encoder = new GobEncoder();
  let pending: RequestHeader | null = null;
  let closed = false;
  /** Calls read whose reply has not been written yet. */
  let inFlight = 0;
  /** Calls whose handler has not settled; a long Create keeps the connection from counting as idle. */
  let running = 0;
  let paused = false;
  let pumpScheduled = false;
  let pumping = false;
  // A complete message plus one read's worth: beyond that, requests are queued faster than they are decoded.
  const maxBuffered = limits.maxMessageBytes + 64 * 1024;

  const drop = (why: string) => {
    if (closed) return;
    closed = true;
    logger.debug(`rpc: closing connection from ${peer}: ${why}`);
    socket.destroy();
  };

  socket.on('error', (err) => drop(`socket error: ${err.message}`));
  socket.on('close', () => {
    closed = true;
  });
  // Node's socket timeout counts inactivity in both directions (and not while a write makes progress).
  socket.setTimeout(limits.headTimeoutMs);
  socket.on('timeout', () => {
    if (head !== null) drop(`no complete CONNECT request within ${limits.headTimeoutMs} ms`);
    else if (running > 0) socket.setTimeout(limits.idleTimeoutMs);
    else drop(`idle for ${limits.idleTimeoutMs} ms`);
  });

  /** No new call starts while too many are unanswered or their replies are not being read. */
  const blocked = () => inFlight >= limits.maxInFlight || socket.writableLength >= limits.maxUnsentBytes;

  /** Reading stops while calls are blocked or requests are queued faster than they are decoded. */
  const updateFlow = () => {
    if (closed) return;
    const stop = blocked() || decoder.buffered > maxBuffered;
    if (stop && !paused) {
      paused = true;
      socket.pause();
    } else if (!stop && paused) {
      paused = false;
      socket.resume();
    }
  };

  socket.on('drain', () => schedulePump());

  const respond = (req: RequestHeader, error: string, type: GobType, value: GobValue, onFlushed?: () => void) => {
    if (closed) return;
    let body: Uint8Array;
    try {
      body = encoder.encode(type, value);
    } catch (err) {
      error = `rpc: cannot encode reply of ${req.serviceMethod}: ${(err as Error).message}`;
      body = encoder.encode(EmptyType, EMPTY);
    }
    const header = encoder.encode(ResponseType, { ServiceMethod: req.serviceMethod, Seq: req.seq, Error: error });
    const frame = new Uint8Array(header.length + body.length);
    frame.set(header, 0);
    frame.set(body, header.length);
    inFlight--;
    socket.write(frame, (err) => {
      if (err) drop(`write failed: ${err.message}`);
      else onFlushed?.();
    });
    schedulePump();
  };

  const dispatch = (req: RequestHeader, spec: MethodSpec, name: string, body: GobValue) => {
    let arg: unknown;
    try {
      arg = argFor(spec, body);
    } catch (err) {
      respond(req, (err as Error).message, EmptyType, EMPTY);
      return;
    }
    if (name !== 'Heartbeat') logger.debug(`rpc: ${req.serviceMethod} (seq ${req.seq})`);
    const driverFree = name === 'GetVersion' || name === 'Heartbeat' || name === 'Close';
    running++;
    const run = driverFree
      ? invoke(unusedDriver, spec, arg, hooks)
      : opts.driver().then((d) => invoke(d, spec, arg, hooks));
    run
      .then(
        (reply) => {
          let encoded: { type: GobType; value: GobValue };
          try {
            encoded = replyFor(spec.reply, reply);
          } catch (err) {
            respond(req, (err as Error).message, EmptyType, EMPTY);
            return;
          }
          respond(req, '', encoded.type, encoded.value, name === 'Close' ? () => hooks.close() : undefined);
        },
        (err: unknown) => {
          const message = err instanceof Error ? err.message : String(err);
          logger.debug(`rpc: ${req.serviceMethod} (seq ${req.seq}) failed: ${message}`);
          // An empty Error would read as success to the client, so a message-less rejection still says something.
          respond(req, message || `${name} failed`, EmptyType, EMPTY);
        },
      )
      .finally(() => {
        running--;
      });
  };

  /** Reads one request (header, then body) and starts it; false when more bytes are needed. */
  const step = (): boolean => {
    if (pending === null) {
      const h = decoder.next(RequestType);
      if (h === undefined) return false;
      const v = h.value as { ServiceMethod?: GobValue; Seq?: GobValue };
      const seq = v.Seq ?? 0;
      pending = {
        serviceMethod: typeof v.ServiceMethod === 'string' ? v.ServiceMethod : '',
        seq: typeof seq === 'bigint' || typeof seq === 'number' ? seq : 0,
      };
    }
    const req = pending;
    let resolved: ReturnType<typeof resolveMethod> | undefined;
    let unknown: string | undefined;
    try {
      resolved = resolveMethod(req.serviceMethod);
    } catch (err) {
      if (!(err instanceof UnknownMethodError)) throw err;
      unknown = err.message;
    }
    if (resolved === undefined) {
      // Go reads and discards the body of a call it cannot serve; so do we, without building it.
      if (!decoder.skipNext()) return false;
      pending = null;
      inFlight++;
      logger.debug(unknown ?? '');
      respond(req, unknown ?? 'rpc: unknown method', EmptyType, EMPTY);
      return true;
    }
    // The body is decoded against the method's argument type: a wrongly typed argument earns an error reply, as
    // from Go, and the stream stays in step; fields the argument type does not have are skipped unbuilt.
    let body: { value: GobValue } | undefined;
    try {
      body = decoder.next(argType(resolved.spec));
    } catch (err) {
      if (!(err instanceof GobError) || decoder.broken) throw err;
      pending = null;
      inFlight++;
      respond(
        req,
        `rpc: ${resolved.name} expects ${ARG_WORDS[resolved.spec.arg]} argument: ${err.message}`,
        EmptyType,
        EMPTY,
      );
      return true;
    }
    if (body === undefined) return false;
    pending = null;
    inFlight++;
    dispatch(req, resolved.spec, resolved.name, body.value);
    return true;
  };

  /**
   * Decodes what is buffered, a bounded slice per event-loop turn, so no peer can keep the loop to itself. Calls
   * that answer at once (GetVersion, Heartbeat, errors) free their slot within a few microtasks, so a pipelining
   * client is not slowed to one batch per turn; slower ones wake the pump when they answer.
   */
  const pump = async () => {
    pumpScheduled = false;
    if (pumping || closed) return;
    pumping = true;
    const deadline = performance.now() + limits.turnBudgetMs;
    let n = 0;
    try {
      while (!closed) {
        for (let spins = 0; blocked() && spins < 8 && performance.now() < deadline; spins++) await null;
        if (closed || blocked()) break;
        let progressed: boolean;
        try {
          progressed = step();
        } catch (err) {
          drop(`undecodable request stream: ${(err as Error).message}`);
          return;
        }
        if (!progressed) break;
        if (++n >= limits.turnMessages || performance.now() >= deadline) {
          schedulePump();
          break;
        }
      }
    } finally {
      pumping = false;
    }
    updateFlow();
  };

  const schedulePump = () => {
    if (pumpScheduled || pumping || closed) return;
    pumpScheduled = true;
    setImmediate(pump);
  };

  const onHead = (chunk: Uint8Array) => {
    const buf: Uint8Array = head && head.length > 0 ? Buffer.concat([head, chunk]) : chunk;
    const scan = scanHead(buf, MAX_HEAD_BYTES);
    if (!scan.done) {
      head = buf;
      return;
    }
    head = null;
    if (scan.tooLarge) {
      socket.end(httpErrorResponse('431 Request Header Fields Too Large', 'request head too large\n'));
      closed = true;
      logger.debug(`rpc: rejected connection from ${peer}: request head too large`);
      return;
    }
    const verdict = judgeConnectRequest(scan.lines);
    if (!verdict.ok) {
      socket.end(httpErrorResponse(verdict.status, verdict.body));
      closed = true;
      logger.debug(`rpc: rejected connection from ${peer}: ${verdict.reason}`);
      return;
    }
    socket.setTimeout(limits.idleTimeoutMs);
    socket.write(CONNECTED_RESPONSE);
    if (scan.rest.length > 0) onRpc(scan.rest);
  };

  const onRpc = (chunk: Uint8Array) => {
    try {
      decoder.feed(chunk);
    } catch (err) {
      drop(`undecodable request stream: ${(err as Error).message}`);
      return;
    }
    if (pumpScheduled || pumping) updateFlow();
    else void pump();
  };

  socket.on('data', (chunk: Buffer) => {
    if (closed) return;
    if (head !== null) onHead(chunk);
    else onRpc(chunk);
  });
}

/** Stands in for the driver in calls the dispatch table answers itself (GetVersion, Heartbeat, Close). */
const unusedDriver: Driver = new Proxy({} as Driver, {
  get: () => () => Promise.reject(new Error('internal error: this call does not use the driver')),
});
