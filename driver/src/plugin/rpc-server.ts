// One net/rpc connection, server side: the CONNECT exchange, then a gob request stream in and a gob response
// stream out. Calls run concurrently and are answered as they finish (net/rpc allows any order); each response
// (header + body) is encoded and written as one unit so that concurrent replies never interleave. A handler's
// rejection becomes the response's Error string; malformed bytes end only this connection.
import type { Socket } from 'node:net';
import type { CreateFlag, Driver, Logger } from '../driver/interface';
import {
  invoke,
  type MethodSpec,
  type ReplyKind,
  resolveMethod,
  type SessionHooks,
  UnknownMethodError,
} from './dispatch';
import { GobDecoder } from './gob/decoder';
import { GobEncoder } from './gob/encoder';
import type { GobType, GobValue } from './gob/types';
import { t } from './gob/types';
import { CONNECTED_RESPONSE, httpErrorResponse, judgeConnectRequest, MAX_HEAD_BYTES, scanHead } from './http-connect';
import { driverOptionsFromGob, EmptyType, FlagSliceType, flagsToGob, RequestType, ResponseType } from './wire';

export interface RpcConnectionOptions {
  socket: Socket;
  /** Resolves to the driver; requests wait for it, so the address can be printed before the driver is loaded. */
  driver: () => Promise<Driver>;
  hooks: SessionHooks;
  logger: Logger;
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
  const peer = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
  let head: Uint8Array | null = new Uint8Array(0);
  const decoder = new GobDecoder();
  const encoder = new GobEncoder();
  let pending: RequestHeader | null = null;
  let closed = false;

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
    socket.write(frame, (err) => {
      if (err) drop(`write failed: ${err.message}`);
      else onFlushed?.();
    });
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
    const run = driverFree
      ? invoke(unusedDriver, spec, arg, hooks)
      : opts.driver().then((d) => invoke(d, spec, arg, hooks));
    run.then(
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
    );
  };

  const pump = () => {
    while (!closed) {
      if (pending === null) {
        const h = decoder.next(RequestType);
        if (h === undefined) return;
        const v = h.value as { ServiceMethod?: GobValue; Seq?: GobValue };
        const seq = v.Seq ?? 0;
        pending = {
          serviceMethod: typeof v.ServiceMethod === 'string' ? v.ServiceMethod : '',
          seq: typeof seq === 'bigint' || typeof seq === 'number' ? seq : 0,
        };
      }
      // Bodies are decoded by their wire type and checked afterwards: a wrongly typed argument then earns an error
      // reply, as from Go, instead of a broken stream.
      const b = decoder.nextAny();
      if (b === undefined) return;
      const req = pending;
      pending = null;
      let resolved: ReturnType<typeof resolveMethod>;
      try {
        resolved = resolveMethod(req.serviceMethod);
      } catch (err) {
        if (!(err instanceof UnknownMethodError)) throw err;
        logger.debug(err.message);
        respond(req, err.message, EmptyType, EMPTY);
        continue;
      }
      dispatch(req, resolved.spec, resolved.name, b.value);
    }
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
    socket.write(CONNECTED_RESPONSE);
    if (scan.rest.length > 0) onRpc(scan.rest);
  };

  const onRpc = (chunk: Uint8Array) => {
    try {
      decoder.feed(chunk);
      pump();
    } catch (err) {
      drop(`undecodable request stream: ${(err as Error).message}`);
    }
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
