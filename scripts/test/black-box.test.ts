// The black-box pass is only as good as its selection: the suites that drive the real driver through the plugin
// protocol must all run again against the compiled executable.
import { describe, expect, it } from 'vitest';
import { blackBoxTestFiles } from '../lib/black-box.mjs';
import { repoRoot } from './helpers/driver-binary';

describe('black-box selection', () => {
  it('re-runs every suite that drives our plugin process, whichever fixture it spawns it with', () => {
    const files = blackBoxTestFiles(repoRoot);
    expect(files).toEqual(
      expect.arrayContaining([
        'driver/test/driver/plugin-create-faults.test.ts',
        'driver/test/driver/plugin-lifecycle.test.ts',
        'driver/test/firewall/plugin-cluster.test.ts',
        'driver/test/plugin/process.test.ts',
        'driver/test/rancher/rancher-flow.test.ts',
        'driver/test/reliability/bad-input.test.ts',
        'driver/test/reliability/soak.test.ts',
      ]),
    );
    // In-process suites never start the executable; re-running them would prove nothing.
    expect(files).not.toContain('driver/test/driver/lifecycle.test.ts');
  });
});
