// The long soak: the same lifecycles and invariants as driver/test/reliability/soak.test.ts, with more of them, and
// the secrets check on everything the run produced. Prints the summary line per seed and the totals.
//
//   npx tsx scripts/bench/soak.ts [--lifecycles 500] [--seeds 101] [--concurrency 8] [--fault-rate 0.08] [--verbose]
//                                [--errors]   (one example of each error message users would have seen)
//
// The plugin runs from source under tsx, or the built binary when HETZNER_DRIVER_BINARY names it.
import { rmSync } from 'node:fs';
import {
  details,
  findSecrets,
  runSoak,
  SHORT_SOAK,
  type SoakResult,
  secretFiles,
  summaryLine,
} from '../../driver/test/reliability/soak';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

async function main(): Promise<void> {
  const lifecycles = Number(arg('lifecycles', '500'));
  const seeds = arg('seeds', '101')
    .split(',')
    .map((s) => Number(s.trim()));
  const concurrency = Number(arg('concurrency', '8'));
  const faultRate = Number(arg('fault-rate', String(SHORT_SOAK.faultRate)));
  const verbose = process.argv.includes('--verbose');
  let failed = false;
  const results: SoakResult[] = [];
  for (const seed of seeds) {
    const r = await runSoak({
      ...SHORT_SOAK,
      seed,
      lifecycles,
      concurrency,
      faultRate,
      keepers: Math.max(SHORT_SOAK.keepers, Math.round(lifecycles / 50)),
      onProgress: verbose ? (l) => console.log(`  ${l}`) : undefined,
    });
    results.push(r);
    const secrets = findSecrets(r.outputs, [r.token, r.userDataMarker]);
    const modes = secretFiles(r.storeDir).filter((f) => f.mode !== 0o600);
    console.log(summaryLine(r));
    console.log(`  ${details(r)}`);
    console.log(
      `  secrets: ${r.outputs.length} output lines and stored configs checked, ${secrets.length} containing the token ` +
        `or user data; ${secretFiles(r.storeDir).length} key/config files, ${modes.length} not 0600`,
    );
    for (const problem of [
      ...r.leaked,
      ...r.lost,
      ...r.hung,
      ...r.unclear,
      ...r.firewallMismatch,
      ...secrets,
      ...modes.map((m) => `${m.path} has mode ${m.mode.toString(8)}`),
    ]) {
      failed = true;
      console.log(`  ! ${problem}`);
    }
    if (process.argv.includes('--errors')) {
      // One example per kind of error the users would have seen, numbers and ids blanked out.
      const kinds = new Map<string, string>();
      for (const l of r.lifecycles) {
        for (const e of [l.preCreateError, l.createError, ...l.removeErrors]) {
          if (e)
            kinds.set(
              e
                .replace(/\d+/g, 'N')
                .replace(/[0-9a-f]{16}/g, 'X')
                .slice(0, 140),
              e,
            );
        }
      }
      for (const e of kinds.values()) console.log(`  error: ${e.slice(0, 400)}`);
    }
    rmSync(r.storeDir, { recursive: true, force: true });
  }
  if (results.length > 1) {
    const sum = (f: (r: SoakResult) => number) => results.reduce((a, r) => a + f(r), 0);
    console.log(
      `total: ${sum((r) => r.lifecycles.length)} lifecycles, ${sum((r) => r.faultsInjected)} faults injected, ` +
        `${sum((r) => r.leaked.length)} leaked, ${sum((r) => r.lost.length)} lost`,
    );
  }
  process.exitCode = failed ? 1 : 0;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
