// The Create failure table again, through the plugin protocol as rancher-machine drives a fresh process (and, in the
// black-box pass, against the compiled executable): the error reaches rancher-machine as the RPC error string, and
// the machine leaves nothing behind.
import type { MockServer } from 'hcloud-mock';
import { describe, expect, it } from 'vitest';
import { PluginCallError } from '../../src/plugin/client';
import { resourcesOf } from '../fixtures/machine-resources';
import { baseConfig, flagDefaults, spawnDriverPlugin } from '../fixtures/plugin-session';
import { CREATE_FAULTS } from './create-fault-table';
import { fastMockPerFile, TOKEN, tempStore } from './helpers';

let mock: MockServer;
fastMockPerFile(
  { tokens: [TOKEN] },
  (m) => {
    mock = m;
  },
  { clearFaults: true },
);

// The action timeout needs a Create deadline of milliseconds, which only the in-process suite can set.
const THROUGH_THE_PROTOCOL = CREATE_FAULTS.filter(([name]) => name !== 'create action times out');

describe('Create rolls back on every failure, through the plugin protocol', () => {
  it.each(THROUGH_THE_PROTOCOL)('%s', async (_name, fault, pattern) => {
    const name = `pfault-${Math.random().toString(36).slice(2, 8)}`;
    const stdout: string[] = [];
    const client = await spawnDriverPlugin({
      env: { ...process.env, HETZNER_API_TOKEN: TOKEN, HETZNER_API_ENDPOINT: mock.url, HETZNER_DRIVER_POLL_MS: '20' },
      onStdout: (line) => stdout.push(line),
    });
    try {
      await client.setConfigRaw(baseConfig(name, tempStore()));
      const opts = await flagDefaults(client);
      await client.setConfigFromFlags(opts);
      await client.preCreateCheck();
      mock.faults.add(fault);
      const err = await client.create().then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(PluginCallError);
      expect((err as Error).message).toMatch(pattern);
      expect((err as Error).message).toMatch(/Everything it created has been removed/);
      mock.faults.clear();
      expect(resourcesOf(mock, name)).toEqual({ servers: [], keys: [] });
      // What rancher-machine would save after the failed Create points at no server.
      expect(((await client.getConfigRaw()) as { ServerID?: number }).ServerID).toBe(0);
      expect(stdout.join('\n')).not.toContain(TOKEN);
    } finally {
      await client.close();
    }
  });
});
