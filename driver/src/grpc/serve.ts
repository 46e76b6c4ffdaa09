// `docker-machine-driver-hetzner grpc [--listen HOST:PORT]`: serves the real driver over gRPC until Close or a
// signal. stdout carries exactly one line, the bound address, so a parent can start us on port 0 and read where to
// dial; every log line goes to stderr.
import type { Driver } from '../driver/interface';
import { isLoopbackHost } from '../hcloud/endpoint';
import { createPluginLogger, type LineSink, type Logger, writeLines } from '../log';
import { bindGrpcServer, createGrpcServer, parseListenAddress, shutdownGrpcServer } from './server';

/** The shared secret callers must send; required when listening off loopback. */
export const GRPC_SECRET_ENV = 'HETZNER_GRPC_SECRET';
/** Short secrets are guessable; a random 32-byte hex string is the expected form. */
const MIN_SECRET_LENGTH = 16;

export const DEFAULT_LISTEN = '127.0.0.1:0';

export const GRPC_USAGE = `Usage: docker-machine-driver-hetzner grpc [--listen HOST:PORT] [--allow-remote]

Serves the Driver service of proto/driver.proto over gRPC (plaintext; meant for loopback tooling).
  --listen HOST:PORT   address to listen on (default ${DEFAULT_LISTEN}; port 0 picks a free port); only loopback
                       addresses (127.0.0.0/8, ::1, localhost) unless --allow-remote
  --allow-remote       accept a non-loopback --listen address; then ${GRPC_SECRET_ENV} is required
  -h, --help           show this help
Environment:
  ${GRPC_SECRET_ENV}  shared secret (at least ${MIN_SECRET_LENGTH} characters); when set, every call must carry the
                       metadata "authorization: Bearer <secret>", or it is refused with UNAUTHENTICATED
GetConfigRaw never returns the API token. The first line on stdout is the address actually bound. The Close rpc,
SIGINT or SIGTERM stop the server. Exit codes: 0 stopped, 1 failed, 2 bad arguments.`;

export interface DriverFactoryContext {
  logger: Logger;
  env: NodeJS.ProcessEnv;
}

export interface ServeGrpcOptions {
  /** Builds the driver to serve; defaults to the Hetzner driver. */
  createDriver?: (ctx: DriverFactoryContext) => Driver | Promise<Driver>;
  stdout?: LineSink;
  stderr?: LineSink;
  env?: NodeJS.ProcessEnv;
  /** Stop gracefully on SIGINT/SIGTERM (default true); tests turn it off to leave process handlers alone. */
  handleSignals?: boolean;
  /** How long a stop waits for running calls before cutting them off. */
  shutdownGraceMs?: number;
}

async function hetznerDriver(ctx: DriverFactoryContext): Promise<Driver> {
  // Loaded lazily so that `grpc --help` and argument errors never pay for (or fail on) the driver's setup.
  return (await import('../driver/index')).createHetznerDriver({ logger: ctx.logger, env: ctx.env });
}

type Parsed = { help: true } | { help: false; listen: string; secret: string | undefined };

function parseArgs(args: readonly string[], env: NodeJS.ProcessEnv): Parsed {
  let listen = DEFAULT_LISTEN;
  let allowRemote = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === '-h' || arg === '--help') return { help: true };
    if (arg === '--allow-remote') {
      allowRemote = true;
      continue;
    }
    if (arg === '--listen' || arg === '-listen') {
      const value = args[++i];
      if (value === undefined) throw new Error(`${arg} needs a value (HOST:PORT)`);
      listen = value;
    } else if (arg.startsWith('--listen=') || arg.startsWith('-listen=')) {
      listen = arg.slice(arg.indexOf('=') + 1);
    } else {
      throw new Error(`unknown argument "${arg}"`);
    }
  }
  const { host } = parseListenAddress(listen);
  const secret = env[GRPC_SECRET_ENV] || undefined;
  if (secret !== undefined && secret.length < MIN_SECRET_LENGTH) {
    throw new Error(`${GRPC_SECRET_ENV} is too short: use at least ${MIN_SECRET_LENGTH} random characters`);
  }
  if (!isLoopbackHost(host)) {
    if (!allowRemote) {
      throw new Error(
        `refusing to listen on ${listen}: it is not a loopback address, and the service drives servers with the ` +
          `API token of this process. Pass --allow-remote (with ${GRPC_SECRET_ENV} set) to serve other hosts`,
      );
    }
    if (secret === undefined) {
      throw new Error(`--allow-remote needs ${GRPC_SECRET_ENV}: every caller must then present that shared secret`);
    }
  }
  return { help: false, listen, secret };
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Runs the `grpc` command; resolves with the process exit code once the server has stopped. */
export async function serveGrpcCommand(args: string[], opts: ServeGrpcOptions = {}): Promise<number> {
  const stdout = opts.stdout ?? process.stdout;
  const stderr = opts.stderr ?? process.stderr;

  let parsed: Parsed;
  try {
    parsed = parseArgs(args, opts.env ?? process.env);
  } catch (err) {
    writeLines(stderr, `grpc: ${describe(err)}\n\n${GRPC_USAGE}`);
    return 2;
  }
  if (parsed.help) {
    writeLines(stdout, GRPC_USAGE);
    return 0;
  }

  const logger = createPluginLogger({ stdout: stderr, stderr });
  let driver: Driver;
  try {
    driver = await (opts.createDriver ?? hetznerDriver)({ logger, env: opts.env ?? process.env });
  } catch (err) {
    logger.error(`grpc: cannot create the driver: ${describe(err)}`);
    return 1;
  }

  let stopping: Promise<void> | undefined;
  let stopped!: () => void;
  const done = new Promise<void>((resolve) => {
    stopped = resolve;
  });
  const stop = (why: string) => {
    if (stopping) return;
    logger.debug(`grpc: stopping (${why})`);
    stopping = shutdownGrpcServer(server, opts.shutdownGraceMs).then(stopped);
  };
  const server = createGrpcServer(driver, { close: () => stop('Close') }, { secret: parsed.secret });

  let address: string;
  try {
    address = (await bindGrpcServer(server, parsed.listen)).address;
  } catch (err) {
    logger.error(`grpc: ${describe(err)}`);
    server.forceShutdown();
    return 1;
  }
  writeLines(stdout, address);
  logger.debug(`grpc: Driver service listening on ${address}`);

  const onSignal = (signal: NodeJS.Signals) => stop(signal);
  if (opts.handleSignals !== false) {
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }
  try {
    await done;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  return 0;
}
