// Plugin mode: what rancher-machine expects of a driver process (reference §1.2). The address goes out first,
// before anything heavy loads; the driver is built afterwards and requests wait for it. The process ends itself
// 10 s after the last .Heartbeat on the first connection (Rancher's flag introspection never says goodbye) and right
// after answering .Close.
import { createServer, type Server, type Socket } from 'node:net';
import type { Driver } from '../driver/interface';
import { createPluginLogger, type LineSink, type Logger, writeLines } from '../log';
import { isPluginMode, PLUGIN_NOTICE } from './notice';
import { type ConnectionLimits, serveRpcConnection } from './rpc-server';

/** Go's heartbeatTimeout in register_driver.go. */
export const HEARTBEAT_TIMEOUT_MS = 10_000;

/**
 * Open connections at once. rancher-machine uses one per plugin process (Rancher's flag introspection starts a
 * process of its own); the rest is room for a second local client. Connections beyond it are closed on accept;
 * silent ones free their slot after the idle timeout.
 */
export const MAX_CONNECTIONS = 8;

/** Environment overrides of the socket timeouts (milliseconds), for tests and for very slow hosts. */
export const IDLE_TIMEOUT_ENV = 'HETZNER_PLUGIN_IDLE_TIMEOUT_MS';
export const HEAD_TIMEOUT_ENV = 'HETZNER_PLUGIN_HEAD_TIMEOUT_MS';

export interface SocketLimits extends ConnectionLimits {
  maxConnections: number;
}

function envMs(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const raw = env[name]?.trim();
  if (!raw) return undefined;
  const n = Number(raw);
  return Number.isSafeInteger(n) && n > 0 ? n : undefined;
}

export interface RunPluginOptions {
  createDriver: (logger: Logger) => Driver | Promise<Driver>;
  stdout?: LineSink;
  stderr?: LineSink;
  env?: NodeJS.ProcessEnv;
  heartbeatTimeoutMs?: number;
  /** Overrides of the socket limits (defaults: MAX_CONNECTIONS and DEFAULT_CONNECTION_LIMITS, timeouts from env). */
  socketLimits?: Partial<SocketLimits>;
  /** How the process ends; tests running in-process pass their own. */
  exit?: (code: number) => void;
  /** Route console.* to the debug log so that stray output never lands on stdout. Default: true. */
  captureConsole?: boolean;
  /**
   * Log stray promise rejections instead of letting Node end the process (which would abandon a Create halfway,
   * before its rollback). Default: true unless `exit` is injected.
   */
  handleProcessErrors?: boolean;
}

export interface PluginHandle {
  /** `127.0.0.1:PORT`, exactly as printed. */
  address: string;
  logger: Logger;
  /** Resolves when the driver is ready; rejects if it failed to load. */
  driver: Promise<Driver>;
  /** Stops listening, ends open connections and the watchdog, without exiting. For in-process tests. */
  stop(): Promise<void>;
}

/**
 * Runs the plugin. Returns null (after printing the standard notice and exiting with 1) when the process was not
 * started by rancher-machine.
 */
