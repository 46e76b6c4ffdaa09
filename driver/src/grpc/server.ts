// The gRPC transport: one unary handler per entry of the dispatch table, so that every method the gob transport
// serves is served here too, with the same Driver calls and the same error messages.
import { createHash, timingSafeEqual } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { invoke, METHODS, type MethodName, type MethodSpec, type SessionHooks } from '../dispatch';
import { redactConfigSecrets } from '../driver/config';
import type { Driver } from '../driver/interface';
import { decodeArg, encodeReply } from './codec';
import { DRIVER_SERVICE } from './definition';

const noop = () => {};

/** What a caller must send as `authorization: Bearer <secret>` metadata on every call, when a secret is set. */
export const SECRET_METADATA_KEY = 'authorization';

export interface GrpcSecurity {
  /** Shared secret every call must carry; unset, calls are not authenticated (loopback only). */
  secret?: string;
}

/** Constant-time: both sides are hashed to the same length first, so neither length nor content leaks by timing. */
function secretMatches(expected: string, metadata: grpc.Metadata): boolean {
  const given = metadata.get(SECRET_METADATA_KEY)[0];
  const text = typeof given === 'string' ? given : (given?.toString('utf8') ?? '');
  const bearer = /^Bearer (.+)$/.exec(text)?.[1] ?? '';
  const a = createHash('sha256').update(`Bearer ${expected}`).digest();
  const b = createHash('sha256').update(`Bearer ${bearer}`).digest();
  return timingSafeEqual(a, b) && bearer !== '';
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function handler(
  driver: Driver,
  name: MethodName,
  spec: MethodSpec,
  hooks: SessionHooks,
  security: GrpcSecurity,
): grpc.handleUnaryCall<unknown, unknown> {
  return (call, callback) => {
    if (security.secret !== undefined && !secretMatches(security.secret, call.metadata)) {
      callback({
        code: grpc.status.UNAUTHENTICATED,
        details: `${name}: missing or wrong shared secret (send metadata "authorization: Bearer <HETZNER_GRPC_SECRET>")`,
      });
      return;
    }
    let arg: unknown;
    try {
      arg = decodeArg(spec.arg, call.request);
    } catch (err) {
      callback({ code: grpc.status.INVALID_ARGUMENT, details: `${name}: ${message(err)}` });
      return;
    }
    invoke(driver, spec, arg, hooks).then(
      (reply) => {
        let wire: unknown;
        try {
          // The token never leaves through gRPC, whoever asks: unlike rancher-machine, no caller needs it back.
          const out = name === 'GetConfigRaw' ? redactConfigSecrets(reply as Uint8Array) : reply;
          wire = encodeReply(spec.reply, out as never);
        } catch (err) {
          // The driver returned something the proto cannot carry: our bug, not the caller's.
          callback({ code: grpc.status.INTERNAL, details: `${name}: ${message(err)}` });
          return;
        }
        callback(null, wire);
        // The reply's stream is open once the callback has run, so a graceful shutdown (tryShutdown) started by
        // the hook waits for it to be delivered instead of cutting it off.
        if (name === 'Close') setImmediate(hooks.close);
      },
      // Like the gob transport: the driver's message verbatim, so clients of either see the same text.
      (err) => callback({ code: grpc.status.UNKNOWN, details: message(err) }),
    );
  };
}

/** Builds the unimplemented-free handler map for the Driver service. */
export function driverServiceImplementation(
  driver: Driver,
  hooks: Partial<SessionHooks> = {},
  security: GrpcSecurity = {},
): grpc.UntypedServiceImplementation {
  const session: SessionHooks = { heartbeat: hooks.heartbeat ?? noop, close: hooks.close ?? noop };
  const impl: grpc.UntypedServiceImplementation = {};
  for (const [name, spec] of Object.entries(METHODS) as [MethodName, MethodSpec][]) {
    impl[name] = handler(driver, name, spec, session, security);
  }
  return impl;
}

/**
 * A gRPC server exposing `driver` as the Driver service of proto/driver.proto. `hooks.close` runs after the Close
 * reply has been handed to the transport; `hooks.heartbeat` on every Heartbeat. Bind it with `bindGrpcServer`.
 */
export function createGrpcServer(
  driver: Driver,
  hooks: Partial<SessionHooks> = {},
  security: GrpcSecurity = {},
): grpc.Server {
  const server = new grpc.Server();
  server.addService(DRIVER_SERVICE, driverServiceImplementation(driver, hooks, security));
  return server;
}

export interface BoundAddress {
  host: string;
  port: number;
  /** host:port with the actual port, brackets around IPv6 hosts: what clients dial. */
  address: string;
}

/** Splits "HOST:PORT" / "[V6]:PORT", validating the port; throws an Error naming the bad part. */
export function parseListenAddress(listen: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(listen);
  const port = m ? Number(m[3]) : Number.NaN;
  if (!m || port > 65535) {
    throw new Error(`invalid listen address "${listen}": expected HOST:PORT (e.g. 127.0.0.1:50051 or [::1]:0)`);
  }
  return { host: (m[1] ?? m[2]) as string, port };
}

/**
 * Binds without TLS (the transport is meant for loopback tooling) and starts serving; port 0 picks a free port.
 * Resolves with the address actually bound.
 */
export function bindGrpcServer(
  server: grpc.Server,
  listen = '127.0.0.1:0',
  credentials: grpc.ServerCredentials = grpc.ServerCredentials.createInsecure(),
): Promise<BoundAddress> {
  let host: string;
  try {
    host = parseListenAddress(listen).host;
  } catch (err) {
    return Promise.reject(err);
  }
  return new Promise((resolve, reject) => {
    server.bindAsync(listen, credentials, (err, port) => {
      if (err) {
        reject(new Error(`cannot listen on ${listen}: ${err.message}`));
        return;
      }
      const hostPart = host.includes(':') ? `[${host}]` : host;
      resolve({ host, port, address: `${hostPart}:${port}` });
    });
  });
}

/**
 * Graceful stop: refuses new calls, lets running ones (a Close reply, a long Create) finish, and forces the rest
 * after `graceMs` so a client that keeps its channel open cannot hold the process forever.
 */
export function shutdownGrpcServer(server: grpc.Server, graceMs = 5_000): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, graceMs);
    server.tryShutdown(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
