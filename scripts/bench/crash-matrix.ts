// The full crash matrix (driver/test/reliability/crash-matrix.ts): every create configuration × every API call of
// Create (with PreCreateCheck) and of Remove × both moments (request lost, answer lost) × every recovery Rancher plays
// (after Create: `rm` with the pre-Create config, or a new Create then `rm`; after Remove: `rm` again). Prints one
// line per configuration and call, the leaks with what was left, the totals and the wall time. Exit code 1 on a leak.
//
//   npx tsx scripts/bench/crash-matrix.ts [--configs plain,rdns] [--concurrency 2] [--recoveries all|alternate]
//                                         [--verbose]   (every run as it finishes)
//
// The plugin runs from source under tsx, or the built binary when HETZNER_DRIVER_BINARY names it.
import { CONFIGS, type RunResult, runCrashMatrix } from '../../driver/test/reliability/crash-matrix';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

const mark = (r: RunResult | undefined) => (!r ? ' ' : !r.reached ? '?' : r.ok ? '.' : 'L');

async function main(): Promise<void> {
  const wanted = arg('configs', CONFIGS.map((c) => c.name).join(','))
    .split(',')
    .map((s) => s.trim());
  const unknown = wanted.filter((w) => !CONFIGS.some((c) => c.name === w));
  if (unknown.length > 0) throw new Error(`unknown configuration(s) ${unknown.join(', ')}`);
  const verbose = process.argv.includes('--verbose');
  const result = await runCrashMatrix({
    configs: CONFIGS.filter((c) => wanted.includes(c.name)),
    concurrency: Number(arg('concurrency', '2')),
    createRecoveries: arg('recoveries', 'all') === 'alternate' ? 'alternate' : ['rm', 'recreate'],
    onRecorded: (config, rec) =>
      console.log(`recorded ${config}: Create ${rec.create.length} calls, Remove ${rec.remove.length} calls`),
    onRun: verbose
      ? (r) =>
          console.log(
            `  ${r.config} ${r.op} k=${r.k} ${r.endpoint} ${r.moment} → ${r.recovery}: ` +
              `${!r.reached ? 'not reached' : r.ok ? 'ok' : `LEAK ${r.problems.join('; ')}`} (${r.ms} ms)`,
          )
      : undefined,
  });

  // The matrix: one line per configuration × call; columns are moment × recovery ('.' ok, 'L' leak, '?' not reached).
  console.log(
    '\nconfiguration            op      k  endpoint                                          phase           ' +
      'request-lost  answer-lost',
  );
  for (const config of wanted) {
    const rec = result.recorded.get(config);
    if (!rec) continue;
    for (const [op, steps] of [
      ['create', rec.create],
      ['remove', rec.remove],
    ] as const) {
      for (const [i, step] of steps.entries()) {
        const cell = (moment: string) => {
          const runs = result.runs.filter(
            (r) => r.config === config && r.op === op && r.k === i + 1 && r.moment === moment,
          );
          return runs.map((r) => `${r.recovery}:${mark(r)}`).join(' ');
        };
        console.log(
          `${config.padEnd(24)} ${op.padEnd(7)} ${String(i + 1).padStart(2)}  ${step.endpoint.padEnd(49)} ` +
            `${step.phase.padEnd(15)} ${cell('request-lost').padEnd(13)} ${cell('answer-lost')}`,
        );
      }
    }
  }

  const leaks = result.runs.filter((r) => !r.ok);
  const unreached = result.runs.filter((r) => !r.reached);
  for (const r of leaks) {
    console.log(
      `LEAK ${r.config} ${r.op} k=${r.k} (${r.endpoint}) ${r.moment} → ${r.recovery}: ${r.problems.join('; ')}`,
    );
  }
  const byOp = (op: string) => result.runs.filter((r) => r.op === op);
  console.log(
    `\n${result.runs.length} runs (${byOp('create').length} killed Creates, ${byOp('remove').length} killed Removes) over ` +
      `${result.recorded.size} configurations: ${result.runs.length - leaks.length} ok, ${leaks.length} leak, ` +
      `${unreached.length} where call k never came; ${result.processes} plugin processes; ` +
      `wall time ${(result.durationMs / 1000).toFixed(1)} s`,
  );
  if (leaks.length > 0) process.exitCode = 1;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
