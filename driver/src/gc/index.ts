// `docker-machine-driver-hetzner gc --cluster-id ID [--dry-run] [--min-age 10m]`: the command-line face of
// collect.ts. The token comes from the environment only (HETZNER_API_TOKEN), never from an argument, so it stays
// out of shell history and process listings.
import type { CliIo } from '../cli';
import { DEFAULT_API_ENDPOINT } from '../driver/flags';
import type { Logger } from '../driver/interface';
import { HcloudClient, type HcloudClientOptions } from '../hcloud';
import { collectGarbage, formatFindings } from './collect';

export const GC_USAGE = 'gc --cluster-id ID [--dry-run] [--min-age 10m]';
const DEFAULT_MIN_AGE_MS = 10 * 60_000;

export interface GcArgs {
  clusterId: string;
  dryRun: boolean;
  minAgeMs: number;
}

/** `90` (seconds), `90s`, `15m`, `2h`. */
export function parseDuration(text: string): number | null {
  const m = /^(\d+)(s|m|h)?$/.exec(text.trim());
  if (!m) return null;
  const unit = m[2] === 'h' ? 3_600_000 : m[2] === 'm' ? 60_000 : 1_000;
  return Number(m[1]) * unit;
}

export function parseGcArgs(args: string[]): GcArgs {
  let clusterId = '';
  let dryRun = false;
  let minAgeMs = DEFAULT_MIN_AGE_MS;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const [flag, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, null];
    const value = () => {
      const v = inline ?? args[++i];
      if (v === undefined || v === '') throw new Error(`${flag} needs a value; usage: ${GC_USAGE}`);
      return v;
    };
    if (flag === '--cluster-id') clusterId = value().trim();
    else if (flag === '--dry-run') dryRun = true;
    else if (flag === '--min-age') {
      const v = value();
      const ms = parseDuration(v);
      if (ms === null) throw new Error(`--min-age must be a duration such as 0, 90s, 15m or 2h (got "${v}")`);
      minAgeMs = ms;
    } else {
      throw new Error(`unknown argument "${a}"; usage: ${GC_USAGE}`);
    }
  }
  if (!clusterId)
    throw new Error(`--cluster-id is required (the value given to --hetzner-cluster-id); usage: ${GC_USAGE}`);
  return { clusterId, dryRun, minAgeMs };
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

export async function gcCommand(
  args: string[],
  io: CliIo,
  env: NodeJS.ProcessEnv = process.env,
  clientOptions: Partial<HcloudClientOptions> = {},
): Promise<number> {
  const parsed = parseGcArgs(args);
  const token = env.HETZNER_API_TOKEN?.trim();
  if (!token) throw new Error('set HETZNER_API_TOKEN to a read & write token of the project to clean up');
  const endpoint = env.HETZNER_API_ENDPOINT?.trim() || DEFAULT_API_ENDPOINT;
  const logger = stderrLogger(io, env.HETZNER_GC_DEBUG === '1');
  const client = new HcloudClient({ ...clientOptions, token, endpoint, logger });
  const findings = await collectGarbage({ client, logger, ...parsed });
  io.stdout(formatFindings(findings, parsed.clusterId, parsed.dryRun));
  return findings.some((f) => f.action.startsWith('failed')) ? 1 : 0;
}
