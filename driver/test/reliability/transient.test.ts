// One transient error must not end a create that has been running for minutes: the driver's client repeats a read
// or delete that met 500/503, and a create that met 503, with backoff (hcloud-go gives up at once).
import type { FaultRule, MockServer } from 'hcloud-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MachineState } from '../../src/driver/interface';
import { configuredDriver, fastMock, resourcesOf, TOKEN } from '../driver/helpers';

let mock: MockServer;
beforeAll(async () => {
  mock = await fastMock({ tokens: [TOKEN] });
});
afterAll(async () => {
  await mock?.stop();
});

const once = (method: string, path: string, effect: FaultRule['effect']): FaultRule => ({
  match: { method, path },
  when: { times: 1 },
  effect,
});
const e500 = { status: 500, code: 'server_error', message: 'an internal server error occurred' };
const e503 = { status: 503, code: 'unavailable', message: 'service unavailable' };

describe('a single transient server error', () => {
  it.each<[string, FaultRule]>([
    ['500 reading the new server', once('GET', '/servers/{id}', e500)],
    ['bare 503 polling the actions', once('GET', '/actions', { bareStatus: 503 })],
    ['503 uploading the SSH key', once('POST', '/ssh_keys', e503)],
    ['503 creating the server', once('POST', '/servers', e503)],
    ['500 looking up the server type', once('GET', '/server_types', e500)],
  ])('%s does not end the create', async (_what, fault) => {
    const name = `transient-${Math.random().toString(36).slice(2, 8)}`;
    const d = await configuredDriver(mock, name);
    mock.faults.add(fault);
    try {
      await d.preCreateCheck();
      await d.create();
      expect(mock.faults.list()[0]?.fired).toBe(1);
      expect(await d.getState()).toBe(MachineState.Running);
      await d.remove();
      expect(resourcesOf(mock, name)).toEqual({ servers: [], keys: [] });
    } finally {
      mock.faults.clear();
    }
  });

  it('a 500 on a create (which may have been applied) is not repeated blindly: the create rolls back', async () => {
    const name = `transient-${Math.random().toString(36).slice(2, 8)}`;
    const d = await configuredDriver(mock, name);
    await d.preCreateCheck();
    mock.faults.add(once('POST', '/servers', e500));
    try {
      await expect(d.create()).rejects.toThrow(/server_error.*Everything it created has been removed/);
      expect(resourcesOf(mock, name)).toEqual({ servers: [], keys: [] });
    } finally {
      mock.faults.clear();
    }
  });
});
