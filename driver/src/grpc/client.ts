// A typed client for the gRPC Driver service, for tests and tooling: `call('GetState')` resolves with the same
// value types the Driver interface uses, so results compare directly with what a driver returned.
import * as grpc from '@grpc/grpc-js';
import { type ArgOf, METHODS, type MethodName, type ReplyOf } from '../dispatch';
import { decodeReply, encodeArg } from './codec';
import { DRIVER_SERVICE } from './definition';

type Spec<N extends MethodName> = (typeof METHODS)[N];
/** The argument a method takes, as a tuple: none for most, bytes for SetConfigRaw, options for SetConfigFromFlags. */
export type ArgsFor<N extends MethodName> = Spec<N>['arg'] extends 'none' ? [] : [ArgOf<Spec<N>['arg']>];
export type ReplyFor<N extends MethodName> = ReplyOf<Spec<N>['reply']>;

export interface GrpcDriverClientOptions {
  /** Per-call deadline; none by default, since Create legitimately takes minutes. */
  deadlineMs?: number;
  credentials?: grpc.ChannelCredentials;
  channelOptions?: grpc.ChannelOptions;
  /** The server's shared secret (HETZNER_GRPC_SECRET), sent as `authorization: Bearer …` on every call. */
  secret?: string;
}

export interface GrpcDriverClient {
  /**
   * Calls one method. Rejects with a grpc ServiceError (`code`, `details` = the driver's message) when the server
   * fails the call, or with a WireFormatError when the argument cannot be encoded.
   */
  call<N extends MethodName>(name: N, ...args: ArgsFor<N>): Promise<ReplyFor<N>>;
  /** Resolves once the channel is connected; rejects after `timeoutMs`. */
  waitForReady(timeoutMs: number): Promise<void>;
  /** Releases the channel (this is not the Close rpc). */
  closeChannel(): void;
  /** The underlying proto-loader client, for calls with hand-built wire objects. */
  readonly raw: grpc.Client & Record<string, unknown>;
}

const DriverClientConstructor = grpc.makeGenericClientConstructor(DRIVER_SERVICE, 'Driver');

export function createGrpcDriverClient(address: string, opts: GrpcDriverClientOptions = {}): GrpcDriverClient {
  const raw = new DriverClientConstructor(
    address,
    opts.credentials ?? grpc.credentials.createInsecure(),
    opts.channelOptions,
  ) as grpc.Client & Record<string, unknown>;

  return {
    raw,
    call(name, ...args) {
      const spec = METHODS[name];
      return new Promise((resolve, reject) => {
        let request: unknown;
        try {
          request = encodeArg(spec.arg, (args[0] ?? null) as never);
        } catch (err) {
          reject(err);
          return;
        }
        const callOptions: grpc.CallOptions = {};
        if (opts.deadlineMs !== undefined) callOptions.deadline = Date.now() + opts.deadlineMs;
        const metadata = new grpc.Metadata();
        if (opts.secret !== undefined) metadata.set('authorization', `Bearer ${opts.secret}`);
        const method = raw[name] as (
          req: unknown,
          metadata: grpc.Metadata,
          options: grpc.CallOptions,
          cb: (err: grpc.ServiceError | null, reply?: unknown) => void,
        ) => void;
        method.call(raw, request, metadata, callOptions, (err, reply) => {
          if (err) {
            reject(err);
            return;
          }
          try {
            resolve(decodeReply(spec.reply, reply) as never);
          } catch (decodeErr) {
            reject(decodeErr);
          }
        });
      });
    },
    waitForReady(timeoutMs) {
      return new Promise((resolve, reject) => {
        raw.waitForReady(Date.now() + timeoutMs, (err) => (err ? reject(err) : resolve()));
      });
    },
    closeChannel() {
      // Not `raw.close()`: the generated client defines `close` as the camelCase alias of the Close rpc.
      grpc.Client.prototype.close.call(raw);
    },
  };
}
