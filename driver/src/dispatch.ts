// The transport-neutral method table: the 24 methods of rancher-machine's RPCServerDriver, what each takes and
// returns, and which Driver call serves it. The net/rpc+gob server and the gRPC server both dispatch through here,
// mapping ArgKind/ReplyKind onto their own wire types.
import type { CreateFlag, Driver, DriverOptions } from './driver/interface';

/** What rancher-machine's plugin API version is; anything else makes the client refuse us. */
export const API_VERSION = 1;

/** The two service names rancher-machine has used: V1 (current) and V0. */
export const SERVICE_NAMES = ['RPCServerDriver', 'RpcServerDriver'] as const;

export type ArgKind = 'none' | 'bytes' | 'driverOptions';
export type ReplyKind = 'none' | 'int' | 'string' | 'bytes' | 'flags';

export type ArgOf<K extends ArgKind> = K extends 'bytes'
  ? Uint8Array
  : K extends 'driverOptions'
    ? DriverOptions
    : null;
export type ReplyOf<K extends ReplyKind> = K extends 'int'
  ? number
  : K extends 'string'
    ? string
    : K extends 'bytes'
      ? Uint8Array
      : K extends 'flags'
        ? CreateFlag[]
        : null;

/** Transport-level hooks: the plugin process owns its watchdog and its exit, not the driver. */
export interface SessionHooks {
  heartbeat(): void;
  /** Called after the Close reply has been written and flushed. */
  close(): void;
}

export interface MethodSpec<A extends ArgKind = ArgKind, R extends ReplyKind = ReplyKind> {
  arg: A;
  reply: R;
  call(driver: Driver, arg: ArgOf<A>, hooks: SessionHooks): Promise<ReplyOf<R>>;
}

function method<A extends ArgKind, R extends ReplyKind>(
  arg: A,
  reply: R,
  call: (driver: Driver, arg: ArgOf<A>, hooks: SessionHooks) => Promise<ReplyOf<R>>,
): MethodSpec<A, R> {
  return { arg, reply, call };
}

const none = async () => null;

/** Method suffix (without the service name and dot) → spec. Exactly the 24 methods rancher-machine calls. */
export const METHODS = {
  GetVersion: method('none', 'int', async () => API_VERSION),
  SetConfigRaw: method('bytes', 'none', async (d, json) => {
    await d.setConfigRaw(json);
    return null;
  }),
  GetConfigRaw: method('none', 'bytes', (d) => d.getConfigRaw()),
  GetCreateFlags: method('none', 'flags', (d) => d.getCreateFlags()),
  SetConfigFromFlags: method('driverOptions', 'none', async (d, opts) => {
    await d.setConfigFromFlags(opts);
    return null;
  }),
  DriverName: method('none', 'string', (d) => d.driverName()),
  GetMachineName: method('none', 'string', (d) => d.getMachineName()),
  GetIP: method('none', 'string', (d) => d.getIP()),
  GetIPv6: method('none', 'string', (d) => d.getIPv6()),
  GetSSHHostname: method('none', 'string', (d) => d.getSSHHostname()),
  GetSSHKeyPath: method('none', 'string', (d) => d.getSSHKeyPath()),
  GetSSHPort: method('none', 'int', (d) => d.getSSHPort()),
  GetSSHUsername: method('none', 'string', (d) => d.getSSHUsername()),
  GetURL: method('none', 'string', (d) => d.getURL()),
  GetState: method('none', 'int', async (d) => d.getState()),
  PreCreateCheck: method('none', 'none', async (d) => {
    await d.preCreateCheck();
    return null;
  }),
  Create: method('none', 'none', async (d) => {
    await d.create();
    return null;
  }),
  Remove: method('none', 'none', async (d) => {
    await d.remove();
    return null;
  }),
  Start: method('none', 'none', async (d) => {
    await d.start();
    return null;
  }),
  Stop: method('none', 'none', async (d) => {
    await d.stop();
    return null;
  }),
  Restart: method('none', 'none', async (d) => {
    await d.restart();
    return null;
  }),
  Kill: method('none', 'none', async (d) => {
    await d.kill();
    return null;
  }),
  Heartbeat: method('none', 'none', async (_d, _a, hooks) => {
    hooks.heartbeat();
    return null;
  }),
  Close: method('none', 'none', none),
} satisfies Record<string, MethodSpec>;

export type MethodName = keyof typeof METHODS;

export class UnknownMethodError extends Error {}

/**
 * Resolves "RPCServerDriver.Create" (or the V0 "RpcServerDriver.Create") to its spec, with net/rpc's own wording
 * for unknown services and methods so that Go clients see the messages they expect.
 */
export function resolveMethod(serviceMethod: string): { name: MethodName; spec: MethodSpec } {
  const dot = serviceMethod.lastIndexOf('.');
  if (dot < 0) throw new UnknownMethodError(`rpc: service/method request ill-formed: ${serviceMethod}`);
  const service = serviceMethod.slice(0, dot);
  const name = serviceMethod.slice(dot + 1);
  if (!(SERVICE_NAMES as readonly string[]).includes(service)) {
    throw new UnknownMethodError(`rpc: can't find service ${serviceMethod}`);
  }
  if (!Object.hasOwn(METHODS, name)) throw new UnknownMethodError(`rpc: can't find method ${serviceMethod}`);
  return { name: name as MethodName, spec: METHODS[name as MethodName] as MethodSpec };
}

/** Runs one call; never throws synchronously, always settles with the reply or an Error carrying the message. */
export async function invoke(driver: Driver, spec: MethodSpec, arg: unknown, hooks: SessionHooks): Promise<unknown> {
  try {
    return await spec.call(driver, arg as never, hooks);
  } catch (err) {
    throw err instanceof Error ? err : new Error(String(err));
  }
}
