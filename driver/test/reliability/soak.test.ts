// The short soak, part of `pnpm test`: three seeds side by side, each 8 machine lifecycles through plugin processes
// (our main.ts, or the built binary when HETZNER_DRIVER_BINARY is set) against a mock that fails a share of requests
// at random. The long form is scripts/bench/soak.ts.
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pluginCommand } from '../fixtures/plugin-command';
import { details, findSecrets, runSoak, SHORT_SOAK, type SoakResult, secretFiles, summaryLine } from './soak';

const SEEDS = [11, 23, 37];
let results: SoakResult[] = [];

beforeAll(async () => {
  // Fails early and clearly when the plugin cannot be started at all.
  expect(pluginCommand().command).toBeTruthy();
  results = await Promise.all(SEEDS.map((seed) => runSoak({ ...SHORT_SOAK, seed })));
  for (const r of results) {
    console.log(summaryLine(r));
    console.log(`  ${details(r)}`);
  }
}, 240_000);

afterAll(() => {
  for (const r of results) rmSync(r.storeDir, { recursive: true, force: true });
});

describe.each(SEEDS.map((seed, i) => [seed, i] as const))('soak, seed %i', (_seed, i) => {
  const r = () => results[i]!;

  it('ran every lifecycle under injected faults', () => {
    expect(r().lifecycles).toHaveLength(SHORT_SOAK.lifecycles);
    expect(r().faultsInjected).toBeGreaterThan(0);
    expect(r().lifecycles.some((l) => l.created)).toBe(true);
    expect(summaryLine(r())).toMatch(/^8 lifecycles, [1-9]\d* faults injected, 0 leaked, 0 lost$/);
  });

  it('left nothing behind: failed creates rolled back, removes deleted server, key and firewall entries', () => {
    expect(r().leaked).toEqual([]);
    expect(r().lost).toEqual([]);
    expect(r().firewallMismatch).toEqual([]);
    for (const l of r().lifecycles) expect(l.removed, l.name).toBe(true);
  });

  it('failed with clear errors only, and no plugin process hung past its bound', () => {
    expect(r().unclear).toEqual([]);
    expect(r().hung).toEqual([]);
    expect(r().maxProcessMs).toBeLessThan(SHORT_SOAK.callTimeoutMs);
  });

  it('never let the token or the user data out, and kept keys and configs at 0600', () => {
    // The check sees real material: every plugin line, every error and every stored config.
    expect(r().outputs.length).toBeGreaterThan(50);
    expect(r().outputs.some((o) => o.includes('"MachineName"'))).toBe(true);
    expect(findSecrets(r().outputs, [r().token, r().userDataMarker])).toEqual([]);
    const files = secretFiles(r().storeDir);
    expect(files.some((f) => f.path.endsWith('id_rsa'))).toBe(true);
    expect(files.filter((f) => f.mode !== 0o600)).toEqual([]);
  });
});

describe('the secrets check itself', () => {
  it('finds a secret wherever it appears', () => {
    expect(findSecrets(['x', 'Bearer abc123secret', '{"AccessToken":"abc123secret"}'], ['abc123secret'])).toHaveLength(
      2,
    );
    expect(findSecrets(['nothing here'], ['abc123secret', ''])).toEqual([]);
  });
});