export async function runPlugin(opts: RunPluginOptions): Promise<PluginHandle | null> {
  const env = opts.env ?? process.env;
  const stdout = opts.stdout ?? process.stdout;
  const stderr = opts.stderr ?? process.stderr;
  const exit = opts.exit ?? ((code: number) => process.exit(code));
  const timeoutMs = opts.heartbeatTimeoutMs ?? HEARTBEAT_TIMEOUT_MS;
  const { maxConnections = MAX_CONNECTIONS, ...connectionLimits } = opts.socketLimits ?? {};
  const idleTimeoutMs = envMs(env, IDLE_TIMEOUT_ENV);
  const headTimeoutMs = envMs(env, HEAD_TIMEOUT_ENV);
  if (idleTimeoutMs !== undefined) connectionLimits.idleTimeoutMs ??= idleTimeoutMs;
  if (headTimeoutMs !== undefined) connectionLimits.headTimeoutMs ??= headTimeoutMs;

  if (!isPluginMode(env)) {
    writeLines(stderr, PLUGIN_NOTICE.trimEnd());
    exit(1);
    return null;
  }

  const logger = createPluginLogger({ stdout, stderr });
  const sockets = new Set<Socket>();
  let exited = false;
  const finish = (code: number, why: string) => {
    if (exited) return;
    exited = true;
    logger.debug(why);
    exit(code);
  };

  let watchdog: NodeJS.Timeout | undefined;
  const armWatchdog = () => {
    clearTimeout(watchdog);
    watchdog = setTimeout(
      () => finish(1, `no heartbeat for ${timeoutMs / 1000} s; exiting as the rancher-machine protocol requires`),
      timeoutMs,
    );
  };

  let driverPromise: Promise<Driver> | undefined;
  const getDriver = () => {
    if (!driverPromise) throw new Error('internal error: driver requested before the address was printed');
    return driverPromise;
  };
  // Only the first connection is rancher-machine's (it dials once and heartbeats on that client): heartbeats from any
  // later local connection must not keep a plugin alive whose parent is gone.
  let owner: Socket | undefined;
  const server: Server = createServer((socket) => {
    if (sockets.size >= maxConnections) {
      logger.debug(`rpc: refusing a connection: ${maxConnections} are open already`);
      socket.destroy();
      return;
    }
    socket.setNoDelay(true);
    sockets.add(socket);
    owner ??= socket;
    socket.on('close', () => sockets.delete(socket));
    serveRpcConnection({
      socket,
      driver: getDriver,
      logger,
      limits: connectionLimits,
      hooks: {
        heartbeat: () => {
          if (socket === owner) armWatchdog();
        },
        close: () => finish(0, 'closed by the client'),
      },
    });
  });

  const address = await new Promise<string>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, () => {
      server.off('error', reject);
      const a = server.address();
      if (a === null || typeof a === 'string') reject(new Error('listening socket has no TCP address'));
      else resolve(`127.0.0.1:${a.port}`);
    });
  }).catch((err: Error) => {
    writeLines(stderr, `error: cannot listen on 127.0.0.1: ${err.message}`);
    exit(1);
    return null;
  });
  if (address === null) return null;
  server.on('error', (err) => logger.error(`plugin server: ${err.message}`));

  // The parent reads exactly one line and trims it; nothing may precede it on stdout. (A parent that is already
  // gone cannot connect either: writeLines swallows the EPIPE and the watchdog ends us.)
  writeLines(stdout, address);
  armWatchdog();

  if (opts.captureConsole ?? true) captureConsole(logger);
  if (opts.handleProcessErrors ?? opts.exit === undefined) {
    process.on('unhandledRejection', (reason) => {
      logger.error(`unhandled rejection: ${reason instanceof Error ? reason.message : String(reason)}`);
      if (reason instanceof Error && reason.stack) logger.debug(reason.stack);
    });
  }

  // Loading the driver (and whatever it imports) only starts now that the address is out.
  driverPromise = Promise.resolve()
    .then(() => opts.createDriver(logger))
    .catch((err: unknown) => {
      const message = err instanceof Error ? err.message : String(err);
      logger.error(`the driver failed to load: ${message}`);
      throw new Error(`the driver failed to load: ${message}`);
    });
  // Rejections are answered per request; this keeps an unobserved failure from being fatal.
  driverPromise.catch(() => {});

  return {
    address,
    logger,
    driver: driverPromise,
    stop: async () => {
      exited = true;
      clearTimeout(watchdog);
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function captureConsole(logger: Logger): void {
  const toDebug = (...args: unknown[]) =>
    logger.debug(args.map((a) => (typeof a === 'string' ? a : safeInspect(a))).join(' '));
  console.log = toDebug;
  console.info = toDebug;
  console.debug = toDebug;
  console.warn = toDebug;
  console.error = (...args: unknown[]) =>
    logger.error(args.map((a) => (typeof a === 'string' ? a : safeInspect(a))).join(' '));
}

function safeInspect(v: unknown): string {
  if (v instanceof Error) return v.stack ?? v.message;
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}
