// Create must never leak: whatever step fails, the mock ends up holding no server and no key of the machine.
import type { FaultRule, MockServer } from 'hcloud-mock';
import { describe, expect, it } from 'vitest';
import { captureLogger, configuredDriver, fastMockPerFile, resourcesOf, TOKEN } from './helpers';

let mock: MockServer;
fastMockPerFile(
  { tokens: [TOKEN] },
  (m) => {
    mock = m;
  },
  { clearFaults: true },
);

const serverError = { status: 500, code: 'server_error', message: 'an internal server error occurred' };

const FAULTS: Array<[string, FaultRule, RegExp]> = [
  ['key upload fails', { match: { method: 'POST', path: '/ssh_keys' }, effect: serverError }, /server_error/],
  [
    'key upload answer lost after the key was made',
    // Three times: the driver repeats a create that met a 500 twice (adopting what an applied one made).
    { match: { method: 'POST', path: '/ssh_keys' }, when: { times: 3 }, effect: { applyThen: serverError } },
    /server_error/,
  ],
  [
    'server create rejected',
    {
      match: { method: 'POST', path: '/servers' },
      effect: { status: 412, code: 'resource_unavailable', message: 'server type not available' },
    },
    /resource_unavailable/,
  ],
  [
    'server create answer lost after the server was made',
    // Three times: the driver repeats a create that met a 500 twice (adopting what an applied one made).
    { match: { method: 'POST', path: '/servers' }, when: { times: 3 }, effect: { applyThen: serverError } },
    /server_error/,
  ],
  [
    'create action fails',
    {
      match: { method: 'POST', path: '/servers' },
      effect: { actionFail: { code: 'action_failed', message: 'boom' }, command: 'create_server' },
    },
    /action create_server .* failed with action_failed/,
  ],
  [
    'start action fails',
    {
      match: { method: 'POST', path: '/servers' },
      effect: { actionFail: { code: 'unknown_error', message: 'server is locked' }, command: 'start_server' },
    },
    /start_server .* failed with unknown_error/,
  ],
  [
    'create action times out',
    { match: { method: 'POST', path: '/servers' }, effect: { actionDurationMs: 1_500, command: 'create_server' } },
    /timed out/,
  ],
  [
    'reading the server back fails after it was made',
    // One more failure than the client retries a read (a single 500 no longer ends a create).
    { match: { method: 'GET', path: '/servers/{id}' }, when: { times: 6 }, effect: serverError },
    /server_error/,
  ],
];

describe('Create rolls back on every failure', () => {
  it.each(FAULTS)('%s', async (_name, fault, pattern) => {
    const name = `fault-${Math.random().toString(36).slice(2, 8)}`;
    const logger = captureLogger();
    const d = await configuredDriver(mock, name, {}, { logger, timeouts: { createMs: 400, busyRetryMs: 40 } });
    await d.preCreateCheck();
    mock.faults.add(fault);
    const err = await d.create().then(
      () => null,
      (e: Error) => e,
    );
    expect(err).not.toBeNull();
    expect(err!.message).toMatch(pattern);
    expect(err!.message).toMatch(/Everything it created has been removed/);
    expect(err!.message).not.toContain(TOKEN);
    mock.faults.clear();
    expect(resourcesOf(mock, name)).toEqual({ servers: [], keys: [] });
    const cfg = JSON.parse(new TextDecoder().decode(await d.getConfigRaw()));
    expect(cfg.ServerID).toBe(0);
    expect(logger.text()).toMatch(/removing what was created/);
  });

  it('says what to delete by hand when the cleanup fails too, and Remove finishes the job later', async () => {
    const d = await configuredDriver(mock, 'fault-cleanup', {}, { timeouts: { busyAttempts: 2 } });
    mock.faults.add({
      match: { method: 'POST', path: '/servers' },
      effect: { actionFail: { code: 'action_failed', message: 'boom' }, command: 'create_server' },
    });
    mock.faults.add({ match: { method: 'DELETE', path: '/servers/{id}' }, effect: serverError });
    await expect(d.create()).rejects.toThrow(
      /Cleanup also failed .*delete the resources labelled managed-by=rancher-machine,machine=fault-cleanup/,
    );
    mock.faults.clear();
    expect(resourcesOf(mock, 'fault-cleanup').servers).toHaveLength(1);
    await d.remove();
    expect(resourcesOf(mock, 'fault-cleanup')).toEqual({ servers: [], keys: [] });
  });
});
