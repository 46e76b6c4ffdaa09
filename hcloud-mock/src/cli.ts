#!/usr/bin/env tsx
import { startMock } from './server';

const USAGE = `usage: hcloud-mock [--port P] [--token T ...] [--read-only-token T ...] [--action-ms N]
                   [--propagation-ms N] [--rate-limit N] [--no-rate-limit] [--no-seed-data] [--seed N]`;

function parseArgs(argv: string[]) {
  const opts = {
    port: 0,
    tokens: [] as string[],
    readOnlyTokens: [] as string[],
    defaultActionMs: undefined as number | undefined,
    labelSelectorPropagationMs: undefined as number | undefined,
    rateLimit: undefined as { limit: number } | false | undefined,
    seedData: true,
    seed: undefined as number | undefined,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] =
      arg.startsWith('--') && arg.includes('=')
        ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
        : [arg, undefined];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    const num = () => {
      const v = value();
      if (!/^\d+$/.test(v)) throw new Error(`${flag} needs a non-negative integer, got '${v}'`);
      return Number(v);
    };
    switch (flag) {
      case '--port':
        opts.port = num();
        break;
      case '--token':
        opts.tokens.push(value());
        break;
      case '--read-only-token':
        opts.readOnlyTokens.push(value());
        break;
      case '--action-ms':
        opts.defaultActionMs = num();
        break;
      case '--propagation-ms':
        opts.labelSelectorPropagationMs = num();
        break;
      case '--rate-limit':
        opts.rateLimit = { limit: num() };
        break;
      case '--no-rate-limit':
        opts.rateLimit = false;
        break;
      case '--no-seed-data':
        opts.seedData = false;
        break;
      case '--seed':
        opts.seed = num();
        break;
      case '--help':
      case '-h':
        process.stdout.write(`${USAGE}\n`);
        process.exit(0);
        break;
      default:
        throw new Error(`unknown argument '${arg}'`);
    }
  }
  return opts;
}

async function main(): Promise<void> {
  let opts: ReturnType<typeof parseArgs>;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`hcloud-mock: ${(err as Error).message}\n${USAGE}\n`);
    process.exit(2);
  }
  const mock = await startMock(opts);
  process.stdout.write(`hcloud-mock listening on ${mock.url}\n`);
  const base = mock.url.replace(/\/v1$/, '');
  process.stdout.write(`control API: ${base}/__mock/{faults,requests,stats,state,reset}\n`);
  const shutdown = () => {
    mock.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

main().catch((err: unknown) => {
  process.stderr.write(`hcloud-mock: ${(err as Error).message}\n`);
  process.exit(1);
});
