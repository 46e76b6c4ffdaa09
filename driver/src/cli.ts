// The executable outside plugin mode: a small command table. rancher-machine never gets here (it always sets
// MACHINE_PLUGIN_TOKEN=42); people and tooling do. Heavy modules load only for the command that needs them.
import { PLUGIN_NOTICE } from './plugin/notice';
import { COMMIT, VERSION } from './version';

export const BINARY_NAME = 'docker-machine-driver-hetzner';

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

export interface CliCommand {
  /** One line for `help`. */
  summary: string;
  usage: string;
  run(args: string[], io: CliIo): Promise<number>;
}

/** Command name → command. Add an entry to add a command; nothing else needs to change. */
export const COMMANDS: Record<string, CliCommand> = {
  '--version': {
    summary: 'print the version and commit of this build',
    usage: '--version',
    run: async (_args, io) => {
      io.stdout(`${BINARY_NAME} ${VERSION} (${COMMIT})\n`);
      return 0;
    },
  },
  grpc: {
    summary: 'serve the Driver gRPC service (proto/driver.proto) for tooling in other languages',
    usage: 'grpc --listen 127.0.0.1:PORT',
    run: async (args) => {
      const { serveGrpcCommand } = await import('./grpc/serve');
      return serveGrpcCommand(args);
    },
  },
  gc: {
    summary: 'delete what the driver made for a cluster that nothing uses (HETZNER_API_TOKEN from the environment)',
    usage: 'gc --cluster-id ID [--dry-run] [--min-age 10m]',
    run: async (args, io) => {
      const { gcCommand } = await import('./gc');
      return gcCommand(args, io);
    },
  },
  help: {
    summary: 'show this help',
    usage: 'help',
    run: async (_args, io) => {
      io.stdout(helpText());
      return 0;
    },
  },
};

export function helpText(): string {
  const width = Math.max(...Object.values(COMMANDS).map((c) => c.usage.length));
  const lines = Object.values(COMMANDS).map((c) => `  ${c.usage.padEnd(width)}  ${c.summary}`);
  return `${BINARY_NAME} ${VERSION}: the Hetzner Cloud machine driver for Rancher (rancher-machine plugin).
rancher-machine starts it with MACHINE_PLUGIN_TOKEN=42; by hand it offers:
${lines.join('\n')}
`;
}

const defaultIo: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

/** Runs the command named by argv[0]; no command or an unknown one prints the plugin notice, exit code 1. */
export async function runCli(argv: string[], io: CliIo = defaultIo): Promise<number> {
  const [name, ...rest] = argv;
  const command = name !== undefined && Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!command) {
    io.stderr(PLUGIN_NOTICE);
    return 1;
  }
  try {
    return await command.run(rest, io);
  } catch (err) {
    io.stderr(`${BINARY_NAME} ${name}: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}
