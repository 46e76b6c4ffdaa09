// The executable outside plugin mode: a small command table. rancher-machine never gets here (it always sets
// MACHINE_PLUGIN_TOKEN=42); people and tooling do. Heavy modules load only for the command that needs them.
// Exit codes: 0 done, 1 the command failed, 2 bad arguments (as with most Unix tools).
import { type CliIo, EXIT_FAILED, EXIT_OK, EXIT_USAGE, UsageError } from './command';
import { DEFAULT_ENDPOINT } from './hcloud/endpoint';
import { PLUGIN_NOTICE } from './plugin/notice';
import { COMMIT, VERSION } from './version';

export const BINARY_NAME = 'docker-machine-driver-hetzner';

export interface CliCommand {
  /** One line for `help`. */
  summary: string;
  usage: string;
  run(args: string[], io: CliIo): Promise<number>;
}

const versionCommand: CliCommand = {
  summary: 'print the version and commit of this build',
  usage: 'version',
  run: async (args, io) => {
    if (args.length === 1 && (args[0] === '--help' || args[0] === '-h')) {
      io.stdout(`Usage: ${BINARY_NAME} version (or --version)\nPrints the version and the commit of this build.\n`);
      return EXIT_OK;
    }
    if (args.length > 0) throw new UsageError(`version takes no arguments (got "${args[0]}")`);
    io.stdout(`${BINARY_NAME} ${VERSION} (${COMMIT})\n`);
    return EXIT_OK;
  },
};

const helpCommand: CliCommand = {
  summary: 'show this help (also -h, --help); `help gc` or `gc --help` for a command',
  usage: 'help [COMMAND]',
  run: async (args, io) => {
    const [topic, ...extra] = args;
    if (extra.length > 0) throw new UsageError(`help takes at most one command name (got "${extra[0]}")`);
    if (topic === undefined || topic === '--help' || topic === '-h') {
      io.stdout(helpText());
      return EXIT_OK;
    }
    const command = commandNamed(topic);
    if (!command || command === helpCommand) throw new UsageError(`no help for "${topic}": not a command`);
    return command.run(['--help'], io);
  },
};

/** Command name → command. Add an entry to add a command; nothing else needs to change. */
export const COMMANDS: Record<string, CliCommand> = {
  version: versionCommand,
  '--version': versionCommand,
  gc: {
    summary: 'show, or with --yes delete, what the driver made for a cluster that nothing uses',
    usage: 'gc --cluster-id ID [--yes] [--min-age 10m]',
    run: async (args, io) => {
      const { gcCommand } = await import('./gc');
      return gcCommand(args, io);
    },
  },
  grpc: {
    summary: 'serve the Driver gRPC service (proto/driver.proto) for tooling in other languages',
    usage: 'grpc [--listen 127.0.0.1:PORT]',
    run: async (args, io) => {
      const { serveGrpcCommand } = await import('./grpc/serve');
      // The process streams themselves by default: the server's address line and logs must survive a closed pipe.
      const sinks = io === defaultIo ? {} : { stdout: { write: io.stdout }, stderr: { write: io.stderr } };
      return serveGrpcCommand(args, sinks);
    },
  },
  help: helpCommand,
  '--help': helpCommand,
  '-h': helpCommand,
};

function commandNamed(name: string): CliCommand | undefined {
  return Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
}

export function helpText(): string {
  const shown = [...new Set(Object.values(COMMANDS))];
  const width = Math.max(...shown.map((c) => c.usage.length));
  const lines = shown.map((c) => `  ${c.usage.padEnd(width)}  ${c.summary}`);
  return `${BINARY_NAME} ${VERSION}: the Hetzner Cloud machine driver for Rancher (a rancher-machine plugin).

Usage: ${BINARY_NAME} COMMAND [ARGS]

Commands:
${lines.join('\n')}

Environment:
  MACHINE_PLUGIN_TOKEN=42        plugin mode: how rancher-machine starts the driver (arguments are then ignored)
  HETZNER_API_TOKEN              the project API token (read & write); in Rancher, the cloud credential
  HETZNER_API_ENDPOINT           API base URL (default ${DEFAULT_ENDPOINT}); https, or http to loopback
                                 only; in Rancher, the cloud credential's optional apiEndpoint field
  HETZNER_GRPC_SECRET            shared secret that grpc callers must send (required off loopback)
  HETZNER_DRIVER_POLL_MS         shorter polling intervals, for the mock API (tests, demo)
  HETZNER_DRIVER_REQUEST_TIMEOUT_MS  per-request timeout (default 30000)
  HETZNER_GC_DEBUG=1             gc prints every API request on stderr
  NODE_TLS_REJECT_UNAUTHORIZED   ignored: certificate checks cannot be switched off

Exit codes: 0 success, 1 the command failed, 2 bad arguments.
Without a command (or with MACHINE_PLUGIN_TOKEN unset) it prints the Docker Machine plugin notice and exits 1.
`;
}

const defaultIo: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

/**
 * Runs the command named by argv[0]. No command prints the plugin notice with exit code 1, as every docker-machine
 * plugin does when started by hand; an unknown command is a usage error (2).
 */
export async function runCli(argv: string[], io: CliIo = defaultIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    io.stderr(PLUGIN_NOTICE);
    return EXIT_FAILED;
  }
  const command = commandNamed(name);
  if (!command) {
    io.stderr(`${BINARY_NAME}: unknown command "${name}"; run \`${BINARY_NAME} help\` for the commands\n`);
    return EXIT_USAGE;
  }
  try {
    return await command.run(rest, io);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    io.stderr(`${BINARY_NAME} ${name}: ${message}\n`);
    if (err instanceof UsageError) {
      io.stderr(`Usage: ${BINARY_NAME} ${command.usage}  (${BINARY_NAME} help for more)\n`);
      return EXIT_USAGE;
    }
    return EXIT_FAILED;
  }
}
