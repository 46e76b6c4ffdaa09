// Remove of a machine whose server is still being built (issue 18): Rancher deletes a machine whose create has not
// finished (the autoscaler scaling a pool back down, a user deleting a machine stuck in Provisioning, a create job
// killed while Hetzner goes on building). The server stays locked until its create action ends, longer than the
// ordinary retries of `locked` last; Remove waits for the server's running actions instead of failing, so the
// machine does not stay in Deleting until Rancher's next attempt.
import type { MockServer } from 'hcloud-mock';
import { describe, expect, it } from 'vitest';
import { until } from '../fixtures/until';
import {
  configJson,
  configuredDriver,
  fastMockPerFile,
  mockEnv,
  newDriver,
  resourcesOf,
  TOKEN,
  tempStore,
} from './helpers';

let mock: MockServer;
fastMockPerFile(
  { tokens: [TOKEN] },
  (m) => {
    mock = m;
  },
  { clearFaults: true },
);

describe('Remove while the server is still being created', () => {
  it('waits for the running create action, deletes the server and succeeds', async () => {
    const name = 'rm-busy';
    // The create action outlasts the retries of `locked` (10 attempts, 10 ms growing linearly: under half a second).
    mock.faults.add({
      match: { method: 'POST', path: '/servers' },
      effect: { actionDurationMs: 1_500, command: 'create_server' },
    });
    const creator = await configuredDriver(mock, name);
    const creating = creator.create().then(
      () => null,
      (e: unknown) => e as Error,
    );
    await until('the server to exist', () => resourcesOf(mock, name).servers.length === 1);

    // rancher-machine's `rm` with what Rancher saved before the create finished: the machine's name only.
    const remover = newDriver({ env: mockEnv(mock, { HETZNER_API_TOKEN: TOKEN }) });
    await remover.setConfigRaw(configJson(name, tempStore()));
    await remover.remove();
    expect(resourcesOf(mock, name).servers).toEqual([]);

    // The interrupted create ends either way: it fails when it looks at its server after the delete, or succeeds when
    // its last read came before it (which one depends on timing). Either way a second remove leaves nothing behind.
    const err = await creating;
    if (err) expect(err.message).not.toMatch(/locked/i);
    await remover.remove();
    expect(resourcesOf(mock, name)).toEqual({ servers: [], keys: [] });
  });
});
