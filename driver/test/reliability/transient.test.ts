// One transient error must not end a create that has been running for minutes: the driver's client repeats a read
// or delete that met 500/503 and a create that met 503, with backoff (hcloud-go gives up at once); the driver repeats
// its two creates after a 500 too, adopting what an applied first attempt made.
import type { FaultRule, MockServer } from 'hcloud-mock';
import { describe, expect, it } from 'vitest';
import { MachineState } from '../../src/driver/interface';
import { configuredDriver, fastMockPerFile, resourcesOf, TOKEN } from '../driver/helpers';

let mock: MockServer;
fastMockPerFile({ tokens: [TOKEN] }, (m) => {
  mock = m;
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
    ['500 deleting the SSH key the server has', once('DELETE', '/ssh_keys/{id}', e500)],
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

  it.each<[string, FaultRule]>([
    ['500 creating the server, not applied', once('POST', '/servers', e500)],
    ['500 creating the server, applied', once('POST', '/servers', { applyThen: e500 })],
    ['500 uploading the key, applied', once('POST', '/ssh_keys', { applyThen: e500 })],
  ])('%s: repeated, and what the first attempt made is adopted, not doubled', async (_what, fault) => {
    const name = `transient-${Math.random().toString(36).slice(2, 8)}`;
    const d = await configuredDriver(mock, name);
    await d.preCreateCheck();
    mock.faults.add(fault);
    try {
      await d.create();
      expect(mock.faults.list()[0]?.fired).toBe(1);
      const made = resourcesOf(mock, name);
      expect(made.servers).toHaveLength(1);
      // Its key was deleted once the server had it; a doubled key would still be there.
      expect(made.keys).toEqual([]);
      await d.remove();
      expect(resourcesOf(mock, name)).toEqual({ servers: [], keys: [] });
    } finally {
      mock.faults.clear();
    }
  });

  it('three 500s in a row on a create end it, and it rolls back', async () => {
    const name = `transient-${Math.random().toString(36).slice(2, 8)}`;
    const d = await configuredDriver(mock, name);
    await d.preCreateCheck();
    mock.faults.add({ match: { method: 'POST', path: '/servers' }, when: { times: 3 }, effect: e500 });
    try {
      await expect(d.create()).rejects.toThrow(/server_error.*Everything it created has been removed/);
      expect(resourcesOf(mock, name)).toEqual({ servers: [], keys: [] });
    } finally {
      mock.faults.clear();
    }
  });
});

describe('a create whose answer was lost', () => {
  it('fails at once with the action error when the adopted server had already failed to build', async () => {
    const name = `transient-${Math.random().toString(36).slice(2, 8)}`;
    const d = await configuredDriver(mock, name);
    await d.preCreateCheck();
    // The first POST is applied, its create_server fails within a millisecond, and the answer is lost (504): the
    // retry meets uniqueness_error and adopts a server whose actions have all finished already.
    for (const effect of [
      { actionFail: { code: 'action_failed', message: 'no capacity' }, command: 'create_server' },
      { actionDurationMs: 1, command: 'create_server' },
      { applyThen: { status: 504, code: 'timeout', message: 'gateway timeout' } },
    ] as FaultRule['effect'][]) {
      mock.faults.add(once('POST', '/servers', effect));
    }
    try {
      await expect(d.create()).rejects.toThrow(/create_server .* failed with action_failed.*Everything it created/);
      expect(resourcesOf(mock, name)).toEqual({ servers: [], keys: [] });
    } finally {
      mock.faults.clear();
    }
  });
});
