// `docker-machine-driver-hetzner grpc [--listen HOST:PORT]`: serves the real driver over gRPC until Close or a
// signal. stdout carries exactly one line, the bound address, so a parent can start us on port 0 and read where to
// dial; every log line goes to stderr.
import type { Driver, Logger } from '../driver/interface';
import { createPluginLogger, type LineSink, writeLines } from '../log';
import { bindGrpcServer, createGrpcServer, parseListenAddress, shutdownGrpcServer } from './server';

export const DEFAULT_LISTEN = '127.0.0.1:0';

export const GRPC_USAGE = `Usage: docker-machine-driver-hetzner grpc [--listen HOST:PORT]

Serves the Driver service of proto/driver.proto over gRPC (plaintext; meant for loopback tooling).
  --listen HOST:PORT   address to listen on (default ${DEFAULT_LISTEN}; port 0 picks a free port)
The first line on stdout is the address actually bound. The Close rpc, SIGINT or SIGTERM stop the server.`;

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

type Parsed = { help: true } | { help: false; listen: string };

function parseArgs(args: readonly string[]): Parsed {
  let listen = DEFAULT_LISTEN;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === '-h' || arg === '--help') return { help: true };
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
  parseListenAddress(listen);
  return { help: false, listen };
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
    parsed = parseArgs(args);
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
  const server = createGrpcServer(driver, { close: () => stop('Close') });

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
