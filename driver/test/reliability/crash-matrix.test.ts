// The reduced crash matrix in CI: the plain machine and a node joining a managed-firewall cluster, killed with SIGKILL
// at every API call of Create and of Remove, at both moments (request lost, answer lost), each followed by one of
// Rancher's recoveries (alternating `rm` and a new Create then `rm`). The full matrix is scripts/bench/crash-matrix.ts.
import { describe, expect, it } from 'vitest';
import { pluginCommand } from '../fixtures/plugin-command';
import { CI_CONFIGS, CONFIGS, runCrashMatrix } from './crash-matrix';

describe('crash at every API call of Create and Remove, lose nothing', () => {
  it('leaves no server, key, placement group or firewall entry, and touches nothing else', async () => {
    expect(pluginCommand().command).toBeTruthy();
    const result = await runCrashMatrix({
      configs: CONFIGS.filter((c) => CI_CONFIGS.includes(c.name)),
      createRecoveries: 'alternate',
      concurrency: 2,
    });
    for (const name of CI_CONFIGS) {
      const rec = result.recorded.get(name)!;
      expect(rec.create.length).toBeGreaterThan(0);
      expect(rec.remove.length).toBeGreaterThan(0);
      // Every call of both operations, both moments.
      expect(result.runs.filter((r) => r.config === name)).toHaveLength(2 * (rec.create.length + rec.remove.length));
    }
    const leaks = result.runs
      .filter((r) => !r.ok)
      .map((r) => `${r.config} ${r.op} k=${r.k} ${r.endpoint} ${r.moment} → ${r.recovery}: ${r.problems.join('; ')}`);
    expect(leaks).toEqual([]);
    expect(result.runs.filter((r) => !r.reached)).toEqual([]);
  }, 600_000);
});
