// `docker-machine-driver-hetzner gc --cluster-id ID [--yes] [--min-age 10m]`: the command-line face of collect.ts.
// Without --yes (or --delete) it only shows what it would do. The token comes from the environment only
// (HETZNER_API_TOKEN), never from an argument, so it stays out of shell history and process listings.
import { type CliIo, EXIT_FAILED, EXIT_OK, UsageError } from '../command';
import { clusterLabels } from '../firewall/labels';
import { DEFAULT_ENDPOINT, endpointFromEnv, HcloudClient, type HcloudClientOptions } from '../hcloud';
import { labelSelector } from '../labels';
import type { Logger } from '../log';
import { collectGarbage, formatFindings } from './collect';

export const GC_USAGE = 'gc --cluster-id ID [--yes] [--min-age 10m] [--hetzner-api-endpoint URL]';
const DEFAULT_MIN_AGE_MS = 10 * 60_000;

export const GC_HELP = `Usage: docker-machine-driver-hetzner ${GC_USAGE}

Finds what the driver made for one cluster that nothing uses any more: SSH keys of machines whose server is gone,
empty auto-created spread placement groups, the cluster firewall of a cluster without servers, and node addresses
of vanished servers in the firewall's rules. Only resources carrying the driver's labels for that cluster are
considered; nothing unlabelled is ever touched.

Without --yes it is a dry run: it prints what it would delete or update and changes nothing.

Flags:
  --cluster-id ID               the cluster, as given to --hetzner-cluster-id (required)
  --yes, --delete               really delete and update what it lists
  --dry-run                     only list (the default; cannot be combined with --yes)
  --min-age DURATION            leave resources younger than this alone (default 10m; e.g. 0, 90s, 15m, 2h), so
                                that a Create still in progress keeps its key and group
  --hetzner-api-endpoint URL    API base URL; overrides HETZNER_API_ENDPOINT (https, or http to loopback only)
  -h, --help                    show this help

Environment:
  HETZNER_API_TOKEN             read & write token of the project (required; never taken from an argument)
  HETZNER_API_ENDPOINT          API base URL (default ${DEFAULT_ENDPOINT})
  HETZNER_GC_DEBUG=1            print every API request on stderr

Exit codes: 0 done (or nothing to do), 1 an API call or a deletion failed, 2 bad arguments.
`;

export interface GcArgs {
  clusterId: string;
  dryRun: boolean;
  minAgeMs: number;
  /** From --hetzner-api-endpoint; the environment's (or the default) when absent. */
  endpoint?: string;
}

/** `90` (seconds), `90s`, `15m`, `2h`. */
export function parseDuration(text: string): number | null {
  const m = /^(\d+)(s|m|h)?$/.exec(text.trim());
  if (!m) return null;
  const unit = m[2] === 'h' ? 3_600_000 : m[2] === 'm' ? 60_000 : 1_000;
  return Number(m[1]) * unit;
}

/** Parsed arguments, or 'help'; throws a UsageError for anything it cannot run. */
export function parseGcArgs(args: string[]): GcArgs | 'help' {
  let clusterId = '';
  let yes = false;
  let dryRunFlag = false;
  let minAgeMs = DEFAULT_MIN_AGE_MS;
  let endpoint: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const [flag, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, null];
    const value = () => {
      const v = inline ?? args[++i];
      if (v === undefined || v === '') throw new UsageError(`${flag} needs a value`);
      return v;
    };
    const bare = () => {
      if (inline !== null) throw new UsageError(`${flag} takes no value (got "${a}")`);
    };
    if (flag === '-h' || flag === '--help') return 'help';
    if (flag === '--cluster-id') clusterId = value().trim();
    else if (flag === '--yes' || flag === '--delete') {
      bare();
      yes = true;
    } else if (flag === '--dry-run') {
      bare();
      dryRunFlag = true;
    } else if (flag === '--min-age') {
      const v = value();
      const ms = parseDuration(v);
      if (ms === null) throw new UsageError(`--min-age must be a duration such as 0, 90s, 15m or 2h (got "${v}")`);
      minAgeMs = ms;
    } else if (flag === '--hetzner-api-endpoint') {
      endpoint = value().trim();
    } else {
      throw new UsageError(`unknown argument "${a}"`);
    }
  }
  if (!clusterId) throw new UsageError('--cluster-id is required (the value given to --hetzner-cluster-id)');
  if (yes && dryRunFlag) throw new UsageError('--yes and --dry-run contradict each other; give one');
  return { clusterId, dryRun: !yes, minAgeMs, ...(endpoint !== undefined ? { endpoint } : {}) };
}

function stderrLogger(io: CliIo, verbose: boolean): Logger {
  return {
    info: (m) => io.stderr(`${m}\n`),
    warn: (m) => io.stderr(`warning: ${m}\n`),
    error: (m) => io.stderr(`error: ${m}\n`),
    debug: (m) => {
      if (verbose) io.stderr(`${m}\n`);
    },
  };
}

/** Whether anything at all carries this cluster's labels: "nothing to collect" means little if nothing is there. */
async function anythingLabelled(client: HcloudClient, clusterId: string): Promise<boolean> {
  const selector = labelSelector(clusterLabels(clusterId));
  const lists = await Promise.all([
    client.servers.list({ label_selector: selector }),
    client.sshKeys.list({ label_selector: selector }),
    client.placementGroups.list({ label_selector: selector }),
    client.firewalls.list({ label_selector: selector }),
  ]);
  return lists.some((l) => l.length > 0);
}

export async function gcCommand(
  args: string[],
  io: CliIo,
  env: NodeJS.ProcessEnv = process.env,
  clientOptions: Partial<HcloudClientOptions> = {},
): Promise<number> {
  const parsed = parseGcArgs(args);
  if (parsed === 'help') {
    io.stdout(GC_HELP);
    return EXIT_OK;
  }
  const token = env.HETZNER_API_TOKEN?.trim();
  if (!token) throw new Error('set HETZNER_API_TOKEN to a read & write token of the project to clean up');
  // gc is run by hand by the token's owner, who owns this command line as much as the environment: the flag is theirs
  // to give. The https-or-loopback rule still applies (HcloudClient checks it before any request).
  const endpoint = parsed.endpoint || endpointFromEnv(env);
  const logger = stderrLogger(io, env.HETZNER_GC_DEBUG === '1');
  const client = new HcloudClient({ ...clientOptions, token, endpoint, debug: (line) => logger.debug(line) });
  const findings = await collectGarbage({ client, logger, ...parsed });
  if (findings.length === 0 && !(await anythingLabelled(client, parsed.clusterId))) {
    io.stdout(
      `Cluster ${parsed.clusterId}: nothing in this project carries the driver's labels for this cluster; ` +
        'check --cluster-id (the value given to --hetzner-cluster-id) and that the token belongs to the right project.\n',
    );
    return EXIT_OK;
  }
  io.stdout(formatFindings(findings, parsed.clusterId, parsed.dryRun));
  if (parsed.dryRun && findings.some((f) => f.action.startsWith('would'))) {
    io.stdout('Run again with --yes to delete and update the resources listed.\n');
  }
  return findings.some((f) => f.action.startsWith('failed')) ? EXIT_FAILED : EXIT_OK;
}
